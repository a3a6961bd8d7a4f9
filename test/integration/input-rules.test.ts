/**
 * The input rules of docs/security.md, through the real server: control characters,
 * namespace names, link schemes, titles, the description cap, strict integers, label
 * selectors, page bounds and prototype keys. Every refusal is a 400 naming the field and
 * leaves the database as it was.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useTestServer } from '../support/test-server.js';

const { server, api } = useTestServer();

const valid = {
  title: 'Build failed',
  description: 'exit 1',
  severity: 'major',
  issueType: 'build',
  namespace: 'rules-ns',
  scope: { resourceType: 'component', resourceName: 'api' },
};

/** Every table a request could write, whole. */
async function snapshot(): Promise<string> {
  const rows = await server.db.query(
    `SELECT (SELECT coalesce(json_agg(i ORDER BY id), '[]') FROM issues i)::text AS issues,
            (SELECT count(*) FROM issue_events)::int AS events,
            (SELECT count(*) FROM issue_relations)::int AS relations,
            (SELECT count(*) FROM mintmaker_runs)::int AS runs`,
  );
  return JSON.stringify(rows.rows[0]);
}

interface Refusal {
  error: string;
  details?: { field: string; message: string }[];
}

async function assertRefused(
  answer: { status: number; body: unknown },
  field: string,
  message: RegExp,
  before: string,
) {
  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  const body = answer.body as Refusal;
  const named = body.details?.find((detail) => detail.field === field);
  assert.ok(named, `details name ${field}: ${JSON.stringify(body)}`);
  assert.match(named.message, message);
  assert.match(body.error, message);
  assert.equal(await snapshot(), before, 'nothing was written');
}

describe('control characters (issue 13 finding 4)', () => {
  const nul = '\u0000';
  const bodies: [string, string, Record<string, unknown>, string][] = [
    ['POST', '/api/v1/issues', { ...valid, title: `Build${nul}failed` }, 'title'],
    ['POST', '/api/v1/issues', { ...valid, description: `exit${nul}1` }, 'description'],
    ['POST', '/api/v1/issues', { ...valid, namespace: `rules${nul}ns` }, 'namespace'],
    ['POST', '/api/v1/issues', { ...valid, labels: { team: `a${nul}` } }, 'labels.team'],
    [
      'POST',
      '/api/v1/issues',
      { ...valid, scope: { resourceType: 'component', resourceName: `api${nul}` } },
      'scope.resourceName',
    ],
    [
      'POST',
      '/api/v1/issues',
      { ...valid, links: [{ title: 'logs', url: `https://ci.example/${nul}` }] },
      'links.0.url',
    ],
    [
      'POST',
      '/api/v1/webhooks/pipeline-failure',
      { pipelineName: `build${nul}`, namespace: 'rules-ns', failureReason: 'exit 1' },
      'pipelineName',
    ],
    [
      'POST',
      '/api/v1/webhooks/pipeline-failure',
      { pipelineName: 'build', namespace: 'rules-ns', failureReason: `exit${nul}1` },
      'failureReason',
    ],
    [
      'POST',
      '/api/v1/webhooks/mintmaker-custom',
      { pipelineId: 'github.com/o/r@main', namespace: 'rules-ns', type: 'error', logs: [nul] },
      'logs.0',
    ],
  ];
  for (const [method, path, body, field] of bodies) {
    it(`a NUL in ${field} of ${method} ${path} answers 400 naming it and stores nothing`, async () => {
      const before = await snapshot();
      const answer = await api.call(method, path, body);
      await assertRefused(
        answer,
        field,
        /must not contain control characters \(found U\+0000\)/,
        before,
      );
    });
  }

  it('a NUL in an update answers 400 naming the field and changes nothing', async () => {
    const created = await api.post('/api/v1/issues', { ...valid, title: 'To update' });
    assert.equal(created.status, 201);
    const before = await snapshot();
    const answer = await api.put(`/api/v1/issues/${created.body.id}`, { title: `x${nul}` });
    await assertRefused(answer, 'title', /control characters/, before);
  });

  for (const [path, field] of [
    ['/api/v1/issues?search=%00', 'search'],
    ['/api/v1/issues?resourceName=a%00b', 'resourceName'],
    ['/api/v1/issues/counts?search=%00', 'search'],
    ['/api/v1/issues?namespace=rules-ns&namespace=%00', 'namespace.1'],
    ['/api/v1/mintmaker/runs?namespace=rules-ns&component=%00', 'component'],
  ] as const) {
    it(`a NUL in the query (${path}) answers 400 naming ${field}`, async () => {
      const before = await snapshot();
      await assertRefused(await api.get(path), field, /control characters/, before);
    });
  }

  it('refuses the other control characters (ESC, DEL, C1) too, in a label name as well', async () => {
    const before = await snapshot();
    for (const [body, field] of [
      [{ ...valid, title: 'colour \u001b[31mred' }, 'title'],
      [{ ...valid, description: 'rub\u007fout' }, 'description'],
      [{ ...valid, description: 'c1 \u0085 next line' }, 'description'],
      [{ ...valid, labels: { 'te\u0001am': 'x' } }, 'labels.te\u0001am'],
    ] as const) {
      await assertRefused(await api.post('/api/v1/issues', body), field, /control/, before);
    }
  });

  it('keeps newlines, tabs and carriage returns in descriptions', async () => {
    const description = 'line 1\n\tindented\r\nline 3';
    const answer = await api.post('/api/v1/issues', {
      ...valid,
      scope: { resourceType: 'component', resourceName: 'whitespace' },
      description,
    });
    assert.equal(answer.status, 201);
    assert.equal(answer.body.description, description);
  });
});

describe("terminal colour codes in a webhook's free text", () => {
  it("are dropped from the analyzer's log lines and a failure reason, not refused", async () => {
    const custom = await api.post('/api/v1/webhooks/mintmaker-custom', {
      pipelineId: 'github.com/acme/ansi@main',
      namespace: 'rules-ns',
      type: 'error',
      logs: ['\u001b[31mERROR\u001b[0m: npm ci failed', 'plain line'],
    });
    assert.equal(custom.status, 201, JSON.stringify(custom.body));
    assert.equal(custom.body.issue.description, 'ERROR: npm ci failed\nplain line');
    const failure = await api.post('/api/v1/webhooks/pipeline-failure', {
      pipelineName: 'ansi-pipeline',
      namespace: 'rules-ns',
      failureReason: 'step \u001b[1mbuild\u001b[22m exited 1',
    });
    assert.equal(failure.status, 201, JSON.stringify(failure.body));
    assert.match(failure.body.issue.description, /reason: step build exited 1$/);
  });

  it('are still refused in what names the issue, and other control characters everywhere', async () => {
    const before = await snapshot();
    await assertRefused(
      await api.post('/api/v1/webhooks/pipeline-failure', {
        pipelineName: 'ansi-\u001b[31mpipeline',
        namespace: 'rules-ns',
        failureReason: 'x',
      }),
      'pipelineName',
      /control characters/,
      before,
    );
    await assertRefused(
      await api.post('/api/v1/webhooks/mintmaker-custom', {
        pipelineId: 'github.com/acme/ansi@main',
        namespace: 'rules-ns',
        type: 'error',
        logs: ['a NUL \u0000 here'],
      }),
      'logs.0',
      /control characters/,
      before,
    );
  });
});

describe('namespaces are Kubernetes namespace names (DNS-1123 labels)', () => {
  const bad = ['TEAM-C', 'team-c/../team-a', "x'; DROP TABLE issues; --", '-a', 'a'.repeat(64)];
  for (const namespace of bad) {
    it(`"${namespace.slice(0, 30)}" is refused by /issues, the webhooks and the queries`, async () => {
      const before = await snapshot();
      const meaning = /must be a Kubernetes namespace name/;
      await assertRefused(
        await api.post('/api/v1/issues', { ...valid, namespace }),
        'namespace',
        meaning,
        before,
      );
      await assertRefused(
        await api.post('/api/v1/webhooks/pipeline-failure', {
          pipelineName: 'build',
          namespace,
          failureReason: 'exit 1',
        }),
        'namespace',
        meaning,
        before,
      );
      await assertRefused(
        await api.post('/api/v1/webhooks/pipeline-success', { pipelineName: 'build', namespace }),
        'namespace',
        meaning,
        before,
      );
      const query = `namespace=${encodeURIComponent(namespace)}`;
      await assertRefused(await api.get(`/api/v1/issues?${query}`), 'namespace.0', meaning, before);
      await assertRefused(
        await api.get(`/api/v1/issues/counts?${query}`),
        'namespace.0',
        meaning,
        before,
      );
    });
  }

  it("refuses a malformed scope.resourceNamespace, and still takes an empty one as the issue's", async () => {
    const before = await snapshot();
    await assertRefused(
      await api.post('/api/v1/issues', {
        ...valid,
        scope: { resourceType: 'component', resourceName: 'api', resourceNamespace: 'Team-A' },
      }),
      'scope.resourceNamespace',
      /Kubernetes namespace name/,
      before,
    );
    const empty = await api.post('/api/v1/issues', {
      ...valid,
      scope: { resourceType: 'component', resourceName: 'empty-ns', resourceNamespace: '' },
    });
    assert.equal(empty.status, 201);
    assert.equal(empty.body.scope.resourceNamespace, 'rules-ns');
  });
});

describe('links, titles and descriptions', () => {
  for (const url of ['javascript:alert(document.cookie)', 'data:text/html,x', '//evil.example/x']) {
    it(`a link to ${url} is refused`, async () => {
      const before = await snapshot();
      await assertRefused(
        await api.post('/api/v1/issues', { ...valid, links: [{ title: 'logs', url }] }),
        'links.0.url',
        /must be an http\(s\) URL or a path starting with "\/"/,
        before,
      );
      const webhook = await api.post('/api/v1/webhooks/pipeline-failure', {
        pipelineName: 'build',
        namespace: 'rules-ns',
        failureReason: 'exit 1',
        logsUrl: url,
      });
      assert.equal(webhook.status, 400);
      assert.deepEqual(webhook.body, {
        error:
          'Invalid request: the "Pipeline Run Logs" link must be an http(s) URL of at most 4096 characters',
        details: { field: 'links', link: 'Pipeline Run Logs' },
      });
      assert.equal(await snapshot(), before);
    });
  }

  it('keeps http(s) links and paths on this server', async () => {
    const links = [
      { title: 'CI', url: 'https://ci.example/run/1' },
      { title: 'Plain', url: 'HTTP://ci.example/run/2' },
      { title: 'Logs', url: '/api/v1/mintmaker/runs/r1/logs' },
    ];
    const answer = await api.post('/api/v1/issues', {
      ...valid,
      scope: { resourceType: 'component', resourceName: 'links' },
      links,
    });
    assert.equal(answer.status, 201);
    assert.deepEqual(
      answer.body.links.map((link: { title: string; url: string }) => link.url),
      links.map((link) => link.url),
    );
  });

  for (const title of [' ', '   ', '\t\n']) {
    it(`a title of whitespace (${JSON.stringify(title)}) is refused on create and update`, async () => {
      const before = await snapshot();
      await assertRefused(
        await api.post('/api/v1/issues', { ...valid, title }),
        'title',
        /must contain visible text/,
        before,
      );
    });
  }

  it("truncates a webhook's joined logs at the description cap, with a marker, instead of refusing", async () => {
    // What renovate-log-analyzer sends for a run with many errors: 500 KB of log lines.
    const logs = Array.from({ length: 5000 }, (_, i) => `error ${i}: ${'x'.repeat(90)}`);
    const answer = await api.post('/api/v1/webhooks/mintmaker-custom', {
      pipelineId: 'github.com/org/big@main',
      namespace: 'rules-ns',
      type: 'error',
      logs,
    });
    assert.equal(answer.status, 201);
    const description: string = answer.body.issue.description;
    assert.equal(description.length, 65536);
    assert.match(description, /\n… \[truncated: the report was longer than KITE keeps\]$/);
    assert.ok(description.startsWith(`${logs[0]}\n${logs[1]}\n`));
    assert.equal(
      answer.body.issue.title,
      'MintMaker error: 5000 log line(s) for github.com/org/big@main',
    );
  });

  it('refuses a description over the cap on /issues (the caller can shorten it)', async () => {
    const before = await snapshot();
    const answer = await api.post('/api/v1/issues', { ...valid, description: 'x'.repeat(65537) });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.details[0].field, 'description');
    assert.equal(await snapshot(), before);
  });
});

describe('what the issue indexes hold', () => {
  // 3 bytes each in UTF-8: 1024 of them pass a character cap and overflow an index entry.
  const wide = (n: number) => '界'.repeat(n);
  const tooLarge =
    /too large: the scope's type and name and the labels take \d+ bytes \(UTF-8\), at most 2000 fit$/;

  it('refuses labels too large for the listing index with a 400 naming labels', async () => {
    const before = await snapshot();
    const labels = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, wide(1024)]));
    const answer = await api.post('/api/v1/issues', { ...valid, labels });
    assert.equal(answer.status, 400);
    assert.match(answer.body.error, tooLarge);
    assert.deepEqual(answer.body.details, { field: 'labels', limitBytes: 2000 });
    assert.equal(await snapshot(), before);
  });

  it('refuses a scope name too large for the identity index, from /issues and from webhooks', async () => {
    const before = await snapshot();
    const direct = await api.post('/api/v1/issues', {
      ...valid,
      scope: { resourceType: 'component', resourceName: wide(1000) },
    });
    assert.equal(direct.status, 400);
    assert.deepEqual(direct.body.details, { field: 'scope.resourceName', limitBytes: 2000 });
    const webhook = await api.post('/api/v1/webhooks/pipeline-failure', {
      pipelineName: wide(1000),
      namespace: 'rules-ns',
      failureReason: 'exit 1',
    });
    assert.equal(webhook.status, 400);
    assert.match(webhook.body.error, tooLarge);
    assert.equal(await snapshot(), before);
  });
});

describe('numbers, selectors and pages', () => {
  for (const offset of ['0x10', '1e1', '+5', ' 16', '16.0', '-1', 'ten']) {
    it(`offset=${JSON.stringify(offset)} is not read as a number: 400 naming offset`, async () => {
      const before = await snapshot();
      const answer = await api.get(`/api/v1/issues?offset=${encodeURIComponent(offset)}`);
      assert.equal(answer.status, 400);
      assert.equal(answer.body.details[0].field, 'offset');
      assert.equal(await snapshot(), before);
    });
  }

  it('takes decimal digits as they are', async () => {
    const answer = await api.get('/api/v1/issues?offset=016&limit=2');
    assert.equal(answer.status, 200);
    assert.equal(answer.body.offset, 16);
    assert.equal(answer.body.limit, 2);
  });

  for (const selector of ['a notin ()', 'a in ( )', 'a=b,,c', 'a=b,']) {
    it(`labelSelector=${selector} is refused`, async () => {
      const answer = await api.get(`/api/v1/issues?labelSelector=${encodeURIComponent(selector)}`);
      assert.equal(answer.status, 400);
      assert.match(answer.body.error, /^labelSelector: /);
      assert.equal(answer.body.details.field, 'labelSelector');
    });
  }

  it('bounds the MintMaker run list offset like every paginated route', async () => {
    const answer = await api.get('/api/v1/mintmaker/runs?namespace=rules-ns&offset=10001');
    assert.equal(answer.status, 400);
    assert.equal(answer.body.details[0].field, 'offset');
    assert.equal(
      (await api.get('/api/v1/mintmaker/runs?namespace=rules-ns&offset=10000')).status,
      200,
    );
  });
});

describe('prototype keys', () => {
  it('a body with a __proto__ key is taken with that key ignored, polluting nothing', async () => {
    const body = `{"title":"Proto","description":"x","severity":"minor","issueType":"build",
      "namespace":"rules-ns","scope":{"resourceType":"component","resourceName":"proto"},
      "__proto__":{"polluted":true},"labels":{"team":"a","constructor":{"prototype":{"x":1}}}}`;
    const answer = await api.post('/api/v1/issues', body);
    // `labels.constructor` is dropped as a prototype key, so the labels are valid.
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.labels, { team: 'a' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('relations (issue 12: the shapes konflux-ui declares)', () => {
  it('carry sourceID/targetID beside sourceId/targetId and both issues in brief', async () => {
    const make = async (name: string) =>
      (
        await api.post('/api/v1/issues', {
          ...valid,
          title: `Failed: ${name}`,
          scope: { resourceType: 'component', resourceName: name },
        })
      ).body;
    const a = await make('rel-a');
    const b = await make('rel-b');
    assert.equal(
      (await api.post(`/api/v1/issues/${a.id}/related`, { relatedId: b.id })).status,
      201,
    );
    const brief = (issue: typeof a) => ({
      id: issue.id,
      title: issue.title,
      severity: issue.severity,
      state: issue.state,
      namespace: issue.namespace,
      cluster: 'local',
    });
    const source = (await api.get(`/api/v1/issues/${a.id}`)).body;
    const relation = source.relatedFrom[0];
    assert.deepEqual(relation, {
      id: relation.id,
      sourceId: a.id,
      targetId: b.id,
      sourceID: a.id,
      targetID: b.id,
      source: brief(a),
      target: brief(b),
    });
    assert.equal(source.hiddenRelations, undefined);
    assert.deepEqual((await api.get(`/api/v1/issues/${b.id}`)).body.relatedTo, [relation]);
  });
});

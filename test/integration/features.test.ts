/**
 * What KITE adds beside the v1 contract: occurrences and timelines, regressions that
 * reopen, labels with selectors, several namespaces per query, counts in one call, the
 * build/test webhooks, webhooks from a file, the live event stream and retention.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { client, startTestServer, testDbKind, type TestServer } from '../support/test-server.js';

let server: TestServer;
let api: ReturnType<typeof client>;
let webhooksFile: string;

before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kite-webhooks-'));
  webhooksFile = join(dir, 'webhooks.yaml');
  await writeFile(
    webhooksFile,
    `webhooks:
  - name: scan-failure
    description: A security scan found a vulnerability in a component image
    fields:
      component: { type: string, required: true }
      cve: { type: string, required: true }
      level: { type: enum, values: [low, high], required: true }
    scope: { resourceType: component, resourceName: "{{component}}" }
    report:
      issueType: build
      severity: { field: level, map: { high: critical }, default: minor }
      title: "{{cve}} found in {{component}}"
      description: "The image of {{component}} contains {{cve}}"
      labels: { cve: "{{cve}}" }
  - name: scan-success
    fields:
      component: { type: string, required: true }
    scope: { resourceType: component, resourceName: "{{component}}" }
    resolve: { issueType: build, message: "Resolved {{resolved}} scan issue(s) for {{component}}" }
`,
  );
  server = await startTestServer({ env: { KITE_WEBHOOKS_FILE: webhooksFile } });
  api = client(server.url);
});
after(() => server.stop());

const report = (name: string, namespace: string, extra: Record<string, unknown> = {}) =>
  api.post('/api/v1/webhooks/pipeline-failure', {
    pipelineName: name,
    namespace,
    failureReason: 'boom',
    ...extra,
  });

describe('occurrences, timeline and regressions', () => {
  it('a failure on a resolved issue reopens the same issue and the timeline shows every step', async () => {
    const first = await report('regress', 'tl-ns', { runId: 'run-1' });
    await report('regress', 'tl-ns', { runId: 'run-2' });
    await api.post('/api/v1/webhooks/pipeline-success', {
      pipelineName: 'regress',
      namespace: 'tl-ns',
    });
    const resolved = await api.get(`/api/v1/issues/${first.body.issue.id}`);
    assert.equal(resolved.body.state, 'RESOLVED');

    const again = await report('regress', 'tl-ns', { runId: 'run-3' });
    assert.equal(again.body.issue.id, first.body.issue.id, 'the same issue, not a new one');
    assert.equal(again.body.issue.state, 'ACTIVE');
    assert.equal(again.body.issue.resolvedAt, null);
    assert.equal(again.body.issue.occurrences, 3);
    assert.ok(
      Date.parse(again.body.issue.detectedAt) > Date.parse(first.body.issue.detectedAt),
      'detectedAt marks the regression',
    );
    assert.ok(Date.parse(again.body.issue.lastSeenAt) >= Date.parse(again.body.issue.detectedAt));

    const timeline = await api.get(`/api/v1/issues/${first.body.issue.id}/events`);
    assert.equal(timeline.status, 200);
    assert.deepEqual(
      timeline.body.data.map((e: any) => [e.kind, e.runId]),
      [
        ['reopened', 'run-3'],
        ['resolved', null],
        ['reported', 'run-2'],
        ['created', 'run-1'],
      ],
    );
    assert.equal(timeline.body.total, 4);
    const page = await api.get(`/api/v1/issues/${first.body.issue.id}/events?limit=1&offset=1`);
    assert.deepEqual(
      page.body.data.map((e: any) => e.kind),
      ['resolved'],
    );
  });

  it('PUT and resolve through the API appear on the timeline', async () => {
    const created = await report('manual', 'tl-ns');
    const id = created.body.issue.id;
    await api.put(`/api/v1/issues/${id}`, { severity: 'critical' });
    await api.post(`/api/v1/issues/${id}/resolve`);
    await api.put(`/api/v1/issues/${id}`, { state: 'ACTIVE' });
    const timeline = await api.get(`/api/v1/issues/${id}/events`);
    assert.deepEqual(
      timeline.body.data.map((e: any) => e.kind),
      ['reopened', 'resolved', 'updated', 'created'],
    );
  });

  it('the timeline of an unknown issue answers 404', async () => {
    const answer = await api.get('/api/v1/issues/00000000-0000-4000-8000-000000000000/events');
    assert.equal(answer.status, 404);
  });
});

describe('labels and selectors', () => {
  before(async () => {
    await report('web-push', 'lbl-ns', {
      labels: { component: 'web', 'pipelinesascode.tekton.dev/event-type': 'push' },
    });
    await report('web-pr', 'lbl-ns', {
      labels: { component: 'web', 'pipelinesascode.tekton.dev/event-type': 'pull_request' },
    });
    await report('db-push', 'lbl-ns', {
      labels: {
        component: 'db',
        'pipelinesascode.tekton.dev/event-type': 'push',
        cve: 'CVE-2026-1',
      },
    });
    await report('plain', 'lbl-ns');
  });

  const cases: [string, string[]][] = [
    ['component=web', ['web-pr', 'web-push']],
    ['component==web,pipelinesascode.tekton.dev/event-type=push', ['web-push']],
    ['component!=web', ['db-push', 'plain']],
    ['component in (web,db)', ['db-push', 'web-pr', 'web-push']],
    ['component notin (web)', ['db-push', 'plain']],
    ['cve', ['db-push']],
    ['!cve', ['plain', 'web-pr', 'web-push']],
    ['component=nothing', []],
    ['component=web,component=db', []],
    ['component=web,component!=web', []],
  ];
  for (const [selector, names] of cases) {
    it(`labelSelector=${selector}`, async () => {
      const answer = await api.get(
        `/api/v1/issues?namespace=lbl-ns&labelSelector=${encodeURIComponent(selector)}`,
      );
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body.data.map((i: any) => i.scope.resourceName).sort(), names);
      assert.equal(answer.body.total, names.length);
    });
  }

  it('labels are merged on repeated reports and replaced by PUT', async () => {
    const first = await report('merge', 'lbl2-ns', { labels: { a: '1', b: '1' } });
    const second = await report('merge', 'lbl2-ns', { labels: { b: '2', c: '2' } });
    assert.deepEqual(second.body.issue.labels, { a: '1', b: '2', c: '2' });
    const put = await api.put(`/api/v1/issues/${first.body.issue.id}`, {
      labels: { only: 'this' },
    });
    assert.deepEqual(put.body.labels, { only: 'this' });
  });
});

describe('several namespaces and counts', () => {
  before(async () => {
    await report('a1', 'multi-a', { severity: 'critical' });
    await report('a2', 'multi-a', { severity: 'minor' });
    await report('b1', 'multi-b', { severity: 'critical' });
    await api.post('/api/v1/webhooks/build-failure', {
      componentName: 'c1',
      namespace: 'multi-c',
      errorMessage: 'x',
    });
    await api.post('/api/v1/webhooks/pipeline-success', {
      pipelineName: 'a2',
      namespace: 'multi-a',
    });
  });

  it('a repeated namespace parameter queries several namespaces at once', async () => {
    const answer = await api.get('/api/v1/issues?namespace=multi-a&namespace=multi-b');
    assert.deepEqual(answer.body.data.map((i: any) => i.scope.resourceName).sort(), [
      'a1',
      'a2',
      'b1',
    ]);
    assert.equal(answer.body.total, 3);
  });

  it('counts answer by severity, by type and by state in one call', async () => {
    const answer = await api.get(
      '/api/v1/issues/counts?namespace=multi-a&namespace=multi-b&namespace=multi-c',
    );
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, {
      total: 4,
      bySeverity: { info: 0, minor: 1, major: 1, critical: 2 },
      byType: { build: 1, test: 0, release: 0, dependency: 0, pipeline: 3, 'task-update': 0 },
      byState: { ACTIVE: 3, RESOLVED: 1 },
      silenced: 0,
    });
  });

  it('counts take the same filters as the list', async () => {
    const answer = await api.get(
      '/api/v1/issues/counts?namespace=multi-a&namespace=multi-b&state=ACTIVE',
    );
    assert.deepEqual(answer.body.bySeverity, { info: 0, minor: 0, major: 0, critical: 2 });
    assert.equal(answer.body.total, 2);
    const list = await api.get(
      '/api/v1/issues?namespace=multi-a&namespace=multi-b&state=ACTIVE&limit=1',
    );
    assert.equal(list.body.total, answer.body.total);
  });
});

describe('build and test webhooks', () => {
  it('build-failure opens a build issue on the component; build-success resolves only build issues', async () => {
    const failed = await api.post('/api/v1/webhooks/build-failure', {
      componentName: 'frontend',
      namespace: 'bt-ns',
      buildId: 'frontend-on-push-abc',
      errorMessage: 'buildah exited 1',
      buildLogsUrl: 'https://konflux.example.com/build/abc',
    });
    assert.equal(failed.status, 201);
    const issue = failed.body.issue;
    assert.equal(issue.issueType, 'build');
    assert.deepEqual(
      [issue.scope.resourceType, issue.scope.resourceName, issue.scope.resourceNamespace],
      ['component', 'frontend', 'bt-ns'],
    );
    assert.match(issue.description, /buildah exited 1/);
    assert.deepEqual(
      issue.links.map((l: any) => [l.title, l.url]),
      [['Build Logs', 'https://konflux.example.com/build/abc']],
    );

    const test = await api.post('/api/v1/webhooks/test-failure', {
      componentName: 'frontend',
      scenario: 'e2e',
      namespace: 'bt-ns',
      failureReason: '2 tests failed',
      logsUrl: 'https://x/test',
    });
    assert.equal(test.status, 201);
    assert.equal(test.body.issue.issueType, 'test');
    assert.equal(test.body.issue.labels['test.appstudio.openshift.io/scenario'], 'e2e');
    assert.notEqual(
      test.body.issue.id,
      issue.id,
      'a test failure is its own issue beside the build failure',
    );

    const built = await api.post('/api/v1/webhooks/build-success', {
      componentName: 'frontend',
      namespace: 'bt-ns',
    });
    assert.deepEqual(built.body, {
      status: 'success',
      message: 'Resolved 1 build issue(s) for component frontend',
    });
    assert.equal((await api.get(`/api/v1/issues/${test.body.issue.id}`)).body.state, 'ACTIVE');
    const tested = await api.post('/api/v1/webhooks/test-success', {
      componentName: 'frontend',
      scenario: 'e2e',
      namespace: 'bt-ns',
    });
    assert.equal(tested.body.message, 'Resolved 1 test issue(s) for component frontend');
    assert.equal((await api.get(`/api/v1/issues/${test.body.issue.id}`)).body.state, 'RESOLVED');
  });
});

describe('webhooks from KITE_WEBHOOKS_FILE', () => {
  it('a webhook defined in the file reports and resolves without code changes', async () => {
    const high = await api.post('/api/v1/webhooks/scan-failure', {
      component: 'api',
      cve: 'CVE-2026-0001',
      level: 'high',
      namespace: 'scan-ns',
    });
    assert.equal(high.status, 201);
    assert.equal(high.body.issue.title, 'CVE-2026-0001 found in api');
    assert.equal(high.body.issue.severity, 'critical');
    assert.equal(high.body.issue.labels.cve, 'CVE-2026-0001');
    const bad = await api.post('/api/v1/webhooks/scan-failure', {
      component: 'api',
      cve: 'x',
      level: 'medium',
      namespace: 'scan-ns',
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.details[0].allowed, ['low', 'high']);
    const ok = await api.post('/api/v1/webhooks/scan-success', {
      component: 'api',
      namespace: 'scan-ns',
    });
    assert.deepEqual(ok.body, { status: 'success', message: 'Resolved 1 scan issue(s) for api' });
  });

  it('file webhooks are documented in the OpenAPI document', async () => {
    const doc = await api.get('/api/v1/openapi.json');
    const body =
      doc.body.paths['/api/v1/webhooks/scan-failure'].post.requestBody.content['application/json']
        .schema;
    assert.deepEqual(body.required.sort(), ['component', 'cve', 'level', 'namespace']);
  });

  it('an invalid webhooks file stops the server from starting with a clear error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kite-bad-webhooks-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      '- name: broken\n  fields: {}\n  scope: { resourceType: x, resourceName: "{{missing}}" }\n  resolve: { message: ok }\n',
    );
    await assert.rejects(
      startTestServer({ env: { KITE_WEBHOOKS_FILE: file } }),
      /undeclared field "missing"/,
    );
    await writeFile(
      file,
      '- name: pipeline-failure\n  fields: {}\n  scope: { resourceType: x, resourceName: y }\n  resolve: { message: ok }\n',
    );
    await assert.rejects(startTestServer({ env: { KITE_WEBHOOKS_FILE: file } }), /defined twice/);
  });
});

describe('live event stream', () => {
  it('streams created, updated, resolved and deleted changes of the requested namespaces only', async () => {
    const controller = new AbortController();
    const response = await fetch(new URL('/api/v1/events?namespace=sse-ns', server.url), {
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const events: { event: string; data: any }[] = [];
    const waitFor = async (count: number) => {
      const deadline = Date.now() + 10_000;
      while (events.length < count && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      }
    };

    await report('other', 'sse-other-ns');
    const created = await report('live', 'sse-ns');
    const id = created.body.issue.id;
    await report('live', 'sse-ns');
    await api.post('/api/v1/webhooks/pipeline-success', {
      pipelineName: 'live',
      namespace: 'sse-ns',
    });
    await api.delete(`/api/v1/issues/${id}`);
    await waitFor(4);
    controller.abort();

    assert.deepEqual(
      events.map((e) => [e.event, e.data.id, e.data.namespace]),
      [
        ['created', id, 'sse-ns'],
        ['updated', id, 'sse-ns'],
        ['resolved', id, 'sse-ns'],
        ['deleted', id, 'sse-ns'],
      ],
    );
    assert.deepEqual(Object.keys(events[0]!.data).sort(), [
      'cluster',
      'id',
      'issueType',
      'namespace',
      'severity',
      'state',
      'type',
    ]);
  });

  it(
    'a change made through another replica reaches this replica’s stream',
    {
      skip:
        testDbKind() === 'embedded' &&
        'an embedded database belongs to one process: replicas need a server PostgreSQL',
    },
    async () => {
      const { startServer } = await import('../../src/server.js');
      const other = await startServer({ ...server.config, port: 0 }, { logger: false });
      try {
        const controller = new AbortController();
        const response = await fetch(new URL('/api/v1/events?namespace=replica-ns', server.url), {
          signal: controller.signal,
        });
        const reader = response.body!.getReader();
        await client(other.url).post('/api/v1/webhooks/pipeline-failure', {
          pipelineName: 'r',
          namespace: 'replica-ns',
          failureReason: 'x',
        });
        let text = '';
        const deadline = Date.now() + 10_000;
        while (!text.includes('event: created') && Date.now() < deadline) {
          const { value, done } = await reader.read();
          if (done) break;
          text += new TextDecoder().decode(value);
        }
        controller.abort();
        assert.match(text, /event: created\ndata: \{[^\n]*"namespace":"replica-ns"/);
      } finally {
        await other.close();
      }
    },
  );
});

describe('retention', () => {
  it('prunes resolved issues and events older than the retention age, and nothing else', async () => {
    const old = await report('old-resolved', 'ret-ns');
    await api.post(`/api/v1/issues/${old.body.issue.id}/resolve`);
    const recent = await report('recent-resolved', 'ret-ns');
    await api.post(`/api/v1/issues/${recent.body.issue.id}/resolve`);
    const active = await report('old-active', 'ret-ns');
    await server.db.query(
      `UPDATE issues SET resolved_at = now() - interval '40 days' WHERE id = $1`,
      [old.body.issue.id],
    );
    await server.db.query(
      `UPDATE issue_events SET at = now() - interval '40 days' WHERE issue_id = $1`,
      [active.body.issue.id],
    );

    const { createIssueStore } = await import('../../src/store/issue-store.js');
    const removed = await createIssueStore(server.db).prune(new Date(Date.now() - 30 * 86_400_000));
    assert.equal(removed.issues, 1);
    assert.equal((await api.get(`/api/v1/issues/${old.body.issue.id}`)).status, 404);
    assert.equal((await api.get(`/api/v1/issues/${recent.body.issue.id}`)).body.state, 'RESOLVED');
    const stillActive = await api.get(`/api/v1/issues/${active.body.issue.id}`);
    assert.equal(stillActive.body.state, 'ACTIVE', 'an active issue is never pruned, however old');
    assert.equal(
      (await api.get(`/api/v1/issues/${active.body.issue.id}/events`)).body.total,
      0,
      'its old events are',
    );
    assert.equal((await api.get(`/api/v1/issues/${recent.body.issue.id}/events`)).body.total, 2);
  });

  it(
    'a prune that finds another under way leaves it the work, so replicas never deadlock',
    { skip: testDbKind() === 'embedded' && 'the embedded database is one connection' },
    async () => {
      const old = await report('old-resolved-2', 'ret-lock');
      await api.post(`/api/v1/issues/${old.body.issue.id}/resolve`);
      await server.db.query(
        `UPDATE issues SET resolved_at = now() - interval '40 days' WHERE id = $1`,
        [old.body.issue.id],
      );
      const { createIssueStore } = await import('../../src/store/issue-store.js');
      const store = createIssueStore(server.db);
      const cutoff = new Date(Date.now() - 30 * 86_400_000);
      // Another replica's prune holds the lock (4711009) while this one starts.
      const skipped = await server.db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(4711009)');
        return store.prune(cutoff);
      });
      assert.deepEqual(skipped, { issues: 0, events: 0, agedOut: 0 });
      assert.equal((await api.get(`/api/v1/issues/${old.body.issue.id}`)).status, 200);
      const removed = await store.prune(cutoff);
      assert.equal(removed.issues, 1);
      assert.equal((await api.get(`/api/v1/issues/${old.body.issue.id}`)).status, 404);
    },
  );

  it('ages out an active pull request issue whose pull request never ran again, and no other active issue', async () => {
    const runFailure = (scopeType: string, scopeName: string) =>
      api.post('/api/v1/webhooks/run-failure', {
        namespace: 'ret-pr',
        issueType: 'build',
        scopeType,
        scopeName,
        title: `Build failed for ${scopeName}`,
        reason: 'boom',
      });
    const stalePr = await runFailure('pull-request', 'api#7');
    const freshPr = await runFailure('pull-request', 'api#8');
    const stalePush = await runFailure('component', 'api');
    for (const answer of [stalePr, freshPr, stalePush]) assert.equal(answer.status, 201);
    await server.db.query(
      `UPDATE issues SET last_seen_at = now() - interval '40 days' WHERE id = ANY($1)`,
      [[stalePr.body.issue.id, stalePush.body.issue.id]],
    );
    const { createIssueStore } = await import('../../src/store/issue-store.js');
    const removed = await createIssueStore(server.db).prune(new Date(Date.now() - 30 * 86_400_000));
    assert.equal(removed.agedOut, 1);
    const aged = await api.get(`/api/v1/issues/${stalePr.body.issue.id}`);
    assert.equal(aged.body.state, 'RESOLVED');
    const events = await api.get(`/api/v1/issues/${stalePr.body.issue.id}/events`);
    assert.equal(
      events.body.data[0].summary,
      'aged out: its pull request has not run again within the retention age',
    );
    assert.equal((await api.get(`/api/v1/issues/${freshPr.body.issue.id}`)).body.state, 'ACTIVE');
    assert.equal((await api.get(`/api/v1/issues/${stalePush.body.issue.id}`)).body.state, 'ACTIVE');
  });

  it('the server prunes on its schedule', async () => {
    const scheduled = await startTestServer({
      env: { KITE_RETENTION: '1s', KITE_PRUNE_INTERVAL: '200ms' },
    });
    try {
      const local = client(scheduled.url);
      const created = await local.post('/api/v1/webhooks/pipeline-failure', {
        pipelineName: 'p',
        namespace: 'n',
        failureReason: 'x',
      });
      await local.post(`/api/v1/issues/${created.body.issue.id}/resolve`);
      const deadline = Date.now() + 8000;
      let status = 200;
      while (status !== 404 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        status = (await local.get(`/api/v1/issues/${created.body.issue.id}`)).status;
      }
      assert.equal(status, 404);
    } finally {
      await scheduled.stop();
    }
  });
});

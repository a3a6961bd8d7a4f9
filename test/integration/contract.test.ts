/**
 * Every row of the v1 contract (docs/api.md), against the real server on the suite's database.
 * Existing clients (Konflux UI, bridge operator, MintMaker's Renovate log analyzer, the
 * KITE CLI) depend on exactly this behaviour.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { client, startTestServer, useTestServer } from '../support/test-server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const { server, api } = useTestServer({
  env: { KITE_PIPELINE_RUN_LOGS_URL: 'https://konflux.example.com/logs/' },
});

const newIssue = (overrides: Record<string, unknown> = {}) => ({
  title: 'Build failed: api',
  description: 'step build exited 1',
  severity: 'major',
  issueType: 'build',
  namespace: 'contract-ns',
  scope: { resourceType: 'component', resourceName: 'api' },
  ...overrides,
});

function assertIssueShape(issue: any): void {
  const keys = [
    'id',
    'title',
    'description',
    'severity',
    'issueType',
    'state',
    'detectedAt',
    'resolvedAt',
    'namespace',
    'scopeId',
    'scope',
    'links',
    'relatedFrom',
    'relatedTo',
    'createdAt',
    'updatedAt',
  ];
  for (const key of keys) assert.ok(key in issue, `issue has ${key}`);
  assert.match(issue.id, UUID);
  assert.match(issue.scopeId, UUID);
  assert.equal(issue.scope.id, issue.scopeId);
  assert.deepEqual(Object.keys(issue.scope).sort(), [
    'id',
    'resourceName',
    'resourceNamespace',
    'resourceType',
  ]);
  assert.match(issue.detectedAt, RFC3339);
  assert.match(issue.createdAt, RFC3339);
  assert.match(issue.updatedAt, RFC3339);
  assert.ok(issue.resolvedAt === null || RFC3339.test(issue.resolvedAt));
  assert.ok(['info', 'minor', 'major', 'critical'].includes(issue.severity));
  assert.ok(['build', 'test', 'release', 'dependency', 'pipeline'].includes(issue.issueType));
  assert.ok(['ACTIVE', 'RESOLVED'].includes(issue.state));
  for (const link of issue.links) {
    assert.deepEqual(Object.keys(link).sort(), ['id', 'issueId', 'title', 'url']);
    assert.equal(link.issueId, issue.id);
  }
}

describe('paths', () => {
  it('serves /api/v1/issues with and without the trailing slash', async () => {
    await api.post('/api/v1/issues', newIssue({ namespace: 'paths-ns' }));
    const bare = await api.get('/api/v1/issues?namespace=paths-ns');
    const slash = await api.get('/api/v1/issues/?namespace=paths-ns');
    assert.equal(bare.status, 200);
    assert.equal(slash.status, 200);
    assert.equal(bare.body.total, 1);
    assert.deepEqual(slash.body, bare.body);
  });

  for (const path of ['/api/v1/health', '/api/v1/health/', '/health']) {
    it(`answers health at ${path}`, async () => {
      const answer = await api.get(path);
      assert.equal(answer.status, 200);
      assert.equal(answer.body.status, 'UP');
    });
  }

  for (const path of ['/api/v1/version', '/api/v1/version/', '/version']) {
    it(`answers version at ${path} as { name, description, version }`, async () => {
      const answer = await api.get(path);
      assert.equal(answer.status, 200);
      assert.deepEqual(Object.keys(answer.body).sort(), ['description', 'name', 'version']);
      assert.equal(answer.body.name, 'kite-issues');
      assert.match(answer.body.version, /^\d+\.\d+\.\d+/);
    });
  }

  it('takes the namespace from the query and the body alike', async () => {
    const created = await api.post(
      '/api/v1/issues?namespace=both-ns',
      newIssue({ namespace: 'both-ns' }),
    );
    assert.equal(created.status, 201);
    assert.equal(created.body.namespace, 'both-ns');
  });
});

describe('POST /issues', () => {
  it('creates an issue: 201 with the whole issue object, defaults applied', async () => {
    const answer = await api.post(
      '/api/v1/issues',
      newIssue({ namespace: 'create-ns', links: [{ title: 'Logs', url: 'https://x/logs' }] }),
    );
    assert.equal(answer.status, 201);
    const issue = answer.body;
    assertIssueShape(issue);
    assert.equal(issue.title, 'Build failed: api');
    assert.equal(issue.state, 'ACTIVE');
    assert.equal(issue.resolvedAt, null);
    assert.equal(issue.namespace, 'create-ns');
    assert.deepEqual(
      { ...issue.scope, id: undefined },
      {
        id: undefined,
        resourceType: 'component',
        resourceName: 'api',
        resourceNamespace: 'create-ns',
      },
    );
    assert.equal(issue.links.length, 1);
    assert.equal(issue.links[0].title, 'Logs');
    assert.equal(issue.links[0].url, 'https://x/logs');
    assert.deepEqual(issue.relatedFrom, []);
    assert.deepEqual(issue.relatedTo, []);
  });

  it('keeps an explicit scope.resourceNamespace and an explicit state', async () => {
    const answer = await api.post(
      '/api/v1/issues',
      newIssue({
        namespace: 'explicit-ns',
        state: 'RESOLVED',
        scope: { resourceType: 'component', resourceName: 'x', resourceNamespace: 'other' },
      }),
    );
    assert.equal(answer.status, 201);
    assert.equal(answer.body.scope.resourceNamespace, 'other');
    assert.equal(answer.body.state, 'RESOLVED');
    assert.match(answer.body.resolvedAt, RFC3339);
  });

  it('updates the active issue with the same identity instead of duplicating it', async () => {
    const first = await api.post('/api/v1/issues', newIssue({ namespace: 'dup-ns' }));
    const second = await api.post(
      '/api/v1/issues',
      newIssue({ namespace: 'dup-ns', description: 'now a different error' }),
    );
    assert.equal(second.status, 201);
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.body.description, 'now a different error');
    const list = await api.get('/api/v1/issues?namespace=dup-ns');
    assert.equal(list.body.total, 1);
  });

  for (const field of ['title', 'description', 'severity', 'issueType', 'namespace', 'scope']) {
    it(`answers 400 { error, details } without ${field}`, async () => {
      const body: Record<string, unknown> = newIssue({ namespace: 'missing-ns' });
      delete body[field];
      const answer = await api.post('/api/v1/issues', body);
      assert.equal(answer.status, 400);
      assert.equal(typeof answer.body.error, 'string');
      assert.ok(answer.body.details);
      assert.match(answer.body.error, new RegExp(field));
    });
  }

  for (const field of ['resourceType', 'resourceName']) {
    it(`answers 400 without scope.${field}`, async () => {
      const scope: Record<string, string> = { resourceType: 'component', resourceName: 'api' };
      delete scope[field];
      const answer = await api.post('/api/v1/issues', newIssue({ namespace: 'missing-ns', scope }));
      assert.equal(answer.status, 400);
      assert.match(answer.body.error, new RegExp(`scope.${field}`));
    });
  }
});

describe('GET /issues', () => {
  const ns = 'list-ns';
  before(async () => {
    const specs = [
      {
        severity: 'critical',
        issueType: 'build',
        name: 'alpha',
        title: 'Alpha build broke',
        description: 'Compiler ERROR in main.go',
      },
      {
        severity: 'major',
        issueType: 'test',
        name: 'beta',
        title: 'Beta tests failing',
        description: 'timeout',
      },
      {
        severity: 'minor',
        issueType: 'release',
        name: 'gamma',
        title: 'Gamma release',
        description: 'phase Managed failed',
      },
      {
        severity: 'info',
        issueType: 'dependency',
        name: 'delta',
        title: 'Delta renovate',
        description: 'warning only',
      },
      {
        severity: 'major',
        issueType: 'pipeline',
        name: 'epsilon',
        title: 'Epsilon pipeline',
        description: 'never started',
      },
    ];
    for (const spec of specs) {
      const answer = await api.post('/api/v1/issues', {
        title: spec.title,
        description: spec.description,
        severity: spec.severity,
        issueType: spec.issueType,
        namespace: ns,
        scope: {
          resourceType: spec.issueType === 'release' ? 'application' : 'component',
          resourceName: spec.name,
        },
      });
      assert.equal(answer.status, 201);
    }
    const gamma = await api.get(`/api/v1/issues?namespace=${ns}&resourceName=gamma`);
    await api.post(`/api/v1/issues/${gamma.body.data[0].id}/resolve`);
    await api.post('/api/v1/issues', newIssue({ namespace: 'list-other-ns' }));
  });

  it('answers { data, total, limit, offset } (and next) with defaults limit 50, offset 0', async () => {
    const answer = await api.get(`/api/v1/issues?namespace=${ns}`);
    assert.equal(answer.status, 200);
    // The v1 keys, plus KITE's `next` cursor (null: this page is the last).
    assert.deepEqual(Object.keys(answer.body).sort(), ['data', 'limit', 'next', 'offset', 'total']);
    assert.equal(answer.body.next, null);
    assert.equal(answer.body.limit, 50);
    assert.equal(answer.body.offset, 0);
    assert.equal(answer.body.total, 5);
    assert.equal(answer.body.data.length, 5);
    answer.body.data.forEach(assertIssueShape);
    assert.ok(answer.body.data.every((issue: any) => issue.namespace === ns));
  });

  it('sorts newest detectedAt first', async () => {
    const answer = await api.get(`/api/v1/issues?namespace=${ns}`);
    const times = answer.body.data.map((issue: any) => Date.parse(issue.detectedAt));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    assert.equal(answer.body.data.at(-1).scope.resourceName, 'alpha');
  });

  it('counts every match in total even with limit=1 (how the UI reads counts)', async () => {
    const all = await api.get(`/api/v1/issues?namespace=${ns}&limit=1`);
    assert.equal(all.body.total, 5);
    assert.equal(all.body.data.length, 1);
    assert.equal(all.body.limit, 1);
    const major = await api.get(`/api/v1/issues?namespace=${ns}&severity=major&limit=1`);
    assert.equal(major.body.total, 2);
    const builds = await api.get(`/api/v1/issues?namespace=${ns}&issueType=build&limit=1`);
    assert.equal(builds.body.total, 1);
  });

  it('pages with offset', async () => {
    const page = await api.get(`/api/v1/issues?namespace=${ns}&limit=2&offset=4`);
    assert.equal(page.body.data.length, 1);
    assert.equal(page.body.offset, 4);
    assert.equal(page.body.total, 5);
  });

  const filters: [string, string[]][] = [
    ['severity=major', ['beta', 'epsilon']],
    ['issueType=release', ['gamma']],
    ['state=RESOLVED', ['gamma']],
    ['state=ACTIVE', ['alpha', 'beta', 'delta', 'epsilon']],
    ['resourceType=application', ['gamma']],
    ['resourceName=delta', ['delta']],
    ['search=error', ['alpha']],
    ['search=GAMMA', ['gamma']],
    ['severity=major&issueType=test', ['beta']],
  ];
  for (const [query, names] of filters) {
    it(`filters by ${query}`, async () => {
      const answer = await api.get(`/api/v1/issues?namespace=${ns}&${query}`);
      assert.equal(answer.status, 200);
      const found = answer.body.data.map((issue: any) => issue.scope.resourceName).sort();
      assert.deepEqual(found, names);
      assert.equal(answer.body.total, names.length);
    });
  }
});

describe('issues by id', () => {
  it('GET /issues/:id answers the issue, 404 when unknown', async () => {
    const created = await api.post('/api/v1/issues', newIssue({ namespace: 'byid-ns' }));
    const answer = await api.get(`/api/v1/issues/${created.body.id}`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, created.body);
    const missing = await api.get('/api/v1/issues/00000000-0000-4000-8000-000000000000');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { error: 'Issue not found' });
  });

  it('PUT /issues/:id changes only the given fields; RESOLVED sets resolvedAt; links replace links', async () => {
    const created = await api.post(
      '/api/v1/issues',
      newIssue({ namespace: 'put-ns', links: [{ title: 'Old', url: 'https://old' }] }),
    );
    const id = created.body.id;
    const renamed = await api.put(`/api/v1/issues/${id}`, { title: 'Renamed' });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.title, 'Renamed');
    assert.equal(renamed.body.description, created.body.description);
    assert.equal(renamed.body.links.length, 1);
    const resolved = await api.put(`/api/v1/issues/${id}`, {
      state: 'RESOLVED',
      links: [{ title: 'New', url: 'https://new' }],
    });
    assert.equal(resolved.body.state, 'RESOLVED');
    assert.match(resolved.body.resolvedAt, RFC3339);
    assert.deepEqual(
      resolved.body.links.map((l: any) => [l.title, l.url]),
      [['New', 'https://new']],
    );
    const empty = await api.put(`/api/v1/issues/${id}`, {});
    assert.equal(empty.status, 200);
    assert.equal(empty.body.title, 'Renamed');
    const missing = await api.put('/api/v1/issues/00000000-0000-4000-8000-000000000000', {
      title: 'x',
    });
    assert.equal(missing.status, 404);
  });

  it('POST /issues/:id/resolve answers 200 with the resolved issue', async () => {
    const created = await api.post('/api/v1/issues', newIssue({ namespace: 'resolve-ns' }));
    const answer = await api.post(`/api/v1/issues/${created.body.id}/resolve`);
    assert.equal(answer.status, 200);
    assertIssueShape(answer.body);
    assert.equal(answer.body.state, 'RESOLVED');
    assert.match(answer.body.resolvedAt, RFC3339);
  });

  it('relations: 201 { message }, 409 when it exists, 404 for an unknown issue, DELETE 204', async () => {
    const a = await api.post(
      '/api/v1/issues',
      newIssue({ namespace: 'rel-ns', scope: { resourceType: 'component', resourceName: 'a' } }),
    );
    const b = await api.post(
      '/api/v1/issues',
      newIssue({ namespace: 'rel-ns', scope: { resourceType: 'component', resourceName: 'b' } }),
    );
    const related = await api.post(`/api/v1/issues/${a.body.id}/related`, { relatedId: b.body.id });
    assert.equal(related.status, 201);
    assert.equal(typeof related.body.message, 'string');
    const again = await api.post(`/api/v1/issues/${a.body.id}/related`, { relatedId: b.body.id });
    assert.equal(again.status, 409);
    const unknown = await api.post(`/api/v1/issues/${a.body.id}/related`, {
      relatedId: '00000000-0000-4000-8000-000000000000',
    });
    assert.equal(unknown.status, 404);
    const unknownSource = await api.post(
      '/api/v1/issues/00000000-0000-4000-8000-000000000000/related',
      { relatedId: a.body.id },
    );
    assert.equal(unknownSource.status, 404);

    const source = await api.get(`/api/v1/issues/${a.body.id}`);
    const target = await api.get(`/api/v1/issues/${b.body.id}`);
    assert.equal(source.body.relatedFrom.length, 1);
    assert.equal(source.body.relatedFrom[0].sourceId, a.body.id);
    assert.equal(source.body.relatedFrom[0].targetId, b.body.id);
    assert.deepEqual(target.body.relatedTo, source.body.relatedFrom);

    const removed = await api.delete(`/api/v1/issues/${a.body.id}/related/${b.body.id}`);
    assert.equal(removed.status, 204);
    assert.equal((await api.get(`/api/v1/issues/${a.body.id}`)).body.relatedFrom.length, 0);
  });

  it('DELETE /issues/:id answers 204 and removes its links and relations', async () => {
    const a = await api.post(
      '/api/v1/issues',
      newIssue({
        namespace: 'del-ns',
        links: [{ title: 'L', url: 'https://l' }],
        scope: { resourceType: 'component', resourceName: 'a' },
      }),
    );
    const b = await api.post(
      '/api/v1/issues',
      newIssue({ namespace: 'del-ns', scope: { resourceType: 'component', resourceName: 'b' } }),
    );
    await api.post(`/api/v1/issues/${a.body.id}/related`, { relatedId: b.body.id });
    const deleted = await api.delete(`/api/v1/issues/${a.body.id}`);
    assert.equal(deleted.status, 204);
    assert.equal((await api.get(`/api/v1/issues/${a.body.id}`)).status, 404);
    assert.deepEqual((await api.get(`/api/v1/issues/${b.body.id}`)).body.relatedTo, []);
    const leftovers = await server.db.query<{ n: number }>(
      'SELECT (SELECT count(*) FROM issue_relations WHERE source_id = $1 OR target_id = $1)::int + (SELECT count(*) FROM issue_events WHERE issue_id = $1)::int AS n',
      [a.body.id],
    );
    assert.equal(leftovers.rows[0]?.n, 0);
    assert.equal((await api.delete(`/api/v1/issues/${a.body.id}`)).status, 404);
  });
});

describe('webhooks', () => {
  it('pipeline-failure upserts a pipeline issue: 201 { status, issue } with title, scope and link', async () => {
    const answer = await api.post('/api/v1/webhooks/pipeline-failure', {
      pipelineName: 'build-pipeline',
      namespace: 'wh-ns',
      failureReason: 'step-build failed',
      logsUrl: 'https://konflux.example.com/run/1',
    });
    assert.equal(answer.status, 201);
    assert.equal(answer.body.status, 'success');
    const issue = answer.body.issue;
    assertIssueShape(issue);
    assert.equal(issue.title, 'Pipeline run failed: build-pipeline');
    assert.equal(issue.issueType, 'pipeline');
    assert.equal(issue.severity, 'major');
    assert.match(issue.description, /step-build failed/);
    assert.deepEqual(
      {
        type: issue.scope.resourceType,
        name: issue.scope.resourceName,
        ns: issue.scope.resourceNamespace,
      },
      { type: 'pipelinerun', name: 'build-pipeline', ns: 'wh-ns' },
    );
    assert.deepEqual(
      issue.links.map((l: any) => [l.title, l.url]),
      [['Pipeline Run Logs', 'https://konflux.example.com/run/1']],
    );
  });

  it('pipeline-failure honours severity and builds the logs link from the configured base and runId', async () => {
    const answer = await api.post('/api/v1/webhooks/pipeline-failure', {
      pipelineName: 'p2',
      namespace: 'wh-ns',
      failureReason: 'x',
      severity: 'critical',
      runId: 'run-42',
    });
    assert.equal(answer.body.issue.severity, 'critical');
    assert.deepEqual(
      answer.body.issue.links.map((l: any) => l.url),
      ['https://konflux.example.com/logs/run-42'],
    );
  });

  it('pipeline-success resolves the pipeline issues: 200 { status, message }', async () => {
    await api.post('/api/v1/webhooks/pipeline-failure', {
      pipelineName: 'p3',
      namespace: 'wh-ns',
      failureReason: 'x',
    });
    const answer = await api.post('/api/v1/webhooks/pipeline-success', {
      pipelineName: 'p3',
      namespace: 'wh-ns',
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, {
      status: 'success',
      message: 'Resolved 1 issue(s) for pipeline p3',
    });
    const none = await api.post('/api/v1/webhooks/pipeline-success', {
      pipelineName: 'p3',
      namespace: 'wh-ns',
    });
    assert.deepEqual(none.body, {
      status: 'success',
      message: 'Resolved 0 issue(s) for pipeline p3',
    });
    const list = await api.get('/api/v1/issues?namespace=wh-ns&resourceName=p3');
    assert.equal(list.body.data[0].state, 'RESOLVED');
  });

  it('mintmaker-custom with empty logs answers 200 { info } and stores nothing', async () => {
    for (const body of [
      { pipelineId: 'github.com/org/empty@main', namespace: 'mm-ns', type: 'error', logs: [] },
      { pipelineId: 'github.com/org/empty@main', namespace: 'mm-ns', type: 'warning' },
    ]) {
      const answer = await api.post('/api/v1/webhooks/mintmaker-custom', body);
      assert.equal(answer.status, 200);
      assert.deepEqual(Object.keys(answer.body), ['info']);
      assert.equal(typeof answer.body.info, 'string');
    }
    assert.equal((await api.get('/api/v1/issues?namespace=mm-ns')).body.total, 0);
  });

  it('mintmaker-custom upserts a dependency issue per type with joined logs', async () => {
    const cases = [
      ['error', 'major'],
      ['warning', 'minor'],
      ['info', 'info'],
    ] as const;
    for (const [type, severity] of cases) {
      const answer = await api.post('/api/v1/webhooks/mintmaker-custom', {
        pipelineId: 'github.com/org/repo@main',
        namespace: 'mm-ns',
        type,
        logs: [`first ${type}`, `second ${type}`],
      });
      assert.equal(answer.status, 201);
      assert.equal(answer.body.status, 'success');
      const issue = answer.body.issue;
      assert.equal(issue.issueType, 'dependency');
      assert.equal(issue.severity, severity);
      assert.equal(issue.description, `first ${type}\nsecond ${type}`);
      assert.equal(issue.scope.resourceType, `mintmaker-${type}`);
      assert.equal(issue.scope.resourceName, 'github.com/org/repo@main');
      assert.equal(issue.scope.resourceNamespace, 'mm-ns');
      assert.match(issue.title, new RegExp(type));
      assert.match(issue.title, /\b2\b/);
      assert.match(issue.title, /github\.com\/org\/repo@main/);
    }
    assert.equal((await api.get('/api/v1/issues?namespace=mm-ns')).body.total, 3);
  });

  it('mintmaker-custom rejects a type outside error, warning, info', async () => {
    const answer = await api.post('/api/v1/webhooks/mintmaker-custom', {
      pipelineId: 'p',
      namespace: 'mm-ns',
      type: 'fatal',
      logs: ['x'],
    });
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body.details[0].allowed, ['error', 'warning', 'info']);
  });

  it('release-failure upserts a release issue on the application; release-success resolves it', async () => {
    const failed = await api.post('/api/v1/webhooks/release-failure', {
      application: 'storefront',
      namespace: 'rel-wh-ns',
      failurePhase: 'ManagedPipelineProcessing',
      release: 'storefront-r1',
      pipelineRunUrl: 'https://konflux.example.com/release/1',
    });
    assert.equal(failed.status, 201);
    assert.equal(failed.body.status, 'success');
    const issue = failed.body.issue;
    assert.equal(issue.issueType, 'release');
    assert.equal(issue.severity, 'major');
    assert.deepEqual(
      [issue.scope.resourceType, issue.scope.resourceName],
      ['application', 'storefront'],
    );
    assert.match(issue.title, /storefront-r1/);
    assert.match(issue.title, /storefront/);
    const ok = await api.post('/api/v1/webhooks/release-success', {
      application: 'storefront',
      namespace: 'rel-wh-ns',
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.status, 'success');
    assert.equal(typeof ok.body.message, 'string');
    assert.equal((await api.get(`/api/v1/issues/${issue.id}`)).body.state, 'RESOLVED');
  });

  const required: [string, Record<string, unknown>][] = [
    ['pipeline-failure', { pipelineName: 'p', namespace: 'n', failureReason: 'r' }],
    ['pipeline-success', { pipelineName: 'p', namespace: 'n' }],
    ['mintmaker-custom', { pipelineId: 'p', namespace: 'n', type: 'error' }],
    ['release-failure', { application: 'a', namespace: 'n', failurePhase: 'f', release: 'r' }],
    ['release-success', { application: 'a', namespace: 'n' }],
  ];
  for (const [name, body] of required) {
    for (const field of Object.keys(body)) {
      it(`${name} without ${field} answers 400 { error, details } and stores nothing`, async () => {
        const before = await server.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM issue_events',
        );
        const partial = { ...body };
        delete partial[field];
        const answer = await api.post(`/api/v1/webhooks/${name}`, partial);
        assert.equal(answer.status, 400);
        assert.match(answer.body.error, /Missing required fields/);
        assert.ok(answer.body.details.some((d: any) => d.field === field));
        const afterCount = await server.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM issue_events',
        );
        assert.equal(afterCount.rows[0]?.n, before.rows[0]?.n);
      });
    }
  }

  it('repeating the same failure leaves exactly one active issue', async () => {
    for (let i = 0; i < 5; i += 1) {
      await api.post('/api/v1/webhooks/pipeline-failure', {
        pipelineName: 'repeat',
        namespace: 'rep-ns',
        failureReason: `attempt ${i}`,
      });
    }
    const list = await api.get('/api/v1/issues?namespace=rep-ns&state=ACTIVE');
    assert.equal(list.body.total, 1);
    assert.equal(list.body.data[0].occurrences, 5);
  });
});

describe("MintMaker's Renovate log analyzer, as it really calls", () => {
  it('health, then one mintmaker-custom per non-empty category, then one pipeline result', async () => {
    const pipeline = 'gitlab.com/group/sub/project@release/1.x';
    const health = await api.get('/api/v1/health');
    assert.equal(health.status, 200);
    assert.equal(typeof health.body.status, 'string');
    assert.equal(typeof health.body.message, 'string');

    const error = await api.post('/api/v1/webhooks/mintmaker-custom?namespace=analyzer-ns', {
      pipelineId: pipeline,
      namespace: 'analyzer-ns',
      type: 'error',
      logs: ['Repository authentication failed'],
    });
    const warning = await api.post('/api/v1/webhooks/mintmaker-custom?namespace=analyzer-ns', {
      pipelineId: pipeline,
      namespace: 'analyzer-ns',
      type: 'warning',
      logs: ['Deprecated option'],
    });
    const failure = await api.post('/api/v1/webhooks/pipeline-failure?namespace=analyzer-ns', {
      pipelineName: pipeline,
      namespace: 'analyzer-ns',
      failureReason: 'Renovate exited 1',
      runId: 'renovate-abc12',
    });
    for (const answer of [error, warning, failure])
      assert.ok(answer.status >= 200 && answer.status < 300);
    assert.equal(failure.body.issue.scope.resourceName, pipeline);

    const success = await api.post('/api/v1/webhooks/pipeline-success?namespace=analyzer-ns', {
      pipelineName: pipeline,
      namespace: 'analyzer-ns',
    });
    assert.equal(success.status, 200);
    const active = await api.get(
      '/api/v1/issues?namespace=analyzer-ns&state=ACTIVE&issueType=pipeline',
    );
    assert.equal(active.body.total, 0);
  });
});

describe('health', () => {
  it('answers { status: UP, message, timestamp, components { api, database, response_time } }', async () => {
    const answer = await api.get('/api/v1/health');
    assert.equal(answer.status, 200);
    assert.equal(answer.body.status, 'UP');
    assert.equal(typeof answer.body.message, 'string');
    assert.match(answer.body.timestamp, RFC3339);
    for (const component of ['api', 'database', 'response_time']) {
      const part = answer.body.components[component];
      assert.equal(typeof part.status, 'string', component);
      assert.equal(typeof part.message, 'string', component);
      assert.ok('details' in part, component);
    }
  });

  it('answers 503 and a status other than UP when the database is unreachable', async () => {
    const broken = await startTestServer();
    try {
      await broken.db.close();
      const answer = await client(broken.url).get('/api/v1/health');
      assert.equal(answer.status, 503);
      assert.notEqual(answer.body.status, 'UP');
      assert.equal(typeof answer.body.message, 'string');
      assert.equal(answer.body.components.database.status, 'DOWN');
    } finally {
      await broken.stop();
    }
  });
});

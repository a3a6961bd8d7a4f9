/**
 * Task updates (issue 18, docs/decisions/0051-task-updates.md): the `task-update` and
 * `task-current` webhooks, the `dueAt` and `migration` fields of issues, the `dueBefore`
 * and `hasMigration` filters, and severity changes named on the timeline.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useTestServer } from '../support/test-server.js';

const { api } = useTestServer();

const BUNDLE = `quay.io/konflux-ci/tekton-catalog/task-buildah:0.4@sha256:${'a'.repeat(64)}`;
const GUIDE =
  'https://github.com/konflux-ci/build-definitions/blob/main/task/buildah/0.5/MIGRATION.md';

function taskUpdate(namespace: string, fields: Record<string, unknown> = {}) {
  return api.post('/api/v1/webhooks/task-update', {
    namespace,
    component: 'frontend',
    application: 'shop',
    task: 'buildah',
    bundle: BUNDLE,
    version: '0.4',
    newVersion: '0.5',
    dueAt: '2027-01-15T00:00:00Z',
    migrationRequired: 'true',
    migrationUrl: GUIDE,
    severity: 'minor',
    runId: `${namespace}/frontend-build-1`,
    ...fields,
  });
}

const issuesOf = async (namespace: string, query = '') => {
  const answer = await api.get(`/api/v1/issues?namespace=${namespace}${query}`);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.data as any[];
};

describe('the task-update webhook', () => {
  it('opens one task-update issue per component and task with its due date and migration', async () => {
    const answer = await taskUpdate('tu-open');
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const issue = answer.body.issue;
    assert.equal(issue.issueType, 'task-update');
    assert.equal(
      issue.title,
      'Task buildah 0.4 in component frontend is outdated: update by 2027-01-15',
    );
    assert.deepEqual(issue.scope.resourceType, 'component-task');
    assert.deepEqual(issue.scope.resourceName, 'frontend/buildah');
    assert.equal(issue.dueAt, '2027-01-15T00:00:00.000000Z');
    assert.deepEqual(issue.migration, { required: true, url: GUIDE });
    assert.equal(issue.severity, 'minor');
    assert.deepEqual(issue.labels, {
      'appstudio.openshift.io/component': 'frontend',
      'appstudio.openshift.io/application': 'shop',
      'kite.konflux-ci.dev/task': 'buildah',
    });
    assert.ok(issue.links.some((link: any) => link.url === GUIDE));
    const read = await api.get(`/api/v1/issues/${issue.id}`);
    assert.equal(read.body.dueAt, issue.dueAt);
    assert.deepEqual(read.body.migration, issue.migration);
  });

  it('without a version or migration fields the title and migration say what is known', async () => {
    const answer = await taskUpdate('tu-bare', {
      version: undefined,
      migrationRequired: undefined,
      migrationUrl: undefined,
    });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(
      answer.body.issue.title,
      'Task buildah in component frontend is outdated: update by 2027-01-15',
    );
    assert.equal(answer.body.issue.migration, null);
    const unneeded = await taskUpdate('tu-bare', {
      migrationRequired: 'false',
      migrationUrl: undefined,
    });
    assert.deepEqual(unneeded.body.issue.migration, { required: false, url: null });
  });

  it('the same component and task again updates its one issue; another task is another issue', async () => {
    const first = await taskUpdate('tu-same');
    const again = await taskUpdate('tu-same', { dueAt: '2027-01-20T12:00:00+02:00' });
    assert.equal(again.status, 201);
    assert.equal(again.body.issue.id, first.body.issue.id);
    assert.equal(again.body.issue.occurrences, 2);
    assert.equal(again.body.issue.dueAt, '2027-01-20T10:00:00.000000Z');
    const other = await taskUpdate('tu-same', { task: 'git-clone' });
    assert.notEqual(other.body.issue.id, first.body.issue.id);
    assert.equal(other.body.issue.scope.resourceName, 'frontend/git-clone');
    assert.equal((await issuesOf('tu-same')).length, 2);
  });

  it('task-current resolves the issue of that component and task only', async () => {
    const buildah = await taskUpdate('tu-current');
    const clone = await taskUpdate('tu-current', { task: 'git-clone' });
    const build = await api.post('/api/v1/webhooks/build-failure', {
      namespace: 'tu-current',
      componentName: 'frontend',
      errorMessage: 'exit 1',
    });
    assert.equal(build.status, 201);
    const current = await api.post('/api/v1/webhooks/task-current', {
      namespace: 'tu-current',
      component: 'frontend',
      task: 'buildah',
      runId: 'tu-current/frontend-build-2',
    });
    assert.equal(current.status, 200, JSON.stringify(current.body));
    assert.match(current.body.message, /Resolved 1 task-update issue/);
    const states = Object.fromEntries(
      (await issuesOf('tu-current')).map((issue) => [issue.id, issue.state]),
    );
    assert.equal(states[buildah.body.issue.id], 'RESOLVED');
    assert.equal(states[clone.body.issue.id], 'ACTIVE');
    assert.equal(states[build.body.issue.id], 'ACTIVE');
    const events = await api.get(`/api/v1/issues/${buildah.body.issue.id}/events`);
    assert.equal(events.body.data[0].runId, 'tu-current/frontend-build-2');
  });

  it('a bad dueAt or migrationUrl is a 400 naming the field, and nothing is written', async () => {
    for (const [fields, field] of [
      [{ dueAt: '2027-01-15' }, 'dueAt'],
      [{ dueAt: 'next tuesday' }, 'dueAt'],
      [{ migrationUrl: 'javascript:alert(1)' }, 'migrationUrl'],
      [{ migrationUrl: '/docs/MIGRATION.md' }, 'migrationUrl'],
      [{ migrationRequired: 'yes' }, 'migrationRequired'],
      [{ dueAt: undefined }, 'dueAt'],
    ] as const) {
      const answer = await taskUpdate('tu-bad', fields);
      assert.equal(answer.status, 400, JSON.stringify(fields));
      assert.match(JSON.stringify(answer.body), new RegExp(field), JSON.stringify(answer.body));
    }
    const dueAt = await taskUpdate('tu-bad', { dueAt: '2027-01-15' });
    assert.match(dueAt.body.error, /RFC 3339/);
    const url = await taskUpdate('tu-bad', { migrationUrl: 'javascript:alert(1)' });
    assert.match(url.body.error, /http\(s\) URL/);
    assert.deepEqual(await issuesOf('tu-bad'), []);
  });

  it("a report that changes the severity names the change on the issue's timeline", async () => {
    const first = await taskUpdate('tu-severity', { severity: 'minor' });
    await taskUpdate('tu-severity', { severity: 'minor' });
    await taskUpdate('tu-severity', { severity: 'major' });
    const last = await taskUpdate('tu-severity', { severity: 'critical' });
    assert.equal(last.body.issue.severity, 'critical');
    const events = await api.get(`/api/v1/issues/${first.body.issue.id}/events`);
    const summaries = (events.body.data as any[]).map((event) => event.summary).reverse();
    assert.equal(summaries.length, 4);
    assert.doesNotMatch(summaries[0], /^severity/);
    assert.doesNotMatch(summaries[1], /^severity/);
    assert.match(summaries[2], /^severity minor → major: Component frontend builds with/);
    assert.match(summaries[3], /^severity major → critical: /);
  });

  it('a severity changed through the API is named on the timeline too', async () => {
    const created = await taskUpdate('tu-put');
    const put = await api.put(`/api/v1/issues/${created.body.issue.id}`, { severity: 'major' });
    assert.equal(put.status, 200);
    const events = await api.get(`/api/v1/issues/${created.body.issue.id}/events`);
    assert.equal(events.body.data[0].summary, 'severity minor → major: changed through the API');
  });
});

describe('dueAt and migration through /api/v1/issues', () => {
  const base = {
    title: 'Task outdated',
    description: 'bundle expires',
    severity: 'minor',
    issueType: 'task-update',
    namespace: 'tu-api',
    scope: { resourceType: 'component-task', resourceName: 'api/buildah' },
  };

  it('POST takes them, PUT changes and clears them', async () => {
    const created = await api.post('/api/v1/issues', {
      ...base,
      dueAt: '2027-02-01T00:00:00Z',
      migration: { required: true, url: GUIDE },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.dueAt, '2027-02-01T00:00:00.000000Z');
    const id = created.body.id;
    const moved = await api.put(`/api/v1/issues/${id}`, { dueAt: '2027-03-01T00:00:00Z' });
    assert.equal(moved.body.dueAt, '2027-03-01T00:00:00.000000Z');
    assert.deepEqual(moved.body.migration, { required: true, url: GUIDE });
    const cleared = await api.put(`/api/v1/issues/${id}`, { dueAt: null, migration: null });
    assert.equal(cleared.body.dueAt, null);
    assert.equal(cleared.body.migration, null);
  });

  it('a bad dueAt or migration URL is a 400 and changes nothing', async () => {
    const bad = await api.post('/api/v1/issues', {
      ...base,
      scope: { resourceType: 'component-task', resourceName: 'api/bad' },
      migration: { required: true, url: 'data:text/html,hi' },
    });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /migration\/url|migration\.url/);
    const created = await api.post('/api/v1/issues', {
      ...base,
      scope: { resourceType: 'component-task', resourceName: 'api/kept' },
      dueAt: '2027-02-01T00:00:00Z',
    });
    const put = await api.put(`/api/v1/issues/${created.body.id}`, { dueAt: 'tomorrow' });
    assert.equal(put.status, 400);
    assert.match(put.body.error, /RFC 3339/);
    const read = await api.get(`/api/v1/issues/${created.body.id}`);
    assert.equal(read.body.dueAt, '2027-02-01T00:00:00.000000Z');
  });

  it('issues of other types have null dueAt and migration', async () => {
    const build = await api.post('/api/v1/webhooks/build-failure', {
      namespace: 'tu-api',
      componentName: 'other',
      errorMessage: 'exit 1',
    });
    assert.equal(build.body.issue.dueAt, null);
    assert.equal(build.body.issue.migration, null);
  });
});

describe('dueBefore and hasMigration', () => {
  it('filter lists and counts; a bad value is a 400', async () => {
    const ns = 'tu-filter';
    await taskUpdate(ns, { task: 'soon', dueAt: '2027-01-05T00:00:00Z' });
    await taskUpdate(ns, {
      task: 'later',
      dueAt: '2027-03-01T00:00:00Z',
      migrationRequired: undefined,
      migrationUrl: undefined,
    });
    await api.post('/api/v1/webhooks/build-failure', {
      namespace: ns,
      componentName: 'frontend',
      errorMessage: 'exit 1',
    });
    const names = (issues: any[]) => issues.map((issue) => issue.scope.resourceName).sort();
    assert.deepEqual(names(await issuesOf(ns, '&dueBefore=2027-02-01T00:00:00Z')), [
      'frontend/soon',
    ]);
    assert.deepEqual(names(await issuesOf(ns, '&dueBefore=2027-06-01T00:00:00Z')), [
      'frontend/later',
      'frontend/soon',
    ]);
    assert.deepEqual(names(await issuesOf(ns, '&hasMigration=true')), ['frontend/soon']);
    assert.deepEqual(names(await issuesOf(ns, '&hasMigration=false')), [
      'frontend',
      'frontend/later',
    ]);
    const page = await api.get(`/api/v1/issues?namespace=${ns}&hasMigration=false`);
    assert.equal(page.body.total, 2);
    const counts = await api.get(
      `/api/v1/issues/counts?namespace=${ns}&dueBefore=2027-06-01T00:00:00Z&hasMigration=false`,
    );
    assert.equal(counts.status, 200);
    assert.equal(counts.body.total, 1);
    assert.equal(counts.body.byType['task-update'], 1);
    const all = await api.get(`/api/v1/issues/counts?namespace=${ns}`);
    assert.deepEqual([all.body.byType['task-update'], all.body.byType.build], [2, 1]);
    for (const query of ['dueBefore=2027-02-01', 'dueBefore=soon', 'hasMigration=yes']) {
      const answer = await api.get(`/api/v1/issues?namespace=${ns}&${query}`);
      assert.equal(answer.status, 400, query);
      const field = query.split('=')[0] as string;
      assert.match(JSON.stringify(answer.body), new RegExp(field));
      const counted = await api.get(`/api/v1/issues/counts?namespace=${ns}&${query}`);
      assert.equal(counted.status, 400, query);
    }
  });
});

describe('the OpenAPI document', () => {
  it('shows dueAt, migration, the filters and the task webhooks', async () => {
    const doc = (await api.get('/api/v1/openapi.json')).body;
    const list = doc.paths['/api/v1/issues'].get;
    const names = list.parameters.map((parameter: any) => parameter.name);
    assert.ok(names.includes('dueBefore') && names.includes('hasMigration'), names.join(','));
    const issue = list.responses['200'].content['application/json'].schema.properties.data.items;
    assert.ok(
      issue.properties.dueAt && issue.properties.migration,
      Object.keys(issue.properties).join(','),
    );
    const body =
      doc.paths['/api/v1/webhooks/task-update'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(body.required.sort(), ['bundle', 'component', 'dueAt', 'namespace', 'task']);
    assert.equal(body.properties.dueAt.format, 'date-time');
    assert.ok(doc.paths['/api/v1/webhooks/task-current']);
  });
});

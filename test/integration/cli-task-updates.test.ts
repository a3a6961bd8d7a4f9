/**
 * `kite issues` and task updates (docs/cli.md): a DUE column in words once a listed
 * issue has a due date, MIGRATION with `-o wide`, the fields in `get -o json`, and the
 * `--due-before` and `--has-migration` filters.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureBuilt, runCli } from '../support/cli.js';
import { useTestServer } from '../support/test-server.js';

const { server, api, onStart } = useTestServer(() => {
  ensureBuilt();
  return {};
});

const HOUR = 3_600_000;
const GUIDE = 'https://example.com/task/buildah/0.5/MIGRATION.md';
const ids: Record<string, string> = {};

onStart(async () => {
  const report = async (task: string, dueInHours: number, extra: Record<string, string> = {}) => {
    const answer = await api.post('/api/v1/webhooks/task-update', {
      namespace: 'cli-tasks',
      component: 'frontend',
      task,
      bundle: `quay.io/konflux-ci/tekton-catalog/task-${task}:0.4@sha256:${'c'.repeat(64)}`,
      dueAt: new Date(Date.now() + dueInHours * HOUR).toISOString(),
      ...extra,
    });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    ids[task] = answer.body.issue.id;
  };
  await report('buildah', 5 * 24 + 1, { migrationUrl: GUIDE });
  await report('git-clone', -(2 * 24 + 1));
  const build = await api.post('/api/v1/webhooks/build-failure', {
    namespace: 'cli-builds',
    componentName: 'frontend',
    errorMessage: 'exit 1',
  });
  assert.equal(build.status, 201);
});

const kite = (...args: string[]) =>
  runCli([...args, '--server', server.url], { HOME: '/nonexistent', KUBECONFIG: '/dev/null' });

describe('kite issues and task updates', () => {
  it('lists a DUE column in words when an issue has a due date', async () => {
    const run = await kite('issues', 'list', '-n', 'cli-tasks');
    assert.equal(run.code, 0, run.stderr);
    const [header, ...rows] = run.stdout.trimEnd().split('\n');
    assert.match(header!, /^ID +SEVERITY +TYPE +STATE +AGE +DUE +TITLE$/);
    const row = (id: string) => rows.find((line) => line.startsWith(id)) ?? '';
    assert.match(row(ids['buildah']!), / in 5 days +Task buildah in component frontend/);
    assert.match(row(ids['git-clone']!), / overdue by 2 days +Task git-clone/);
  });

  it('leaves DUE out where no listed issue has a due date, and wide adds MIGRATION', async () => {
    const plain = await kite('issues', 'list', '-n', 'cli-builds');
    assert.match(plain.stdout.split('\n')[0]!, /^ID +SEVERITY +TYPE +STATE +AGE +TITLE$/);
    const wide = await kite('issues', 'list', '-n', 'cli-tasks', '-o', 'wide');
    assert.match(wide.stdout.split('\n')[0]!, / AGE +DUE +LAST SEEN .* SCOPE +MIGRATION +TITLE /);
    assert.ok(wide.stdout.includes(GUIDE), wide.stdout);
  });

  it('get shows the fields, and the filters reach the API', async () => {
    const got = await kite('issues', 'get', ids['buildah']!, '-o', 'json');
    assert.equal(got.code, 0, got.stderr);
    const issue = JSON.parse(got.stdout);
    assert.deepEqual(issue.migration, { required: true, url: GUIDE });
    assert.match(issue.dueAt, /^\d{4}-\d{2}-\d{2}T/);
    const table = await kite('issues', 'get', ids['git-clone']!);
    assert.match(table.stdout, /overdue by 2 days/);
    const due = await kite(
      'issues',
      'list',
      '-n',
      'cli-tasks',
      '--due-before',
      new Date().toISOString(),
      '-o',
      'name',
    );
    assert.equal(due.stdout, `issue/${ids['git-clone']}\n`);
    const migration = await kite(
      'issues',
      'list',
      '-n',
      'cli-tasks',
      '--has-migration',
      'true',
      '-o',
      'name',
    );
    assert.equal(migration.stdout, `issue/${ids['buildah']}\n`);
    const bad = await kite('issues', 'list', '-n', 'cli-tasks', '--has-migration', 'maybe');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--has-migration must be true or false/);
  });

  it('completes task-update as a --type and true/false for --has-migration', async () => {
    // The last word is the one completed: no --server after it (these need no server).
    const complete = (...words: string[]) =>
      runCli(['__complete', ...words], { HOME: '/nonexistent', KUBECONFIG: '/dev/null' });
    const types = await complete('issues', 'list', '--type', '');
    assert.ok(types.stdout.split('\n').includes('task-update'), types.stdout);
    const migration = await complete('issues', 'list', '--has-migration', '');
    assert.deepEqual(migration.stdout.split('\n').filter(Boolean), ['true', 'false']);
  });
});

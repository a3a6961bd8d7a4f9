/**
 * `kite groups list|get` (docs/cli.md, docs/root-cause-groups.md) as Alice runs them, with
 * her kubeconfig, against the real server in Kubernetes auth mode: she reads team-a only,
 * so a group spanning team-a and team-b shows her team-a members and the other as a count.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { createIssueStore } from '../../src/store/issue-store.js';
import { grantTeams, runCli, writeKubeconfigs, type Kubeconfigs } from '../support/cli.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { useTestServer } from '../support/test-server.js';

let kube: KubeApiDouble;
let configs: Kubeconfigs;
let groupId = '';
const { server, onStart } = useTestServer(async () => {
  kube = await startKubeApiDouble();
  grantTeams(kube);
  return { env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig } };
});
onStart(async () => {
  configs = await writeKubeconfigs(kube.url, server.url);
  const store = createIssueStore(server.db, { rootCause: { enabled: true, windowMs: 3_600_000 } });
  for (const [namespace, name] of [
    ['team-a', 'frontend'],
    ['team-a', 'backend'],
    ['team-b', 'billing'],
  ] as const) {
    const { issue } = await store.report({
      namespace,
      issueType: 'build',
      scope: { resourceType: 'component', resourceName: name, resourceNamespace: namespace },
      title: `Build failed: ${name}`,
      description: `unauthorized: authentication required\nin ${name}`,
      severity: 'major',
    });
    if (name === 'frontend') groupId = issue.id;
  }
  const groups = await server.db.query<{ group_id: string }>(
    'SELECT group_id FROM root_cause_members WHERE issue_id = $1',
    [groupId],
  );
  groupId = groups.rows[0]?.group_id ?? '';
});
after(async () => {
  await kube?.close();
  if (configs) await rm(configs.dir, { recursive: true, force: true });
});

const kite = (args: string[]) =>
  runCli(
    args,
    { HOME: configs.dir, KUBECONFIG: configs.token },
    {
      entry: 'src/cli/main.ts',
      node: ['--import', 'tsx'],
    },
  );

describe('kite groups', () => {
  it('list -o json prints the page as the API answers it for Alice: team-a members, one hidden', async () => {
    const run = await kite(['groups', 'list', '-o', 'json']);
    assert.equal(run.code, 0, run.stderr);
    const page = JSON.parse(run.stdout);
    assert.equal(page.total, 1);
    assert.deepEqual(
      [page.data[0].id, page.data[0].namespaces, page.data[0].components, page.data[0].hidden],
      [
        groupId,
        ['team-a'],
        ['backend', 'frontend'],
        { count: 1, message: 'and 1 more in namespaces you cannot see' },
      ],
    );
    assert.ok(!run.stdout.includes('billing') && !run.stdout.includes('team-b'));
  });

  it('get prints a row per visible member and why it belongs, then the progress and the hidden count', async () => {
    const run = await kite(['groups', 'get', groupId]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAMESPACE\s+COMPONENT\s+STATE\s+WHY$/);
    assert.deepEqual(
      lines.slice(1).map((line) => line.split(/\s+/).slice(0, 4)),
      [
        ['team-a', 'backend', 'ACTIVE', 'signature:'],
        ['team-a', 'frontend', 'ACTIVE', 'signature:'],
      ],
    );
    assert.match(run.stderr, /0 of 3 recovered; and 1 more in namespaces you cannot see/);
  });

  it('get of a group id Alice cannot see exits non-zero with not found', async () => {
    const run = await kite(['groups', 'get', '00000000-0000-4000-8000-000000000000']);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /not found/i);
  });
});

/**
 * The cluster and issues the MCP tests read: the MintMaker people (Alice reads and
 * changes team-a, and reads team-c; Bob reads team-b only), a failed MintMaker run of
 * team-a whose log has one error on line ERROR_LINE, issues in team-a (one linking that
 * log, one resolved look-alike, two to resolve and acknowledge), a foreign one in team-b,
 * and MANY issues in team-c for the output budget.
 */
import assert from 'node:assert/strict';
import { createIssueStore } from '../../src/store/issue-store.js';
import type { KubeApiDouble } from './kube-api.js';
import { addMintmakerPeople } from './mintmaker-people.js';
import { archiveRun } from './run-log-seeds.js';
import type { ApiClient, TestServer } from './test-server.js';

const RBAC = { apiGroup: 'kite.konflux-ci.dev', resource: 'issues' };
export const ERROR_LINE = 120;
export const LOG_LINES = 300;
export const ERROR_TEXT = 'Repository has unknown error (registry.example answered 500)';
export const MANY = 60;

export function grantMcpPeople(kube: KubeApiDouble): void {
  addMintmakerPeople(kube);
  kube.namespaces.push('team-a', 'team-b', 'team-c', 'mintmaker');
  for (const verb of ['update', 'create']) {
    kube.grants.push({ group: 'team-a-devs', verb, ...RBAC, namespace: 'team-a' });
  }
  kube.grants.push({ group: 'team-a-devs', verb: 'get', ...RBAC, namespace: 'team-c' });
}

function failingLog(): string {
  const lines: string[] = [];
  for (let i = 1; i <= LOG_LINES; i++) {
    const time = new Date(Date.UTC(2026, 11, 3, 7, 0, 0, i)).toISOString();
    lines.push(
      i === ERROR_LINE
        ? JSON.stringify({ level: 50, time, msg: ERROR_TEXT })
        : JSON.stringify({ level: 30, time, msg: `Checking dependency lib-${i}` }),
    );
  }
  return `${lines.join('\n')}\n`;
}

export interface McpSeeds {
  /** team-a: Renovate failed for frontend, linking the run log. */
  failing: string;
  /** team-a: the same failure for backend, resolved by Alice. */
  resolved: string;
  toResolve: string;
  toAcknowledge: string;
  /** team-b: Alice may not read it. */
  foreign: string;
}

export const FOREIGN_TITLE = 'Build failed: billing-secret-project';

export async function seedMcp(server: TestServer, api: ApiClient): Promise<McpSeeds> {
  await archiveRun(server.url, {
    name: 'renovate-fail',
    namespace: 'team-a',
    component: 'frontend',
    status: 'Failed',
    completionTime: new Date().toISOString(),
    steps: [['build', 'renovate', failingLog()]],
  });
  const alice = { authorization: 'Bearer token-alice' };
  const file = async (body: Record<string, unknown>) => {
    const made = await api.post('/api/v1/issues', body, alice);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    return (made.body as { id: string }).id;
  };
  const renovate = (component: string, links: unknown[] = []) => ({
    title: `Renovate failed for ${component}`,
    description: ERROR_TEXT,
    severity: 'major',
    issueType: 'dependency',
    namespace: 'team-a',
    scope: { resourceType: 'component', resourceName: component },
    labels: { 'appstudio.openshift.io/application': 'shop' },
    links,
  });
  const resolved = await file(renovate('backend'));
  const done = await api.post(`/api/v1/issues/${resolved}/resolve`, undefined, alice);
  assert.equal(done.status, 200, JSON.stringify(done.body));
  const failing = await file(
    renovate('frontend', [{ title: 'Run logs', url: '/api/v1/mintmaker/runs/renovate-fail/logs' }]),
  );
  const build = (name: string, severity: string) => ({
    title: `Build failed: ${name}`,
    description: 'step build-container exited 1',
    severity,
    issueType: 'build',
    namespace: 'team-a',
    scope: { resourceType: 'component', resourceName: name },
  });
  const toResolve = await file(build('cart', 'critical'));
  const toAcknowledge = await file(build('search', 'minor'));
  const store = createIssueStore(server.db);
  const { issue } = await store.report({
    namespace: 'team-b',
    issueType: 'build',
    scope: { resourceType: 'component', resourceName: 'billing', resourceNamespace: 'team-b' },
    title: FOREIGN_TITLE,
    description: 'secret details of team-b',
    severity: 'critical',
  });
  for (let i = 0; i < MANY; i++) {
    await store.report({
      namespace: 'team-c',
      issueType: 'test',
      scope: {
        resourceType: 'component',
        resourceName: `service-${i}`,
        resourceNamespace: 'team-c',
      },
      title: `Integration test suite failed for service-${i}: timeout waiting for the database to accept connections`,
      description: 'timeout',
      severity: 'minor',
    });
  }
  return { failing, resolved, toResolve, toAcknowledge, foreign: issue.id };
}

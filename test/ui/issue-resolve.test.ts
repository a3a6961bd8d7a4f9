/**
 * The "Resolve" action on an issue's page, with Kubernetes authentication (the API server
 * is the test double): shown only to a caller the API says may change issues in the
 * issue's namespace; resolving shows the new state, and a refusal is shown in place with
 * its status and message. The auth caches are short, so a revoked right shows at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { WEB_ROOT, assertAccessible, assertDashboardBuilt } from '../support/dashboard.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { ISSUES_RBAC } from '../support/kube-auth-server.js';
import { client, useTestServer } from '../support/test-server.js';
import { createIssueStore } from '../../src/store/issue-store.js';

const CACHE_TTL_MS = 300;
let browser: TestBrowser;
let kube: KubeApiDouble;
before(async () => {
  assertDashboardBuilt();
  browser = await launchBrowser();
});
after(() => browser?.close());

const { server, onStart } = useTestServer(async () => {
  kube = await startKubeApiDouble();
  kube.namespaces.push('team-a');
  for (const user of ['reader', 'writer', 'fickle'])
    kube.users.set(`token-${user}`, { username: user, groups: [] });
  kube.grants.push({ user: 'reader', verb: 'get', ...ISSUES_RBAC, namespace: 'team-a' });
  for (const user of ['writer', 'fickle'])
    for (const verb of ['get', 'update'])
      kube.grants.push({ user, verb, ...ISSUES_RBAC, namespace: 'team-a' });
  return {
    webRoot: WEB_ROOT,
    env: {
      KITE_AUTH_MODE: 'kubernetes',
      KUBECONFIG: kube.kubeconfig,
      KITE_AUTH_CACHE_TTL: `${CACHE_TTL_MS}ms`,
      KITE_AUTH_NEGATIVE_CACHE_TTL: '50ms',
    },
  };
});
after(() => kube?.close());

const ids: Record<string, string> = {};
onStart(async () => {
  const store = createIssueStore(server.db);
  for (const name of ['for-reader', 'for-writer', 'for-fickle']) {
    const { issue } = await store.report({
      namespace: 'team-a',
      issueType: 'build',
      scope: { resourceType: 'component', resourceName: name, resourceNamespace: 'team-a' },
      title: `Build failed: ${name}`,
      description: 'exit 1',
      severity: 'major',
    });
    ids[name] = issue.id;
  }
});

const stateOf = async (id: string) =>
  (await client(server.url).get(`/api/v1/issues/${id}`, { authorization: 'Bearer token-writer' }))
    .body.state;

/** The issue's page as `token`'s user, once the API has said what they may do. */
async function openIssue(token: string, id: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('overview-counts').waitFor();
  await page.goto(new URL(`issues/${id}`, server.url).href);
  await page
    .locator('[data-testid=issue-actions][data-access=success]')
    .waitFor({ state: 'attached' });
  return page;
}

describe('the Resolve action on an issue', () => {
  it('is not shown to a reader of the namespace', async () => {
    const page = await openIssue('token-reader', ids['for-reader']!);
    assert.match(await page.getByTestId('issue-title').innerText(), /for-reader/);
    assert.equal(await page.getByRole('button', { name: 'Resolve' }).count(), 0);
    await page.close();
  });

  it('lets a writer resolve: the page shows the issue resolved, and the API agrees', async () => {
    const id = ids['for-writer']!;
    const page = await openIssue('token-writer', id);
    await assertAccessible(page, 'an active issue with its Resolve action');
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.getByTestId('issue-labels').getByText('resolved', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Resolve' }).waitFor({ state: 'detached' });
    await page.getByTestId('timeline').getByText('resolved', { exact: true }).first().waitFor();
    assert.equal(await stateOf(id), 'RESOLVED');
    await page.close();
  });

  it('shows a refused resolve in place with its status and message, then no button', async () => {
    const id = ids['for-fickle']!;
    const page = await openIssue('token-fickle', id);
    const button = page.getByRole('button', { name: 'Resolve' });
    await button.waitFor();
    // The right to change issues is taken away while the page is open.
    kube.grants.splice(
      kube.grants.findIndex((g) => g.user === 'fickle' && g.verb === 'update'),
      1,
    );
    await new Promise((resolve) => setTimeout(resolve, CACHE_TTL_MS * 2));
    await button.click();
    const error = page.getByTestId('error-state').filter({ hasText: 'Could not resolve' });
    await error.waitFor();
    assert.match(await error.innerText(), /Could not resolve the issue: HTTP 403/);
    assert.match(await error.innerText(), /Not allowed to write issues in namespace team-a/);
    await button.waitFor({ state: 'detached' });
    assert.equal(await stateOf(id), 'ACTIVE');
    assert.match(await page.getByTestId('issue-labels').innerText(), /active/);
    await page.close();
  });
});

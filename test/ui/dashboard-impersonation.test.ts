/**
 * The dashboard behind a proxy that speaks for its users with impersonation headers (the
 * console's proxy, an OAuth proxy): the proxy sends its own token plus `Impersonate-User`,
 * the browser sends no token. The server honours that only when the proxy may impersonate
 * the user (a SubjectAccessReview, as the Kubernetes API server does), and then answers
 * as that user — never with the proxy's own, wider rights. A proxy without that right
 * gets 403, which the dashboard shows with its status (not a sign-in form).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { WEB_ROOT, assertDashboardBuilt } from '../support/dashboard.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { ISSUES_RBAC } from '../support/kube-auth-server.js';
import { startProxy, type TestProxy } from '../support/proxy.js';
import { useTestServer } from '../support/test-server.js';
import { createIssueStore } from '../../src/store/issue-store.js';

let browser: TestBrowser;
let kube: KubeApiDouble;
const proxies: TestProxy[] = [];
before(async () => {
  assertDashboardBuilt();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  for (const proxy of proxies) await proxy.close();
});

const { server, onStart } = useTestServer(async () => {
  kube = await startKubeApiDouble();
  kube.namespaces.push('team-a', 'team-b');
  kube.users.set('token-dashboard-proxy', { username: 'dashboard-proxy', groups: [] });
  kube.users.set('token-other-proxy', { username: 'other-proxy', groups: [] });
  kube.grants.push(
    // Ann may read team-a's issues, nothing more.
    { user: 'ann', verb: 'get', ...ISSUES_RBAC, namespace: 'team-a' },
    // Both proxies may read and change every namespace's issues themselves…
    ...['dashboard-proxy', 'other-proxy'].flatMap((user) =>
      ['get', 'update'].map((verb) => ({ user, verb, ...ISSUES_RBAC })),
    ),
    // …and only one of them may impersonate users.
    { user: 'dashboard-proxy', verb: 'impersonate', apiGroup: '', resource: 'users' },
  );
  return { webRoot: WEB_ROOT, env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig } };
});
after(() => kube?.close());

const ids: Record<string, string> = {};
onStart(async () => {
  const store = createIssueStore(server.db);
  for (const [namespace, name] of [
    ['team-a', 'storefront'],
    ['team-b', 'billing-secret'],
  ] as const) {
    const { issue } = await store.report({
      namespace,
      issueType: 'build',
      scope: { resourceType: 'component', resourceName: name, resourceNamespace: namespace },
      title: `Build failed: ${name}`,
      description: 'exit 1',
      severity: 'critical',
    });
    ids[namespace] = issue.id;
  }
});

async function proxyAs(proxyToken: string, user: string): Promise<TestProxy> {
  const proxy = await startProxy(server.url, {
    identity: { authorization: `Bearer ${proxyToken}`, 'impersonate-user': user },
  });
  proxies.push(proxy);
  return proxy;
}

describe('the dashboard behind an impersonating proxy', () => {
  it("shows a user allowed in team-a only team-a's issues, as that user", async () => {
    const proxy = await proxyAs('token-dashboard-proxy', 'ann');
    const page = await browser.newPage();
    await page.goto(proxy.url);
    await page.getByTestId('namespace-breakdown').locator('[data-namespace=team-a]').waitFor();
    assert.equal(await page.getByLabel('Bearer token').count(), 0, 'no sign-in form');
    await page.locator('[data-testid=live-indicator][data-status=live]').waitFor();
    for (const path of ['', 'issues', 'issues?state=any']) {
      await page.goto(new URL(path, proxy.url).href);
      await page.getByTestId(path ? 'issue-table' : 'namespace-breakdown').waitFor();
      const text = await page.locator('body').innerText();
      assert.doesNotMatch(text, /team-b|billing-secret/, `/${path}`);
      assert.match(text, /storefront/, `/${path}`);
    }
    // Ann only reads: no Resolve, though the proxy itself may change every issue.
    await page.goto(new URL(`issues/${ids['team-a']}`, proxy.url).href);
    await page
      .locator('[data-testid=issue-actions][data-access=success]')
      .waitFor({ state: 'attached' });
    assert.equal(await page.getByRole('button', { name: 'Resolve' }).count(), 0);
    // team-b's issue by id: the 404 of an issue that does not exist.
    await page.goto(new URL(`issues/${ids['team-b']}`, proxy.url).href);
    const error = await page.getByTestId('error-state').textContent();
    assert.match(error ?? '', /HTTP 404/);
    assert.doesNotMatch(error ?? '', /billing/);
    assert.ok(
      kube.reviews.some((r) => r.user === 'ann' && r.attributes.namespace === 'team-a'),
      'the rights asked about are the impersonated user’s',
    );
    await page.close();
  });

  it('shows 403 and no issues behind a proxy that may not impersonate', async () => {
    const proxy = await proxyAs('token-other-proxy', 'ann');
    const page = await browser.newPage();
    await page.goto(proxy.url);
    const error = page.getByTestId('error-state').first();
    await error.waitFor();
    assert.match(await error.innerText(), /HTTP 403/);
    assert.match(await error.innerText(), /other-proxy may not impersonate users "ann"/);
    assert.equal(await page.getByLabel('Bearer token').count(), 0, 'no sign-in form');
    assert.doesNotMatch(await page.locator('body').innerText(), /storefront|billing-secret/);
    await page.close();
  });
});

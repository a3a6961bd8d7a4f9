/**
 * The dashboard with Kubernetes authentication (the API server is the test double): it
 * asks for a token when the API answers 401, keeps it in the tab's sessionStorage only,
 * and shows a user nothing of a namespace they may not read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import {
  WEB_ROOT,
  assertAccessible,
  assertDashboardBuilt,
  screenshot,
} from '../support/dashboard.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { client, useTestServer } from '../support/test-server.js';

const RBAC = { apiGroup: 'kite.konflux-ci.dev', resource: 'issues' };
let browser: TestBrowser;
let kube: KubeApiDouble;
before(async () => {
  assertDashboardBuilt();
  browser = await launchBrowser();
});
after(() => browser?.close());

const { server, onStart } = useTestServer(async () => {
  kube = await startKubeApiDouble();
  kube.namespaces.push('team-a', 'team-secret');
  kube.users.set('token-alice', { username: 'alice', groups: [] });
  kube.users.set('token-writer', { username: 'writer', groups: [] });
  kube.grants.push({ user: 'alice', verb: 'get', ...RBAC, namespace: 'team-a' });
  for (const verb of ['get', 'update', 'create'])
    kube.grants.push({ user: 'writer', verb, ...RBAC });
  return { webRoot: WEB_ROOT, env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig } };
});
after(() => kube?.close());

const secretIds: string[] = [];
onStart(async () => {
  const writer = { authorization: 'Bearer token-writer' };
  for (const [namespace, title] of [
    ['team-a', 'Build failed: storefront'],
    ['team-secret', 'Build failed: secret-project'],
  ] as const) {
    const answer = await client(server.url).post(
      '/api/v1/issues',
      {
        title,
        description: 'exit 1',
        severity: 'critical',
        issueType: 'build',
        namespace,
        scope: { resourceType: 'component', resourceName: title.slice(14) },
      },
      writer,
    );
    assert.equal(answer.status, 201);
    if (namespace === 'team-secret') secretIds.push(answer.body.id);
  }
});

async function signIn(page: Page, token: string) {
  await page.goto(server.url);
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('the dashboard with Kubernetes authentication', () => {
  it('asks for a token on a 401 and keeps it in the tab only', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.getByLabel('Bearer token').waitFor();
    assert.equal(await page.getByTestId('anonymous-banner').count(), 0);
    await assertAccessible(page, 'the sign-in form');
    await screenshot(page, 'sign-in');
    await signIn(page, 'token-alice');
    await page.getByTestId('overview-counts').waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("kite.token")'), 'token-alice');
    assert.equal(await page.evaluate('localStorage.length'), 0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Bearer token').waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("kite.token")'), null);
    await page.close();
  });

  it('shows a user nothing of a namespace they may not read', async () => {
    const page = await browser.newPage();
    await signIn(page, 'token-alice');
    await page.getByTestId('namespace-breakdown').locator('[data-namespace=team-a]').waitFor();
    const critical = Number(
      await page
        .locator('[data-testid=overview-counts] [data-count=critical] .kite-count')
        .textContent(),
    );
    assert.equal(critical, 1);
    await page.locator('[data-testid=live-indicator][data-status=live]').waitFor();
    for (const path of ['', 'issues', 'issues?state=any']) {
      await page.goto(new URL(path, server.url).href);
      await page.getByTestId(path ? 'issue-table' : 'namespace-breakdown').waitFor();
      const text = await page.locator('body').innerText();
      assert.doesNotMatch(text, /team-secret|secret-project/, `/${path}`);
      assert.match(text, /storefront/);
    }
    // A report in the other namespace, live: nothing of it arrives.
    const answer = await client(server.url).post(
      '/api/v1/webhooks/pipeline-failure',
      { pipelineName: 'secret-pipeline', namespace: 'team-secret', failureReason: 'exit 1' },
      { authorization: 'Bearer token-writer' },
    );
    assert.equal(answer.status, 201);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.doesNotMatch(await page.locator('body').innerText(), /secret/);
    assert.equal(await page.getByTestId('pending-changes').count(), 0);
    // Its issue, opened by id: the same 404 as an issue that does not exist.
    await page.goto(new URL(`issues/${secretIds[0]}`, server.url).href);
    const error = await page.getByTestId('error-state').textContent();
    assert.match(error ?? '', /HTTP 404/);
    assert.doesNotMatch(error ?? '', /secret/);
    await page.close();
  });
});

/**
 * Silences and acknowledgements on the dashboard (docs/dashboard.md): "Silenced" and
 * "Acknowledged by …" shown to every reader, in the list too; the Acknowledge button only
 * to a caller the API says may manage the namespace; acknowledging shows on the page and
 * its timeline, withdrawing takes it away. The Silences view lists a namespace's
 * silences; managers create and expire them there. Kubernetes authentication (the test
 * double).
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
import { createSilenceStore } from '../../src/store/silence-store.js';

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
  for (const user of ['reader', 'manager'])
    kube.users.set(`token-${user}`, { username: user, groups: [] });
  kube.grants.push(
    ...['reader', 'manager'].map((user) => ({
      user,
      verb: 'get',
      ...ISSUES_RBAC,
      namespace: 'team-a',
    })),
    { user: 'manager', verb: 'manage', ...ISSUES_RBAC, namespace: 'team-a' },
  );
  return {
    webRoot: WEB_ROOT,
    env: {
      KITE_AUTH_MODE: 'kubernetes',
      KUBECONFIG: kube.kubeconfig,
      KITE_RBAC_MANAGE_VERB: 'manage',
    },
  };
});
after(() => kube?.close());

const ids: Record<string, string> = {};
onStart(async () => {
  const store = createIssueStore(server.db);
  for (const name of ['quiet', 'loud']) {
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
  await createSilenceStore(server.db).create(
    {
      namespace: 'team-a',
      matchers: { resourceName: 'quiet' },
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      comment: 'known',
    },
    'manager',
  );
});

async function signIn(token: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('overview-counts').waitFor();
  return page;
}

async function openIssue(token: string, id: string): Promise<Page> {
  const page = await signIn(token);
  await page.goto(new URL(`issues/${id}`, server.url).href);
  await page
    .locator('[data-testid=issue-actions][data-access=success]')
    .waitFor({ state: 'attached' });
  return page;
}

describe('silences and acknowledgements on the dashboard', () => {
  it('marks a silenced issue on its page and in the list; a reader gets no Acknowledge button', async () => {
    const page = await openIssue('token-reader', ids['quiet']!);
    await page.getByTestId('issue-labels').getByText('Silenced', { exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Acknowledge' }).count(), 0);
    await page.goto(new URL('issues?namespace=team-a', server.url).href);
    const row = page.locator(`[data-issue-id="${ids['quiet']}"]`);
    await row.getByText('Silenced', { exact: true }).waitFor();
    const loud = page.locator(`[data-issue-id="${ids['loud']}"]`);
    assert.equal(await loud.getByText('Silenced', { exact: true }).count(), 0);
    await page.close();
  });

  it('lets a manager acknowledge: the page and its timeline show it; withdrawing removes it', async () => {
    const id = ids['loud']!;
    const page = await openIssue('token-manager', id);
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    const label = page.getByTestId('issue-labels').getByText('Acknowledged by manager');
    await label.waitFor();
    await page.getByTestId('timeline').getByText('acknowledged', { exact: true }).first().waitFor();
    await assertAccessible(page, 'an acknowledged issue with its actions');
    const api = client(server.url);
    const stored = await api.get(`/api/v1/issues/${id}`, { authorization: 'Bearer token-reader' });
    assert.equal(stored.body.acknowledgement.by, 'manager');
    await page.getByRole('button', { name: 'Withdraw acknowledgement' }).click();
    await label.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Acknowledge' }).waitFor();
    await page.close();
  });

  it('lists silences to a reader, without the form or Expire', async () => {
    const page = await signIn('token-reader');
    await page.goto(new URL('silences?namespace=team-a', server.url).href);
    await page.getByTestId('silences-table').getByText('resourceName=quiet').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Silence' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Expire' }).count(), 0);
    await page.close();
  });

  it('lets a manager create a silence, its comment shown as text, and expire it', async () => {
    const page = await signIn('token-manager');
    await page.goto(new URL('silences?namespace=team-a', server.url).href);
    await page.getByLabel('Matchers').fill('severity=critical, label:app=web');
    await page.getByLabel('Comment').fill('<b>deploy</b> window');
    await page.getByRole('button', { name: 'Silence' }).click();
    const row = page.locator('[data-silence-id]').filter({ hasText: 'label:app=web' });
    await row.getByText('<b>deploy</b> window', { exact: true }).waitFor();
    assert.match(await row.innerText(), /active/);
    await assertAccessible(page, 'the Silences view with its form');
    await row.getByRole('button', { name: 'Expire' }).click();
    await row.getByText('expired', { exact: true }).waitFor();
    await page.getByLabel('Matchers').fill('colour=red');
    await page.getByLabel('Comment').fill('x');
    await page.getByRole('button', { name: 'Silence' }).click();
    await page.getByTestId('error-state').filter({ hasText: 'Could not create' }).waitFor();
    await page.close();
  });
});

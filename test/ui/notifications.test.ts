/**
 * The Notifications view (docs/dashboard.md#notifications) with Kubernetes authentication
 * (the API server is the test double): a namespace's subscriptions in words with secret
 * references only, its failed deliveries, and Create and Delete only for those who may
 * manage subscriptions there. A ConfigMap's subscription is read-only; a 400 from the
 * server is shown in the form and stores nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { createIssueStore } from '../../src/store/issue-store.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import {
  WEB_ROOT,
  assertAccessible,
  assertDashboardBuilt,
  eventually,
  pageProblems,
  screenshot,
} from '../support/dashboard.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { ISSUES_RBAC } from '../support/kube-auth-server.js';
import { createSecretsDir, type SecretsDir } from '../support/notify-receivers.js';
import { client, useTestServer } from '../support/test-server.js';

const NS = 'team-a';
const SLACK = {
  match: { minSeverity: 'major', issueTypes: ['build', 'test'], application: 'storefront' },
  receivers: [{ type: 'slack', url: { secret: { name: 'slack-hook', key: 'url' } } }],
  repeatInterval: '4h',
};

/** Matches no issue seeded here, so only "broken" ever has a delivery. */
const RELEASES = { issueTypes: ['release'] };

const MARKUP = '<img src=x onerror=alert(1)><b>storefront</b>';

let browser: TestBrowser;
let kube: KubeApiDouble;
let secrets: SecretsDir;
before(async () => {
  assertDashboardBuilt();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await kube?.close();
  await secrets?.remove();
});

const { server, onStart } = useTestServer(async () => {
  kube = await startKubeApiDouble();
  secrets = await createSecretsDir();
  await secrets.write(NS, 'not-a-url', 'team-a slack hook (pasted wrongly)');
  kube.namespaces.push(NS);
  for (const user of ['reader', 'manager']) {
    kube.users.set(`token-${user}`, { username: user, groups: [] });
  }
  kube.grants.push(
    { user: 'reader', verb: 'get', ...ISSUES_RBAC, namespace: NS },
    ...['get', 'update'].map((verb) => ({ user: 'manager', verb, ...ISSUES_RBAC, namespace: NS })),
  );
  return {
    webRoot: WEB_ROOT,
    env: {
      KITE_AUTH_MODE: 'kubernetes',
      KUBECONFIG: kube.kubeconfig,
      KITE_RECEIVER_SECRETS_DIR: secrets.dir,
    },
    notify: { pollMs: 100, backoffMs: 30, maxAttempts: 2 },
  };
});

const api = () => {
  const http = client(server.url);
  const auth = { authorization: 'Bearer token-manager' };
  const path = (name = '') => `/api/v1/namespaces/${NS}/subscriptions${name ? `/${name}` : ''}`;
  return {
    get: (name: string) => http.get(path(name), auth),
    put: (name: string, spec: object) => http.call('PUT', path(name), spec, auth),
    remove: (name: string) => http.call('DELETE', path(name), undefined, auth),
    dead: () => http.get(`/api/v1/namespaces/${NS}/notifications?state=dead`, auth),
  };
};

onStart(async () => {
  for (const [name, spec] of [
    ['platform-slack', SLACK],
    ['from-configmap', { ...SLACK, match: RELEASES, source: 'configmap/team-a-notify' }],
    ['broken', { receivers: [{ type: 'slack', url: { file: 'not-a-url' } }], groupWait: '0s' }],
    ['markup', { match: { ...RELEASES, application: MARKUP }, receivers: SLACK.receivers }],
    ['to-delete', { match: RELEASES, receivers: [{ type: 'email', to: ['ops@example.com'] }] }],
  ] as const) {
    const answer = await api().put(name, spec);
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
  }
  // An issue change only "broken" matches, and cannot deliver: its URL is not a URL.
  await createIssueStore(server.db).report({
    namespace: NS,
    issueType: 'build',
    scope: { resourceType: 'component', resourceName: 'web', resourceNamespace: NS },
    title: 'Build failed: web',
    description: 'exit 1',
    severity: 'major',
  });
  await eventually(async () => (await api().dead()).body.items?.length === 1, 15_000);
});

/** The Notifications view of team-a as `user`, once the API has said what they may do. */
async function openAs(user: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.getByLabel('Bearer token').fill(`token-${user}`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('overview-counts').waitFor();
  await page.goto(new URL(`notifications?namespace=${NS}`, server.url).href);
  await page
    .locator('[data-testid=subscription-actions][data-access=success]')
    .waitFor({ state: 'attached' });
  await page.getByTestId('subscriptions-table').waitFor();
  return page;
}

const row = (page: Page, name: string) => page.locator(`tr[data-subscription="${name}"]`);

describe('the Notifications view', () => {
  it('lists subscriptions made through the API in words, secrets by reference', async () => {
    const page = await openAs('reader');
    const text = await row(page, 'platform-slack').innerText();
    for (const shown of [
      'severity major or worse',
      'type build or test',
      'application storefront',
      'Slack: Secret slack-hook, key url',
      'by namespace, application',
      'wait 30s, then at most every 5m',
      'repeated every 4h while open',
      'API',
    ]) {
      assert.ok(text.includes(shown), `"${shown}" is not in the row: ${text}`);
    }
    assert.match(await row(page, 'to-delete').innerText(), /E-mail: ops@example\.com/);
    assert.match(await row(page, 'broken').innerText(), /every issue in the namespace/);
    await page.close();
  });

  it('shows what users typed as text, never as markup', async () => {
    const page = await openAs('reader');
    assert.ok((await row(page, 'markup').innerText()).includes(`application ${MARKUP}`));
    assert.equal(await row(page, 'markup').locator('img, b').count(), 0);
    await page.close();
    // Not in the documentation's picture.
    assert.equal((await api().remove('markup')).status, 204);
  });

  it('is reached from the navigation', async () => {
    const page = await openAs('reader');
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByTestId('overview-counts').waitFor();
    await page.getByRole('navigation').getByRole('link', { name: 'Notifications' }).click();
    await row(page, 'platform-slack').waitFor();
    assert.equal(new URL(page.url()).pathname, '/notifications');
    await page.close();
  });

  it('shows failed deliveries with their error and attempts', async () => {
    const page = await openAs('reader');
    const dead = page.getByTestId('dead-deliveries').locator('tbody tr');
    await dead.first().waitFor();
    assert.equal(await dead.count(), 1);
    const cells = await dead.first().locator('td').allInnerTexts();
    assert.deepEqual(cells.slice(0, 6), [
      'broken',
      'Slack',
      'namespace team-a, no application',
      '1 issue',
      'the slack URL secret is not an http(s) URL',
      '1',
    ]);
    await page.close();
  });

  it('shows a reader no Create and no Delete', async () => {
    const page = await openAs('reader');
    assert.equal(await page.getByRole('button', { name: 'Create subscription' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Delete/ }).count(), 0);
    await page.close();
  });

  it('keeps a ConfigMap subscription read-only, naming its ConfigMap', async () => {
    const page = await openAs('manager');
    const configMap = row(page, 'from-configmap');
    assert.match(await configMap.innerText(), /managed by ConfigMap team-a-notify\s+read-only/);
    assert.equal(await configMap.getByRole('button', { name: /Delete/ }).count(), 0);
    assert.equal(await row(page, 'platform-slack').getByRole('button').count(), 1);
    await page.close();
  });

  it('lets a manager create a subscription through the form, stored as given', async () => {
    const page = await openAs('manager');
    const problems = pageProblems(page);
    await page.getByRole('button', { name: 'Create subscription' }).click();
    const form = page.getByTestId('subscription-form');
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('release-hook');
    await form.getByLabel('Minimum severity').selectOption('critical');
    await form.getByLabel('release', { exact: true }).check();
    await form.getByLabel('Component').fill('web');
    await form.getByLabel('Label selector').fill('env=prod');
    await form.getByLabel('Receiver').selectOption('webhook');
    await form.getByLabel('Webhook format').selectOption('cloudevents');
    await form.getByLabel('Secret name').fill('release-hook');
    await form.getByLabel('Secret key').fill('url');
    await form.getByLabel('Group wait').fill('10s');
    await assertAccessible(page, 'the Create subscription form');
    await form.getByRole('button', { name: 'Create', exact: true }).click();
    await row(page, 'release-hook').waitFor();
    await form.waitFor({ state: 'detached' });
    const stored = await api().get('release-hook');
    assert.equal(stored.status, 200);
    const { createdAt, updatedAt, ...spec } = stored.body;
    assert.ok(Date.parse(createdAt) <= Date.parse(updatedAt));
    assert.deepEqual(spec, {
      name: 'release-hook',
      namespace: NS,
      source: 'api',
      match: {
        minSeverity: 'critical',
        issueTypes: ['release'],
        component: 'web',
        labelSelector: 'env=prod',
      },
      receivers: [
        {
          type: 'webhook',
          url: { secret: { name: 'release-hook', key: 'url' } },
          format: 'cloudevents',
        },
      ],
      groupBy: ['namespace', 'application'],
      groupWait: '10s',
      groupInterval: '5m',
      repeatInterval: null,
    });
    assert.match(await row(page, 'release-hook').innerText(), /Webhook \(cloudevents\)/);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('shows the server 400 in the form with its message, and stores nothing', async () => {
    const page = await openAs('manager');
    await page.getByRole('button', { name: 'Create subscription' }).click();
    const form = page.getByTestId('subscription-form');
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('bad-wait');
    await form.getByLabel('Secret name').fill('slack-hook');
    await form.getByLabel('Secret key').fill('url');
    await form.getByLabel('Group wait').fill('soon');
    await form.getByRole('button', { name: 'Create', exact: true }).click();
    const error = form.getByTestId('error-state');
    await error.waitFor();
    assert.match(await error.innerText(), /Could not create the subscription: HTTP 400/);
    assert.match(await error.innerText(), /groupWait.*duration/);
    assert.equal((await api().get('bad-wait')).status, 404);
    await page.close();
  });

  it('refuses a name already taken, so creating never replaces one', async () => {
    const page = await openAs('manager');
    await page.getByRole('button', { name: 'Create subscription' }).click();
    const form = page.getByTestId('subscription-form');
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('from-configmap');
    await form.getByText('A subscription named from-configmap exists already').waitFor();
    assert.ok(await form.getByRole('button', { name: 'Create', exact: true }).isDisabled());
    await page.close();
  });

  it('lets a manager delete a subscription after confirming', async () => {
    const page = await openAs('manager');
    await row(page, 'to-delete').getByRole('button', { name: 'Delete to-delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete subscription to-delete?' });
    await dialog.waitFor();
    await assertAccessible(page, 'the delete confirmation');
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await row(page, 'to-delete').waitFor({ state: 'detached' });
    assert.equal((await api().get('to-delete')).status, 404);
    await page.close();
  });

  it('passes axe-core with its tables and actions', async () => {
    const page = await openAs('manager');
    await page.getByTestId('dead-deliveries').waitFor();
    await assertAccessible(page, 'the Notifications view');
    // Tall enough to show both tables in the documentation's picture.
    await page.setViewportSize({ width: 1280, height: 1100 });
    await screenshot(page, 'notifications');
    await page.close();
  });
});

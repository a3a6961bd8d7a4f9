/**
 * The dashboard under a path prefix, as behind the console's plugin proxy: a proxy that
 * strips `/api/proxy/plugin/kite/kite/` in front of a server whose KITE_PUBLIC_URL names
 * that path. Assets, API calls, the live stream and in-app links all stay under it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { WEB_ROOT, assertDashboardBuilt, pageProblems } from '../support/dashboard.js';
import { startProxy, type TestProxy } from '../support/proxy.js';
import { useTestServer } from '../support/test-server.js';

const PREFIX = '/api/proxy/plugin/kite/kite/';
let browser: TestBrowser;
let proxy: TestProxy;

before(async () => {
  assertDashboardBuilt();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await proxy?.close();
});

const { server, api, onStart } = useTestServer({
  webRoot: WEB_ROOT,
  env: { KITE_PUBLIC_URL: `https://console.example.com${PREFIX}` },
});

onStart(async () => {
  assert.equal(
    (
      await api.post('/api/v1/webhooks/pipeline-failure', {
        pipelineName: 'prefixed-on-push',
        namespace: 'team-a',
        failureReason: 'exit 1',
      })
    ).status,
    201,
  );
  proxy = await startProxy(server.url, { prefix: PREFIX });
});

describe('the dashboard under a path prefix', () => {
  it('loads, reads the API, goes live and links within the prefix', async () => {
    const page = await browser.newPage();
    const problems = pageProblems(page);
    await page.goto(`${proxy.url}issues?issueType=pipeline`);
    await page.getByText('Pipeline run failed: prefixed-on-push').waitFor();
    await page.locator('[data-testid=live-indicator][data-status=live]').waitFor();
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByTestId('overview-counts').waitFor();
    assert.equal(new URL(page.url()).pathname, PREFIX);
    await page.getByRole('link', { name: 'Pipeline run failed: prefixed-on-push' }).first().click();
    await page.getByTestId('timeline').waitFor();
    assert.match(new URL(page.url()).pathname, new RegExp(`^${PREFIX}issues/[0-9a-f-]{36}$`));
    await page.reload();
    await page.getByTestId('timeline').waitFor();
    assert.deepEqual(proxy.outside, [], 'requests outside the prefix');
    assert.deepEqual(problems, []);
  });
});

/**
 * The dashboard under a path prefix, as behind the console's plugin proxy: a proxy that
 * strips `/api/proxy/plugin/kite/kite/` in front of a server whose KITE_PUBLIC_URL names
 * that path. Assets, API calls, the live stream and in-app links all stay under it.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { WEB_ROOT, assertDashboardBuilt, pageProblems } from '../support/dashboard.js';
import { useTestServer } from '../support/test-server.js';

const PREFIX = '/api/proxy/plugin/kite/kite/';
let browser: TestBrowser;
let proxy: Server;
let proxyUrl: string;
const outside: string[] = [];

before(async () => {
  assertDashboardBuilt();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
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
  proxy = createServer((incoming, answer) => {
    const url = incoming.url ?? '/';
    if (!url.startsWith(PREFIX)) {
      outside.push(url);
      answer.writeHead(404).end();
      return;
    }
    const upstream = request(
      new URL(url.slice(PREFIX.length - 1), server.url),
      { method: incoming.method, headers: incoming.headers },
      (reply) => {
        answer.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(answer);
      },
    );
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${PREFIX}`;
});

describe('the dashboard under a path prefix', () => {
  it('loads, reads the API, goes live and links within the prefix', async () => {
    const page = await browser.newPage();
    const problems = pageProblems(page);
    await page.goto(`${proxyUrl}issues?issueType=pipeline`);
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
    assert.deepEqual(outside, [], 'requests outside the prefix');
    assert.deepEqual(problems, []);
  });
});

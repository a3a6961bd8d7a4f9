/**
 * The dashboard in headless Chromium against a real `kite serve` (anonymous development
 * mode) with seeded issues: what it shows equals what the API answers, filters live in
 * the URL, changes arrive live (also those made while the event stream was cut), errors
 * show their status, and axe-core finds nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import {
  WEB_ROOT,
  assertAccessible,
  assertDashboardBuilt,
  eventually,
  pageProblems,
  screenshot,
} from '../support/dashboard.js';
import { eventStreamCutter } from '../support/event-streams.js';
import { useTestServer } from '../support/test-server.js';

const SEVERITIES = ['critical', 'major', 'minor', 'info'];
const TYPES = ['build', 'test', 'release', 'dependency', 'pipeline'];

let browser: TestBrowser;
let page: Page;
let problems: string[];
/** The API requests the page sent (path and query), in order. */
let apiRequests: string[];
// Registered before the server's hooks: the browser (and its open event streams) closes
// first, so the server's shutdown does not wait for them.
before(async () => {
  assertDashboardBuilt();
  browser = await launchBrowser();
});
after(() => browser?.close());
const { server, api, onStart } = useTestServer({ webRoot: WEB_ROOT });

const issue = (n: number, namespace: string, severity: string, issueType: string) => ({
  title: `Seeded ${severity} ${issueType} failure ${n}`,
  description: `Step build of run ${n} exited with code 1\n<script>alert(1)</script>`,
  severity,
  issueType,
  namespace,
  // One scope per issue: a report with the same namespace, type and scope updates an issue.
  scope: { resourceType: 'component', resourceName: `component-${n}` },
  links: [{ title: 'Pipeline run logs', url: `https://konflux.example.com/runs/${n}` }],
  labels: { 'appstudio.openshift.io/component': `component-${n % 3}` },
});

onStart(async () => {
  let n = 0;
  for (const namespace of ['team-a', 'team-b']) {
    for (const severity of SEVERITIES) {
      for (const issueType of TYPES.slice(0, severity === 'critical' ? 1 : 3)) {
        const answer = await api.post('/api/v1/issues', issue(n++, namespace, severity, issueType));
        assert.equal(answer.status, 201);
      }
    }
  }
  const first = (await api.get('/api/v1/issues?namespace=team-b&limit=1')).body.data[0];
  assert.equal((await api.post(`/api/v1/issues/${first.id}/resolve`)).status, 200);
});

const open = async (path: string) => {
  // One page at a time: each holds an event stream, and Chromium opens at most six
  // connections to one server, so earlier pages left open would starve a later one.
  await page?.close();
  page = await browser.newPage();
  problems = pageProblems(page);
  apiRequests = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/')) apiRequests.push(url.pathname + url.search);
  });
  await page.goto(new URL(path, server.url).href);
};
/** Whether a request is for the event stream (to make it fail with `page.route`). */
const isEventStream = (url: URL) => url.pathname.endsWith('/api/v1/events');
const count = async (selector: string) =>
  Number(((await page.locator(selector).textContent()) ?? '').replace(/,/g, ''));

describe('the dashboard in a browser', () => {
  it('shows on the overview the counts the API answers', async () => {
    await open('/');
    await page.getByTestId('overview-counts').waitFor();
    const active = (await api.get('/api/v1/issues/counts?state=ACTIVE')).body;
    const all = (await api.get('/api/v1/issues/counts')).body;
    const shown = `[data-testid=overview-counts]`;
    for (const severity of SEVERITIES) {
      assert.equal(
        await count(`${shown} [data-count=${severity}] .kite-count`),
        active.bySeverity[severity],
        severity,
      );
    }
    for (const type of TYPES) {
      assert.equal(
        await count(`${shown} [data-count=${type}] .kite-count`),
        active.byType[type],
        type,
      );
    }
    assert.equal(await count(`${shown} [data-count=ACTIVE] .kite-count`), all.byState.ACTIVE);
    assert.equal(await count(`${shown} [data-count=RESOLVED] .kite-count`), all.byState.RESOLVED);
    const overview = (await api.get('/api/v1/overview')).body;
    for (const kind of ['created', 'reopened', 'resolved']) {
      assert.equal(
        await count(`${shown} [data-count=${kind}] .kite-count`),
        overview.changes[kind],
        kind,
      );
    }
    const teamB = page.getByTestId('namespace-breakdown').locator('[data-namespace=team-b]');
    const teamBCounts = (await api.get('/api/v1/issues/counts?namespace=team-b&state=ACTIVE')).body;
    assert.equal(
      Number(await teamB.locator('td[data-label=Active]').textContent()),
      teamBCounts.total,
    );
    const component = page
      .getByTestId('component-breakdown')
      .locator('[data-namespace=team-a][data-component=component-1]');
    const componentCounts = (
      await api.get(
        '/api/v1/issues/counts?namespace=team-a&state=ACTIVE&labelSelector=appstudio.openshift.io/component=component-1',
      )
    ).body;
    assert.equal(
      Number(await component.locator('td[data-label=Active]').textContent()),
      componentCounts.total,
    );
    await page.getByText('Live', { exact: true }).waitFor();
    // One request draws the overview; the other is the live stream that refreshes it.
    assert.deepEqual(apiRequests.map((request) => new URL(request, server.url).pathname).sort(), [
      '/api/v1/events',
      '/api/v1/overview',
    ]);
    await assertAccessible(page, 'the overview');
    await screenshot(page, 'overview');
    assert.deepEqual(problems, []);
  });

  it('narrows the list by a filter kept in the URL, also after a reload', async () => {
    await open('/issues');
    const rows = page.getByTestId('issue-table').locator('tbody tr');
    const everything = (await api.get('/api/v1/issues?state=ACTIVE')).body.total;
    await assert.doesNotReject(rows.nth(everything - 1).waitFor());
    await page.getByLabel('Severity').selectOption('major');
    await page.waitForURL(/severity=major/);
    const majors = (await api.get('/api/v1/issues?state=ACTIVE&severity=major')).body;
    assert.ok(majors.total > 0 && majors.total < everything, `${majors.total} of ${everything}`);
    const expectTitles = async () => {
      await eventually(async () => (await rows.count()) === majors.total);
      const titles = await rows.locator('td[data-label=Issue]').allTextContents();
      assert.deepEqual(titles.sort(), majors.data.map((i: any) => i.title).sort());
    };
    await expectTitles();
    await page.reload();
    await expectTitles();
    assert.equal(await page.getByLabel('Severity').inputValue(), 'major');
    await page.getByLabel('Group by').selectOption('component');
    await page.waitForURL(/severity=major&group=component/);
    const components = new Set(
      majors.data.map((i: any) => i.labels['appstudio.openshift.io/component']),
    );
    await eventually(async () => (await page.locator('[data-group]').count()) === components.size);
    assert.deepEqual(
      (
        await page
          .locator('[data-group]')
          .evaluateAll((all) => all.map((g) => g.getAttribute('data-group')))
      ).sort(),
      [...components].sort(),
    );
    await assertAccessible(page, 'the issues list');
    await screenshot(page, 'issues');
    assert.deepEqual(problems, []);
  });

  it('narrows the list to a chosen namespace, its select named by what it shows', async () => {
    await open('/issues');
    const rows = page.getByTestId('issue-table').locator('tbody tr');
    await rows.first().waitFor();
    await page.getByRole('button', { name: 'Namespaces: All my namespaces' }).click();
    await page.getByRole('menuitem', { name: 'team-a' }).click();
    await page.waitForURL(/namespace=team-a/);
    await page.keyboard.press('Escape');
    const teamA = (await api.get('/api/v1/issues?state=ACTIVE&namespace=team-a')).body;
    await eventually(async () => (await rows.count()) === teamA.data.length);
    assert.deepEqual(
      [...new Set(await rows.locator('td[data-label=Namespace]').allTextContents())],
      ['team-a'],
    );
    // Its name holds its visible text (the namespace and the count badge).
    await page.getByRole('button', { name: 'Namespaces: team-a 1' }).waitFor();
    await assertAccessible(page, 'the issues list of one namespace');
    assert.deepEqual(problems, []);
  });

  it('orders the list by the sort control, kept in the URL, also after a reload', async () => {
    await open('/issues');
    const rows = page.getByTestId('issue-table').locator('tbody tr');
    const titles = () => rows.locator('td[data-label=Issue]').allTextContents();
    const order = async (sort: string) =>
      (await api.get(`/api/v1/issues?state=ACTIVE${sort}`)).body.data.map((i: any) => i.title);
    const newest = await order('');
    const worst = await order('&sort=-severity');
    assert.notDeepEqual(worst, newest, 'the seeded issues are in another order by severity');
    assert.match(worst[0], /^Seeded critical /);
    const shows = async (expected: string[]) => {
      await eventually(async () => JSON.stringify(await titles()) === JSON.stringify(expected));
      assert.deepEqual(await titles(), expected);
    };
    await shows(newest);
    const sort = page.getByLabel('Sort', { exact: true });
    assert.equal(await sort.inputValue(), '');
    await sort.selectOption({ label: 'Worst severity first' });
    await page.waitForURL(/\/issues\?sort=-severity$/);
    await shows(worst);
    await page.reload();
    await shows(worst);
    assert.equal(await page.getByLabel('Sort', { exact: true }).inputValue(), '-severity');
    await page.getByLabel('Sort', { exact: true }).selectOption({ label: 'Oldest first' });
    await page.waitForURL(/sort=detectedAt$/);
    await shows([...newest].reverse());
    await page.getByLabel('Sort', { exact: true }).selectOption({ label: 'Newest first' });
    await page.waitForURL(/\/issues$/);
    await shows(newest);
    await assertAccessible(page, 'the sorted issues list');
    assert.deepEqual(problems, []);
  });

  it('shows an issue reported through a webhook within 2 s, without a reload', async (t) => {
    await open('/issues');
    await page.getByTestId('issue-table').waitFor();
    await page.locator('[data-testid=live-indicator][data-status=live]').waitFor();
    const answer = await api.post('/api/v1/webhooks/pipeline-failure', {
      pipelineName: 'live-check-on-push',
      namespace: 'team-a',
      failureReason: 'exit 1',
    });
    assert.equal(answer.status, 201);
    const sent = Date.now();
    await page.getByText('Pipeline run failed: live-check-on-push').waitFor({ timeout: 2000 });
    const ms = Date.now() - sent;
    t.diagnostic(`shown ${ms} ms after the webhook answered`);
    assert.ok(ms <= 2000, `shown after ${ms} ms`);
  });

  it('refreshes the overview on live changes, once for a burst of them', async () => {
    await open('/');
    await page.getByTestId('overview-counts').waitFor();
    await page.locator('[data-testid=live-indicator][data-status=live]').waitFor();
    const before = apiRequests.filter((r) => r.startsWith('/api/v1/overview')).length;
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api.post('/api/v1/webhooks/pipeline-failure', {
          pipelineName: `overview-burst-${i}`,
          namespace: 'team-b',
          failureReason: 'exit 1',
        }),
      ),
    );
    assert.deepEqual(
      answers.map((answer) => answer.status),
      Array.from({ length: 10 }, () => 201),
    );
    const pipelines = (await api.get('/api/v1/issues/counts?state=ACTIVE')).body.byType.pipeline;
    const shown = '[data-testid=overview-counts] [data-count=pipeline] .kite-count';
    await eventually(async () => (await count(shown)) === pipelines, 3000);
    const refreshes = apiRequests.filter((r) => r.startsWith('/api/v1/overview')).length - before;
    // One a second at most: a loaded machine may spread the ten over a second or two.
    assert.ok(refreshes >= 1 && refreshes <= 3, `${refreshes} refreshes for 10 changes`);
  });

  it('shows a report made while its stream was cut before any event, once it reconnects', async (t) => {
    const cutter = eventStreamCutter(server);
    try {
      await open('/issues');
      await page.getByTestId('issue-table').waitFor();
      const indicator = page.getByRole('status', { name: 'Live updates' });
      await indicator.filter({ hasText: /^Live$/ }).waitFor();
      // Until the report is in, the page's attempts to reconnect fail, as when offline.
      await page.route(isEventStream, (route) => route.abort('internetdisconnected'));
      assert.equal(cutter.cut(), 1, "the page's stream");
      await indicator.filter({ hasText: /^Reconnecting in \d+ s$/ }).waitFor();
      await assertAccessible(page, 'the live indicator while reconnecting');
      const answer = await api.post('/api/v1/webhooks/pipeline-failure', {
        pipelineName: 'while-cut-on-push',
        namespace: 'team-a',
        failureReason: 'exit 1',
      });
      assert.equal(answer.status, 201);
      const title = page.getByText('Pipeline run failed: while-cut-on-push');
      assert.equal(await title.count(), 0, 'not shown while disconnected');
      await page.unroute(isEventStream);
      const back = Date.now();
      await indicator.filter({ hasText: /^Live$/ }).waitFor({ timeout: 10_000 });
      const live = Date.now();
      await title.waitFor({ timeout: 2000 });
      t.diagnostic(
        `live ${live - back} ms after going online, shown ${Date.now() - live} ms later`,
      );
      const failedLoads = /^Failed to load resource: net::ERR_/;
      assert.deepEqual(
        problems.filter((problem) => !failedLoads.test(problem)),
        [],
      );
    } finally {
      cutter.stop();
      // Its stream holds one of the browser's 6 connections to the server.
      await page.close();
    }
  });

  it("gives a browser's EventSource cut before any event the change made meanwhile", async () => {
    const cutter = eventStreamCutter(server);
    try {
      page = await browser.newPage();
      await page.goto(new URL('/healthz', server.url).href);
      await page.evaluate(
        () =>
          new Promise<void>((resolve) => {
            const source = new EventSource('/api/v1/events?namespace=team-b');
            const seen: string[] = [];
            Object.assign(globalThis, { seen });
            source.addEventListener('created', (event) => seen.push((event as MessageEvent).data));
            source.onopen = () => resolve();
          }),
      );
      // It reconnects every 3 s (the stream's `retry:`), failing until the report is in.
      await page.route(isEventStream, (route) => route.abort('internetdisconnected'));
      assert.equal(cutter.cut(), 1);
      const answer = await api.post('/api/v1/webhooks/pipeline-failure', {
        pipelineName: 'event-source-away',
        namespace: 'team-b',
        failureReason: 'exit 1',
      });
      assert.equal(answer.status, 201);
      await page.unroute(isEventStream);
      const first = await page.waitForFunction(
        () => (globalThis as unknown as { seen: string[] }).seen[0] ?? false,
        undefined,
        { timeout: 10_000 },
      );
      assert.equal(JSON.parse(String(await first.jsonValue())).id, answer.body.issue.id);
    } finally {
      cutter.stop();
      await page.close();
    }
  });

  it('opens an issue with its description as text, its links and its timeline', async () => {
    await open('/issues?severity=critical');
    await page.getByTestId('issue-table').locator('tbody tr a').first().click();
    await page.getByTestId('issue-title').waitFor();
    assert.match(page.url(), /\/issues\/[0-9a-f-]{36}$/);
    const description = await page.getByTestId('issue-description').textContent();
    assert.match(description ?? '', /<script>alert\(1\)<\/script>/);
    const link = page.getByRole('link', { name: 'Pipeline run logs' });
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    assert.match((await link.getAttribute('href')) ?? '', /^https:\/\/konflux\.example\.com\//);
    await page.getByTestId('timeline').getByText('created').waitFor();
    // In auth mode none anyone may change every issue: the active issue offers Resolve.
    await page.getByRole('button', { name: 'Resolve' }).waitFor();
    await assertAccessible(page, 'an issue');
    await screenshot(page, 'issue-detail');
    assert.deepEqual(problems, []);
  });

  it('shows a failed request in place with its status and a retry', async () => {
    await open('/issues?labelSelector=a%20b');
    const error = page.getByTestId('error-state');
    await error.waitFor();
    const text = (await error.textContent()) ?? '';
    assert.match(text, /HTTP 400/);
    assert.match(text, /labelSelector: invalid label key "a b"/);
    await error.getByRole('button', { name: 'Retry' }).waitFor();
    await assertAccessible(page, 'the error state');
    await screenshot(page, 'error');
  });

  it('serves index.html uncached with a CSP, hashed assets as immutable', async () => {
    const index = await fetch(new URL('/issues/anything', server.url));
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self';/);
    const html = await index.text();
    assert.doesNotMatch(html.replace(/<script[^>]*src=[^>]*><\/script>/g, ''), /<script/);
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset);
    const js = await fetch(new URL(`/${asset}`, server.url), {
      headers: { 'accept-encoding': 'gzip' },
    });
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const missing = await api.get('/api/v1/no-such-route');
    assert.deepEqual(
      [missing.status, missing.body],
      [404, { error: 'Route GET /api/v1/no-such-route not found' }],
    );
  });
});

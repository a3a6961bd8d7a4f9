/**
 * MintMaker run logs in the dashboard, in headless Chromium against a real `kite serve`
 * with Kubernetes authentication (the API server double) and archived runs: the runs
 * page lists a namespace's runs and opens their logs, an issue shows its run's log, a
 * 50 MB log scrolls and searches with a small DOM, line anchors survive reload, a user
 * of another namespace sees nothing of the runs, and axe-core finds no violations.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { axeViolations, launchBrowser, type TestBrowser } from '../support/browser.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { addMintmakerPeople } from '../support/mintmaker-people.js';
import {
  archiveRun,
  DEEP_NEEDLE,
  LIVE_RUN,
  liveRunObjects,
  renovateLog,
} from '../support/run-log-seeds.js';
import { useTestServer } from '../support/test-server.js';

const BIG_LINES = 405_000;
const NEEDLE_AT = 390_000;
const SCREENSHOTS = process.env.KITE_UPDATE_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/screenshots', import.meta.url))
  : mkdtempSync(join(tmpdir(), 'kite-screenshots-'));

let browser: TestBrowser;
let kube: KubeApiDouble;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});
const { server, api, onStart } = useTestServer(async () => {
  kube = await startKubeApiDouble();
  addMintmakerPeople(kube);
  kube.namespaces.push('team-a', 'team-b', 'mintmaker');
  // Alice also files the issue that links to a run (writing issues takes `update`).
  kube.grants.push({
    group: 'team-a-devs',
    verb: 'update',
    apiGroup: 'kite.konflux-ci.dev',
    resource: 'issues',
    namespace: 'team-a',
  });
  return { env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig } };
});
after(() => kube?.close());

const small = [
  '{"level":30,"time":"2026-12-03T07:00:01.000Z","msg":"Repository started"}',
  '{"level":20,"time":"2026-12-03T07:00:01.500Z","msg":"Using config from renovate.json"}',
  '{"level":40,"time":"2026-12-03T07:00:02.000Z","msg":"Package lookup failed for <img src=x onerror=alert(1)>"}',
  '{"level":50,"time":"2026-12-03T07:00:03.000Z","msg":"Repository has unknown error","err":{"message":"registry answered 500"}}',
  '{"level":30,"time":"2026-12-03T07:00:04.000Z","msg":"Repository finished"}',
].join('\n');
let issueId = '';
let bigBytes = 0;

onStart(async () => {
  const live = liveRunObjects(false);
  kube.apply(live.pod);
  kube.setPodLog('mintmaker', live.podName, live.container, `${small.split('\n')[0]}\n`);
  kube.apply(live.taskRun);
  kube.apply(live.pipelineRun);
  const completionTime = '2026-12-03T07:04:00Z';
  await archiveRun(server.url, {
    name: 'renovate-small',
    namespace: 'team-a',
    component: 'frontend',
    status: 'Failed',
    completionTime,
    steps: [
      ['build', 'prepare-db', 'preparing the database\ndone\n'],
      ['build', 'renovate', `${small}\n`],
      ['build', 'log-sanitizer', 'sanitized 5 lines\n'],
    ],
  });
  const big = renovateLog(BIG_LINES, NEEDLE_AT);
  bigBytes = Buffer.byteLength(big);
  await archiveRun(server.url, {
    name: 'renovate-big',
    namespace: 'team-a',
    component: 'backend',
    status: 'Succeeded',
    completionTime: '2026-12-03T06:04:00Z',
    steps: [['build', 'renovate', big]],
  });
  await archiveRun(server.url, {
    name: 'renovate-bobs',
    namespace: 'team-b',
    component: 'api',
    status: 'Succeeded',
    completionTime,
    steps: [['build', 'renovate', `${small}\n`]],
  });
  const issue = await api.post(
    '/api/v1/issues',
    {
      title: 'Renovate failed for frontend',
      description: 'Repository has unknown error',
      severity: 'major',
      issueType: 'dependency',
      namespace: 'team-a',
      scope: { resourceType: 'component', resourceName: 'frontend' },
      links: [{ title: 'Run logs', url: '/api/v1/mintmaker/runs/renovate-small/logs' }],
    },
    { authorization: 'Bearer token-alice' },
  );
  assert.equal(issue.status, 201, JSON.stringify(issue.body));
  issueId = (issue.body as { id: string }).id;
});

async function open(path: string, token: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
  await page.addInitScript(`sessionStorage.setItem('kite.token', ${JSON.stringify(token)})`);
  await page.goto(new URL(path, server.url).href);
  return { page, problems };
}

/** Waits until the viewer has read the whole log (the status line no longer says "…"). */
const loaded = (page: Page) =>
  page
    .getByTestId('log-status')
    .filter({ hasText: /lines?, [\d.]+ [KM]iB$/ })
    .waitFor({ timeout: 120_000 });
const lineNodes = (page: Page) => page.locator('[data-testid=log-box] .kite-log-line').count();
/** Whether line `n` (1-based) is drawn inside the log box's visible area. */
const inView = (page: Page, n: number): Promise<boolean> =>
  page.evaluate(`(() => {
    const box = document.querySelector('[data-testid=log-box]').getBoundingClientRect();
    const line = document.querySelector('[data-line="${n}"]')?.getBoundingClientRect();
    return line !== undefined && line.top >= box.top && line.bottom <= box.bottom;
  })()`);

async function assertAccessible(page: Page, view: string) {
  const violations = await axeViolations(page);
  const found = violations.map(
    (v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  assert.deepEqual(found, [], `axe-core found violations on ${view}`);
}

async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), animations: 'disabled' });
}

describe('MintMaker run logs in the dashboard', () => {
  it("lists a namespace's runs with their status and links to their logs", async () => {
    const { page, problems } = await open('runs?namespace=team-a', 'token-alice');
    const table = page.getByTestId('runs-table');
    await table.waitFor();
    assert.deepEqual(
      await table
        .locator('tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run'))),
      [LIVE_RUN, 'renovate-small', 'renovate-big'],
    );
    assert.equal(
      await table.locator('tr[data-run=renovate-small] [data-status]').textContent(),
      'Failed',
    );
    await assertAccessible(page, 'the runs page');
    await screenshot(page, 'mintmaker-runs');
    await table.getByRole('link', { name: 'renovate-small' }).click();
    await loaded(page);
    assert.match(page.url(), /\/runs\/renovate-small\/logs\?namespace=team-a/);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('shows the steps as sections and Renovate lines as text coloured by level, never as markup', async () => {
    const { page, problems } = await open(
      'runs/renovate-small/logs?namespace=team-a',
      'token-alice',
    );
    await loaded(page);
    const steps = await page.getByTestId('log-step').locator('option').allTextContents();
    assert.deepEqual(steps, ['build/prepare-db', 'build/renovate', 'build/log-sanitizer']);
    assert.equal(await page.locator('.kite-log-section').count(), 3);
    const error = await page.locator('.kite-log-error .kite-log-text').textContent();
    assert.equal(
      error,
      '2026-12-03T07:00:03.000Z ERROR Repository has unknown error (registry answered 500)',
    );
    assert.match(
      (await page.locator('.kite-log-warn').textContent()) ?? '',
      /<img src=x onerror=alert\(1\)>/,
    );
    assert.equal(await page.locator('[data-testid=log-box] img').count(), 0);
    await page.getByRole('textbox', { name: 'Search the log' }).fill('repository');
    await page.getByRole('textbox', { name: 'Search the log' }).press('Enter');
    await page.locator('.kite-log-current mark').first().waitFor();
    assert.equal(await page.locator('[data-testid=log-box] mark').count(), 3);
    await page.getByRole('link', { name: 'Line 8', exact: true }).click();
    await assertAccessible(page, 'the log viewer');
    await screenshot(page, 'mintmaker-log-viewer');
    assert.deepEqual(problems, []);
    await page.close();
  });

  it("opens a MintMaker issue's run log on the issue's page", async () => {
    const { page, problems } = await open(`issues/${issueId}`, 'token-alice');
    const inline = page.getByTestId('issue-run-logs');
    await inline.getByText('Repository started').waitFor();
    await inline.getByRole('link', { name: /Open renovate-small/ }).click();
    await loaded(page);
    assert.match(page.url(), /\/runs\/renovate-small\/logs\?namespace=team-a$/);
    assert.equal(await page.getByTestId('run-title').textContent(), 'renovate-small');
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('follows a running run: lines written later appear in view until the run ends', async () => {
    const { page, problems } = await open(`runs/${LIVE_RUN}/logs?namespace=team-a`, 'token-alice');
    await page.getByTestId('log-box').getByText('Repository started').waitFor();
    assert.equal(await page.getByRole('switch', { name: 'Follow' }).isChecked(), true);
    const live = liveRunObjects(true);
    for (let i = 1; i <= 100; i++) {
      const line = JSON.stringify({
        level: 30,
        time: '2026-12-03T09:01:00.000Z',
        msg: `update ${i}`,
      });
      kube.appendPodLog('mintmaker', live.podName, live.container, `${line}\n`);
    }
    const last = page.locator('[data-testid=log-box] .kite-log-line', { hasText: /update 100$/ });
    await last.waitFor();
    const n = Number(await last.getAttribute('data-line'));
    const deadline = Date.now() + 2000;
    while (!(await inView(page, n)) && Date.now() < deadline) await page.waitForTimeout(50);
    assert.ok(await inView(page, n), 'follow keeps the newest line in view');
    kube.endPodLog('mintmaker', live.podName, live.container);
    kube.apply(live.taskRun);
    kube.apply(live.pipelineRun);
    await loaded(page);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('scrolls and searches a 50 MB log keeping under 2,000 line nodes', async () => {
    assert.ok(bigBytes > 50_000_000, `the big log has ${bigBytes} bytes`);
    const { page, problems } = await open('runs/renovate-big/logs?namespace=team-a', 'token-alice');
    const started = Date.now();
    await loaded(page);
    const loadMs = Date.now() - started;
    const status = (await page.getByTestId('log-status').textContent()) ?? '';
    assert.match(status, /^405,001 lines/, status);
    assert.ok((await lineNodes(page)) < 2000);
    const top = await page.getByTestId('log-box').evaluate((box) => {
      box.scrollTop = box.scrollHeight / 2;
      return box.scrollTop;
    });
    const middle = Math.floor(top / 20) + 5;
    assert.ok(middle > 200_000, `scrolled to ${top} px`);
    await page.locator(`[data-line="${middle}"]`).waitFor();
    assert.ok(await inView(page, middle));
    assert.ok((await lineNodes(page)) < 2000);
    const search = page.getByRole('textbox', { name: 'Search the log' });
    const searchStarted = Date.now();
    await search.fill(DEEP_NEEDLE);
    await search.press('Enter');
    const deep = page.locator('.kite-log-current');
    await deep.waitFor();
    const searchMs = Date.now() - searchStarted;
    assert.equal(await deep.getAttribute('data-line'), String(NEEDLE_AT + 1));
    assert.match((await deep.textContent()) ?? '', new RegExp(DEEP_NEEDLE));
    assert.ok(await inView(page, NEEDLE_AT + 1));
    assert.match(
      (await page.locator('.kite-log-toolbar .pf-v6-c-badge').textContent()) ?? '',
      /^1\/1 matches/,
    );
    const nodes: number = await page.evaluate(`document.getElementsByTagName('*').length`);
    assert.ok((await lineNodes(page)) < 2000 && nodes < 5000, `${nodes} elements`);
    console.log(
      `# 50 MB log: ${bigBytes} bytes read in ${loadMs} ms, searched in ${searchMs} ms, ${nodes} elements`,
    );
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('keeps a line anchor in the URL across a reload', async () => {
    const { page } = await open('runs/renovate-big/logs?namespace=team-a#L300000', 'token-alice');
    await page.locator('.kite-log-anchored[data-line="300000"]').waitFor({ timeout: 120_000 });
    assert.ok(await inView(page, 300_000));
    await page.getByRole('link', { name: 'Line 300002', exact: true }).click();
    assert.match(page.url(), /#L300002$/);
    await page.reload();
    await page.locator('.kite-log-anchored[data-line="300002"]').waitFor({ timeout: 120_000 });
    assert.ok(await inView(page, 300_002));
    await page.close();
  });

  it('shows a user of another namespace nothing of its runs', async () => {
    const { page } = await open('runs?namespace=team-a', 'token-bob');
    await page
      .getByText(/No MintMaker runs|Could not load the MintMaker runs/)
      .first()
      .waitFor();
    assert.equal(await page.getByText('renovate-small').count(), 0);
    assert.deepEqual(
      await page.getByRole('combobox', { name: 'Namespace' }).locator('option').allTextContents(),
      ['team-a', 'team-b'],
    );
    await page.goto(new URL('runs/renovate-small/logs?namespace=team-a', server.url).href);
    await page.getByTestId('error-state').waitFor();
    assert.match((await page.getByTestId('error-state').textContent()) ?? '', /HTTP 404/);
    assert.equal(await lineNodes(page), 0);
    await page.goto(new URL('runs', server.url).href);
    await page.getByTestId('runs-table').waitFor();
    assert.deepEqual(
      await page
        .locator('tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run'))),
      ['renovate-bobs'],
    );
    await page.close();
  });
});

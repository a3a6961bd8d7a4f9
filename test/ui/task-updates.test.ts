/**
 * Task updates in the dashboard (docs/dashboard.md): wherever issues are listed and on
 * an issue's page, the due date reads "due in 5 days" or "overdue by 2 days" (in the
 * danger colour) and the migration guide is a safe link; axe-core finds nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import {
  WEB_ROOT,
  assertAccessible,
  assertDashboardBuilt,
  pageProblems,
  screenshot,
} from '../support/dashboard.js';
import { useTestServer } from '../support/test-server.js';

let browser: TestBrowser;
let page: Page;
let problems: string[];
before(async () => {
  assertDashboardBuilt();
  browser = await launchBrowser();
});
after(() => browser?.close());
const { server, api, onStart } = useTestServer({ webRoot: WEB_ROOT });

const HOUR = 3_600_000;
const GUIDE =
  'https://github.com/konflux-ci/build-definitions/blob/main/task/buildah/0.5/MIGRATION.md';
const ids: Record<string, string> = {};

onStart(async () => {
  const report = async (task: string, dueInHours: number, extra: Record<string, string>) => {
    const answer = await api.post('/api/v1/webhooks/task-update', {
      namespace: 'team-tasks',
      component: 'frontend',
      task,
      bundle: `quay.io/konflux-ci/tekton-catalog/task-${task}:0.4@sha256:${'b'.repeat(64)}`,
      version: '0.4',
      dueAt: new Date(Date.now() + dueInHours * HOUR).toISOString(),
      ...extra,
    });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    ids[task] = answer.body.issue.id;
  };
  await report('buildah', 5 * 24 + 1, {
    migrationRequired: 'true',
    migrationUrl: GUIDE,
    severity: 'minor',
  });
  await report('git-clone', -(2 * 24 + 1), { severity: 'critical' });
  const build = await api.post('/api/v1/webhooks/build-failure', {
    namespace: 'team-tasks',
    componentName: 'frontend',
    errorMessage: 'exit 1',
  });
  assert.equal(build.status, 201);
});

const open = async (path: string) => {
  page = await browser.newPage();
  problems = pageProblems(page);
  await page.goto(new URL(path, server.url).href);
};

/** The colour of an element's text, as the browser computed it. */
const colourOf = (selector: ReturnType<Page['locator']>): Promise<string> =>
  selector.evaluate(
    // Runs in the page, which has the DOM this file's types leave out.
    (element) => (globalThis as any).getComputedStyle(element).color as string,
  );

describe('task updates in the dashboard', () => {
  it('lists due dates in words, overdue in red, and the migration guide as a safe link', async () => {
    await open('/issues?issueType=task-update');
    const table = page.getByTestId('issue-table');
    const row = (id: string) => table.locator(`tr[data-issue-id="${id}"]`);
    await row(ids['buildah']!).waitFor();
    const soon = row(ids['buildah']!).locator('td[data-label=Due] time');
    const late = row(ids['git-clone']!).locator('td[data-label=Due] time');
    assert.equal(await soon.textContent(), 'due in 5 days');
    assert.equal(await late.textContent(), 'overdue by 2 days');
    assert.notEqual(await colourOf(late), await colourOf(soon), 'overdue stands out');
    assert.match(await colourOf(late), /^rgb\((\d+), (\d+), (\d+)\)$/);
    const [red, green, blue] = (/\d+, \d+, \d+/.exec(await colourOf(late))?.[0] ?? '')
      .split(', ')
      .map(Number);
    assert.ok(red! > green! && red! > blue!, `overdue is red: ${await colourOf(late)}`);
    const link = row(ids['buildah']!).getByRole('link', { name: 'Migration guide' });
    assert.equal(await link.getAttribute('href'), GUIDE);
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    const headers = await table.locator('thead th').allTextContents();
    assert.ok(headers.includes('Due') && headers.includes('Migration'), headers.join(','));
    await assertAccessible(page, 'the issues list with task updates');
    await screenshot(page, 'task-updates');
    assert.deepEqual(problems, []);
  });

  it("shows an issue's due date and migration guide on its page", async () => {
    await open(`/issues/${ids['buildah']}`);
    await page.getByTestId('issue-title').waitFor();
    assert.equal(await page.getByTestId('issue-due').textContent(), 'due in 5 days');
    const link = page.getByTestId('issue-migration').getByRole('link', { name: 'Migration guide' });
    assert.equal(await link.getAttribute('href'), GUIDE);
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    await assertAccessible(page, 'a task-update issue');
    await open(`/issues/${ids['git-clone']}`);
    await page.getByTestId('issue-title').waitFor();
    assert.equal(await page.getByTestId('issue-due').textContent(), 'overdue by 2 days');
    assert.equal(
      await page.getByTestId('issue-migration').count(),
      0,
      'no migration information: none shown',
    );
    await assertAccessible(page, 'an overdue task-update issue');
    assert.deepEqual(problems, []);
  });

  it('lists issues without due dates without the Due and Migration columns', async () => {
    await open('/issues?issueType=build');
    const table = page.getByTestId('issue-table');
    await table.locator('tbody tr').first().waitFor();
    const headers = await table.locator('thead th').allTextContents();
    assert.ok(!headers.includes('Due') && !headers.includes('Migration'), headers.join(','));
  });
});

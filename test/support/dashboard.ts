/**
 * What the dashboard's browser tests share: a page of the real dashboard served by a real
 * `kite serve`, a screenshot of it (written to docs/screenshots/ with
 * KITE_UPDATE_SCREENSHOTS=1, else to a temporary folder), and a check that the dashboard
 * was built (the tests run the built dist/web, as users do).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { axeViolations } from './browser.js';

export const WEB_ROOT = fileURLToPath(new URL('../../dist/web', import.meta.url));

export function assertDashboardBuilt(): void {
  assert.ok(
    existsSync(join(WEB_ROOT, 'index.html')),
    `${WEB_ROOT}/index.html is missing: run npm run build first`,
  );
}

const SCREENSHOTS = process.env.KITE_UPDATE_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/screenshots', import.meta.url))
  : mkdtempSync(join(tmpdir(), 'kite-screenshots-'));

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, animations: 'disabled' });
  return path;
}

/** Errors the page logged or threw (CSP refusals, React errors, failed scripts). */
export function pageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  return problems;
}

export async function assertAccessible(page: Page, view: string): Promise<void> {
  const violations = await axeViolations(page);
  assert.deepEqual(
    violations.map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    ),
    [],
    `axe-core found violations on ${view}`,
  );
}

/** Waits until `check` holds (polling every 50 ms), failing after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`still not true after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

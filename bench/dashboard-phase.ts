/**
 * The dashboard at scale (issue 16): 100,000 issues over 200 namespaces on the server
 * PostgreSQL (KITE_BENCH_DASHBOARD_ISSUES changes it), the built `kite serve` in
 * anonymous mode, headless Chromium (test/support/browser.ts), a fresh tab per round.
 * Per round:
 *
 * - overview: from navigation to the counts and breakdowns painted, and the API requests
 *   sent by then (the scriptless page's own request not counted);
 * - list: from navigation to `/issues` to its rows shown (the table is interactive then);
 * - baseline: the same browser loading `/api/v1/version` (a page with no script), so
 *   the figures also print as a ratio to it, which load on the machine distorts less.
 *
 * Also the JS and CSS shipped, gzip (the .gz files the server sends).
 * Targets: overview < 1 s, list < 1.5 s, ≤ 2 requests for the overview, JS+CSS < 400 KB.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser } from '../test/support/browser.js';
import { openDatabase } from '../src/store/database.js';
import { migrate } from '../src/store/migrations.js';
import { seedIssues } from './scale-seed.js';
import { createBenchDatabase, fmt, median, startKite } from './support.js';

const TOTAL = Number(process.env.KITE_BENCH_DASHBOARD_ISSUES ?? 100_000);
const ROUNDS = Number(process.env.KITE_BENCH_DASHBOARD_ROUNDS ?? 5);

export function shippedGzipBytes(root = 'dist/web/assets'): { js: number; css: number } {
  const size = (ext: string) =>
    readdirSync(root)
      .filter((name) => name.endsWith(`.${ext}.gz`))
      .reduce((sum, name) => sum + statSync(join(root, name)).size, 0);
  return { js: size('js'), css: size('css') };
}

export async function dashboardPhase(): Promise<void> {
  const scratch = await createBenchDatabase();
  const db = await openDatabase({ url: scratch.url, poolSize: 4 });
  const browser = await launchBrowser();
  try {
    await migrate(db);
    console.log(`\nseeding ${TOTAL} issues over 200 namespaces for the dashboard…`);
    await seedIssues(db, { issues: TOTAL, namespaces: 200, bigOutOf13: 0 });
    const kite = await startKite(scratch.url);
    const overview: number[] = [];
    const list: number[] = [];
    const baseline: number[] = [];
    const requests: number[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const page = await browser.newPage();
        let apiCalls = 0;
        let counting = true;
        page.on('request', (request) => {
          if (counting && new URL(request.url()).pathname.startsWith('/api/')) apiCalls++;
        });
        let started = performance.now();
        await page.goto(`${kite.url}/api/v1/version`);
        baseline.push(performance.now() - started);
        apiCalls = 0;
        started = performance.now();
        await page.goto(kite.url, { waitUntil: 'commit' });
        // Painted: the counts and the breakdowns under them (one answer draws them all).
        await page.getByTestId('overview-counts').waitFor();
        await page.getByTestId('namespace-breakdown').waitFor();
        overview.push(performance.now() - started);
        counting = false;
        requests.push(apiCalls);
        started = performance.now();
        await page.goto(`${kite.url}/issues`, { waitUntil: 'commit' });
        await page.getByTestId('issue-table').locator('tbody tr').first().waitFor();
        list.push(performance.now() - started);
        await page.close();
      }
    } finally {
      await kite.stop();
    }
    const base = median(baseline);
    const shipped = shippedGzipBytes();
    console.log(`\n## Dashboard over ${TOTAL} issues in 200 namespaces (median of ${ROUNDS})\n`);
    console.log(
      '| measurement | ms | ratio to a scriptless page | target |\n| --- | ---: | ---: | --- |',
    );
    console.log(`| scriptless page (/api/v1/version) | ${fmt(base)} | 1.00 | |`);
    console.log(
      `| overview: counts painted | ${fmt(median(overview))} | ${fmt(median(overview) / base, 2)} | < 1000 ms |`,
    );
    console.log(
      `| list: rows shown | ${fmt(median(list))} | ${fmt(median(list) / base, 2)} | < 1500 ms |`,
    );
    console.log(`\nAPI requests before the overview's counts: ${median(requests)} (target ≤ 2)`);
    console.log(
      `shipped gzip: JS ${fmt(shipped.js / 1024)} KiB + CSS ${fmt(shipped.css / 1024)} KiB = ${fmt((shipped.js + shipped.css) / 1024)} KiB (target < 400 KB)`,
    );
  } finally {
    await browser.close();
    await db.close();
    await scratch.drop();
  }
}

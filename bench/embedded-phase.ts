/**
 * The embedded default for a team trial (issue 15): `kite serve` on PGlite with 100,000
 * issues over 20 namespaces (KITE_BENCH_EMBEDDED_ISSUES), lists and counts with 4
 * requests in flight. Targets: p99 < 50 ms and no request over 200 ms for each request
 * shape; the server's RSS < 300 MB from its start to the end of the load.
 *
 * The data folder is seeded by this process first (PGlite is one process's database,
 * so the server is started only afterwards, on the same folder), then removed.
 */
import { Agent } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/store/database.js';
import { migrate } from '../src/store/migrations.js';
import { getText, middle, p50, p99, sample, worst, type Sampled } from './request-sampler.js';
import { seedIssues, type SeedShape } from './scale-seed.js';
import { cpuMs, fmt, sampleRss, startKite, type KiteProcess } from './support.js';

const ISSUES = Number(process.env.KITE_BENCH_EMBEDDED_ISSUES ?? 100_000);
const SECONDS = Number(process.env.KITE_BENCH_SCALE_SECONDS ?? 6);
const IN_FLIGHT = 4;
const TARGET_P99_MS = 50;
const TARGET_MAX_MS = 200;
const TARGET_RSS_MB = 300;
const SHAPE: SeedShape = { issues: ISSUES, namespaces: 20, bigOutOf13: 0 };

/** Request shapes; `i` varies the namespace so consecutive requests are not identical. */
const SHAPES: { name: string; path: (i: number) => string }[] = [
  { name: 'list: namespace, newest 50', path: (i) => `/api/v1/issues?namespace=ns-${i % 20}` },
  { name: 'list: every namespace, newest 50', path: () => '/api/v1/issues' },
  {
    name: 'list: namespace + severity + ACTIVE, limit=1 (UI count)',
    path: (i) => `/api/v1/issues?namespace=ns-${i % 20}&severity=major&state=ACTIVE&limit=1`,
  },
  { name: 'counts: namespace', path: (i) => `/api/v1/issues/counts?namespace=ns-${i % 20}` },
  { name: 'counts: every namespace', path: () => '/api/v1/issues/counts' },
];

/**
 * The Node flags `npm start` (the trial) runs the server with, read from package.json so
 * the phase measures the server as a trial starts it (decision 0034).
 */
async function trialNodeFlags(): Promise<string[]> {
  const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { scripts: { start: string } };
  const flags = /^node((?: --[a-z-]+(?:=\S+)?)*) dist\/cli\/main\.js/.exec(pkg.scripts.start)?.[1];
  const list = flags?.trim().split(' ') ?? [];
  if (!list.some((flag) => flag.startsWith('--max-old-space-size=')))
    throw new Error('npm start no longer bounds the heap: update bench/embedded-phase.ts');
  return list;
}

export async function embeddedPhase(): Promise<void> {
  const folder = await mkdtemp(join(tmpdir(), 'kite-bench-embedded-'));
  let kite: KiteProcess | undefined;
  try {
    console.log(`\nseeding ${ISSUES} issues over ${SHAPE.namespaces} namespaces into PGlite…`);
    const db = await openDatabase({ dataDir: join(folder, 'pg') });
    await migrate(db);
    console.log(`seeded in ${fmt(await seedIssues(db, SHAPE), 0)} s`);
    await db.close();

    const starting = performance.now();
    kite = await startKite('', { KITE_DATA_DIR: folder }, await trialNodeFlags());
    const startMs = performance.now() - starting;
    const rss = sampleRss(kite.child.pid ?? 0, 20);
    const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const results: { name: string; alone: Sampled; busy: Sampled; cpuPerRequest: number }[] = [];
    const pid = kite.child.pid ?? 0;
    try {
      for (const shape of SHAPES) {
        let i = 0;
        const url = kite.url;
        const get = async () => {
          const answer = await getText(agent, `${url}${shape.path(i++)}`);
          return answer.status === 200 ? undefined : `${answer.status} ${answer.body}`;
        };
        await get(); // unmeasured: the first plan and the pages it reads
        const alone = await sample(1, SECONDS / 2, 200, get);
        const cpuBefore = cpuMs(pid);
        const busy = await sample(IN_FLIGHT, SECONDS, 100_000, get);
        // The server's CPU time per answer: PGlite answers one query at a time on the
        // server's one thread, so this bounds the rate whatever else the machine runs.
        const cpuPerRequest = (cpuMs(pid) - cpuBefore) / (busy.latencies.length + busy.errors || 1);
        results.push({ name: shape.name, alone, busy, cpuPerRequest });
      }
    } finally {
      rss.stop();
      agent.destroy();
    }
    console.log(
      `\n## Embedded PGlite: ${ISSUES} issues, ${IN_FLIGHT} in flight; load average ${loadavg()
        .map((n) => n.toFixed(2))
        .join(', ')}\n`,
    );
    console.log(
      '| request | alone median ms | p50 ms | p99 ms | max ms | requests | errors | server CPU ms / request | p99 < 50 | max < 200 |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :-: | :-: |');
    for (const r of results) {
      const errors = r.alone.errors + r.busy.errors;
      const p99Ok = p99(r.busy) < TARGET_P99_MS && errors === 0;
      const maxOk = worst(r.busy) < TARGET_MAX_MS && errors === 0;
      console.log(
        `| ${r.name} | ${fmt(middle(r.alone))} | ${fmt(p50(r.busy))} | ${fmt(p99(r.busy))} | ${fmt(worst(r.busy))} | ${r.busy.latencies.length} | ${errors} | ${fmt(r.cpuPerRequest)} | ${p99Ok ? 'PASS' : 'FAIL'} | ${maxOk ? 'PASS' : 'FAIL'} |`,
      );
      const error = r.alone.firstError ?? r.busy.firstError;
      if (error) console.log(`first error: ${error}`);
    }
    const peak = rss.peakMiB();
    console.log(
      `\nembedded server: listening after ${fmt(startMs, 0)} ms; peak RSS ${fmt(peak)} MiB (target < ${TARGET_RSS_MB} MB): ${peak < TARGET_RSS_MB ? 'PASS' : 'FAIL'}`,
    );
  } finally {
    await kite?.stop();
    await rm(folder, { recursive: true, force: true });
  }
}

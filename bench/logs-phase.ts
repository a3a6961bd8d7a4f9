/**
 * MintMaker run logs at size: a 50 MB Renovate log served by `kite serve` from the
 * archive (PostgreSQL, DEFLATE segments) and live (the pod log API of the Kubernetes API
 * double), each through redaction, plain and gzip (`curl --compressed`: the same text
 * reaches the client), as a ratio to reading the same bytes from a local file with the
 * same client (curl, a separate process, `file://` for the file); and the server's
 * memory growth while serving it. For the live path, the CPU time each process spends per
 * read (server, API double, curl) against what two cores can give at the target's pace.
 * Targets: throughput ≥ 30% of the file read, memory growth < 50 MB.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createRedactor } from '../src/logs/redact.js';
import { SERVICE_ACCOUNT_TOKEN, startKubeApiDouble } from '../test/support/kube-api.js';
import { cpuMs, fmt, median, sampleRss, startKite } from './support.js';

const MEGABYTES = Number(process.env.KITE_BENCH_LOG_MB ?? 50);
/** Reads per figure per round (their median is the round's figure). */
const REPEATS = Number(process.env.KITE_BENCH_LOG_REPEATS ?? 5);
const RBAC = { apiGroup: 'kite.konflux-ci.dev', resource: 'issues' };

/**
 * Realistic Renovate JSON log lines: one in 50 an error with its stack, one in 20 a
 * registry URL, one in 100 mentions a token (words the redaction has to look at twice).
 */
function renovateLog(bytes: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i += 1) {
    const line =
      i % 20 === 10
        ? `{"name":"renovate","hostname":"renovate-job","pid":7,"level":20,"logContext":"a1b2c3","repository":"acme/frontend","url":"https://registry.npmjs.org/left-pad-${i}","msg":"GET https://registry.npmjs.org/left-pad-${i} = (code=200, statusCode=200 retryCount=0, duration=${i % 300})","time":"2026-11-22T04:00:00.000Z","v":0}`
        : i % 100 === 1
          ? `{"name":"renovate","hostname":"renovate-job","pid":7,"level":20,"logContext":"a1b2c3","repository":"acme/frontend","msg":"Using token for github.com authentication (hostType github)","time":"2026-11-22T04:00:00.000Z","v":0}`
          : i % 50 === 0
            ? `{"name":"renovate","hostname":"renovate-job","pid":7,"level":50,"logContext":"a1b2c3","repository":"acme/frontend","err":{"message":"Request failed with status code 404","stack":"Error: Request failed\\n    at got (node_modules/got/dist/source/as-promise/index.js:117:42)"},"msg":"Failed to look up npm package left-pad-${i}","time":"2026-11-22T04:00:00.000Z","v":0}`
            : `{"name":"renovate","hostname":"renovate-job","pid":7,"level":20,"logContext":"a1b2c3","repository":"acme/frontend","dependency":"@types/node","currentValue":"20.19.${i % 100}","newValue":"24.0.${i % 10}","msg":"Found update for dependency ${i}","time":"2026-11-22T04:00:00.000Z","v":0}`;
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** Fetches `url` with curl into `output`: the bytes received and the response headers. */
function curl(
  url: string,
  args: string[],
  output = '/dev/null',
): Promise<{ bytes: number; headers: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'curl',
      ['-sS', '-o', output, '-D', '-', '-w', '\n%{size_download}', ...args, url],
      { maxBuffer: 1024 * 1024 },
      (error, stdout) => {
        if (error) return reject(new Error(`curl ${url}: ${error.message}`));
        const lines = stdout.trimEnd().split('\n');
        resolve({
          bytes: Number(lines.at(-1)),
          headers: lines.slice(0, -1).join('\n').toLowerCase(),
        });
      },
    );
  });
}

/** The CPU time (user + system, ms) curl spends fetching `url`, untimed otherwise. */
function curlCpuMs(url: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', 'TIMEFORMAT="%3U %3S"; time curl -sS -o /dev/null "$@"', 'curl', ...args, url],
      (error, _stdout, stderr) => {
        if (error) return reject(new Error(`curl ${url}: ${error.message}`));
        const [user, system] = stderr.trim().split(/\s+/).slice(-2).map(Number);
        resolve(((user ?? NaN) + (system ?? NaN)) * 1000);
      },
    );
  });
}

export async function logsPhase(databaseUrl: string, rounds: number): Promise<void> {
  const log = renovateLog(MEGABYTES * 1e6);
  const dir = await mkdtemp(join(tmpdir(), 'kite-bench-logs-'));
  const logFile = join(dir, 'renovate.log');
  await writeFile(logFile, log);

  const kube = await startKubeApiDouble();
  kube.users.set('bench-reader', { username: 'reader', groups: [] });
  kube.users.set('bench-operator', { username: 'operator', groups: [] });
  kube.grants.push(
    { user: 'reader', verb: 'get', ...RBAC, namespace: 'team-a' },
    { user: 'operator', verb: 'create', ...RBAC },
  );
  const proxy = await startBareProxy(
    `${kube.url}/api/v1/namespaces/mintmaker/pods/live-pod/log?container=step-run`,
    SERVICE_ACCOUNT_TOKEN,
  );
  const kite = await startKite(databaseUrl, {
    KITE_AUTH_MODE: 'kubernetes',
    KUBECONFIG: kube.kubeconfig,
    KITE_LOG_CAP: `${MEGABYTES * 2}M`,
    // Only named uploaders may archive logs; the bench's stand-in for the operator is `operator`.
    KITE_LOG_UPLOADERS: 'operator',
  });
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  try {
    // The archived run (uploaded once, not measured) and the live one (a pod in the double).
    const run = (name: string) => ({
      name,
      uid: `uid-${name}`,
      namespace: 'team-a',
      component: 'frontend',
      status: 'Failed',
    });
    const created = await fetch(`${kite.url}/api/v1/mintmaker/runs`, {
      method: 'POST',
      headers: { ...auth('bench-operator'), 'content-type': 'application/json' },
      body: JSON.stringify(run('archived-run')),
    });
    if (created.status !== 201) throw new Error(`archiving failed: ${created.status}`);
    const uploaded = await fetch(
      `${kite.url}/api/v1/mintmaker/runs/archived-run/steps/renovate/run?position=0`,
      {
        method: 'PUT',
        headers: { ...auth('bench-operator'), 'content-type': 'text/plain' },
        body: createReadStream(logFile),
        duplex: 'half',
      },
    );
    if (uploaded.status !== 200)
      throw new Error(`upload failed: ${uploaded.status} ${await uploaded.text()}`);

    const labels = {
      'mintmaker.appstudio.redhat.com/namespace': 'team-a',
      'mintmaker.appstudio.redhat.com/component': 'frontend',
    };
    kube.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'live-pod', namespace: 'mintmaker' },
      spec: { containers: [{ name: 'step-run' }] },
    });
    kube.setPodLog('mintmaker', 'live-pod', 'step-run', log);
    kube.endPodLog('mintmaker', 'live-pod', 'step-run');
    kube.apply({
      apiVersion: 'tekton.dev/v1',
      kind: 'TaskRun',
      metadata: {
        name: 'live-run-renovate',
        namespace: 'mintmaker',
        labels: { 'tekton.dev/pipelineRun': 'live-run', 'tekton.dev/pipelineTask': 'renovate' },
      },
      status: {
        podName: 'live-pod',
        startTime: '2026-11-22T04:00:00Z',
        steps: [{ name: 'run', container: 'step-run', terminated: { exitCode: 1 } }],
      },
    });
    kube.apply({
      apiVersion: 'tekton.dev/v1',
      kind: 'PipelineRun',
      metadata: { name: 'live-run', namespace: 'mintmaker', uid: 'uid-live-run', labels },
      status: { conditions: [{ type: 'Succeeded', status: 'False', reason: 'Failed' }] },
    });

    const reader = ['-H', 'authorization: Bearer bench-reader'];
    // Plain (curl's default: no accept-encoding) and gzip (what browsers and fetch ask
    // for; curl decompresses it, so the same 50 MB of text reach the client).
    const paths = [
      { label: 'served from the archive', run: 'archived-run', source: 'archive', gzip: false },
      {
        label: 'served from the archive, gzip',
        run: 'archived-run',
        source: 'archive',
        gzip: true,
      },
      { label: 'served live (pod log)', run: 'live-run', source: 'live', gzip: false },
      { label: 'served live (pod log), gzip', run: 'live-run', source: 'live', gzip: true },
    ] as const;
    const url = (run: string) => `${kite.url}/api/v1/mintmaker/runs/${run}/logs`;
    // Once, untimed: each path delivers the whole log, from the source it claims.
    for (const path of paths) {
      const out = join(dir, 'served.log');
      const { headers } = await curl(
        url(path.run),
        [...reader, ...(path.gzip ? ['--compressed'] : [])],
        out,
      );
      if (!headers.includes(`x-kite-log-source: ${path.source}`)) {
        throw new Error(`${path.label}: not served from ${path.source}: ${headers}`);
      }
      if (path.gzip !== headers.includes('content-encoding: gzip')) {
        throw new Error(`${path.label}: unexpected encoding: ${headers}`);
      }
      const served = await readFile(out);
      if (served.length < log.length || !served.includes(log.subarray(-200))) {
        throw new Error(`${path.label}: short or wrong log: ${served.length} of ${log.length}`);
      }
    }
    // The client is curl, a separate native process, for the file read as well: this
    // process also runs the API double, and must not be what is measured. Each figure
    // is the median of REPEATS reads, whole requests with curl's start and exit.
    /**
     * The median MB/s of REPEATS reads; and, per read, the CPU ms of the server (whole and
     * its main thread) and of this process (the API double and the benchmark's own work).
     */
    const measure = async (target: string, args: string[], server?: number) => {
      const clocks = (): number[] =>
        server === undefined ? [] : [cpuMs(server), cpuMs(server, true), cpuMs(process.pid)];
      const rates: number[] = [];
      const before = clocks();
      for (let i = 0; i < REPEATS; i += 1) {
        const started = performance.now();
        await curl(target, args);
        rates.push(log.length / 1e6 / ((performance.now() - started) / 1000));
      }
      const cpu = clocks().map((after, i) => (after - (before[i] ?? 0)) / REPEATS);
      return { rate: median(rates), cpu };
    };
    const rate = async (target: string, args: string[]) => (await measure(target, args)).rate;
    const kitePid = kite.child.pid ?? 0;
    const rows: {
      file: number;
      paths: number[];
      source: number;
      proxied: number;
      growth: number;
      /** CPU ms per read on the live path: the server, its main thread, this process. */
      liveCpu: number[];
      /** The same for the bare proxy, and for the archive (PostgreSQL's own not counted). */
      proxiedCpu: number[];
      archiveCpu: number[];
    }[] = [];
    for (let round = 1; round <= rounds; round += 1) {
      const fileRead = await rate(`file://${logFile}`, []);
      const before = sampleRss(kite.child.pid ?? 0, 20);
      const baseline = before.peakMiB();
      before.stop();
      const rss = sampleRss(kite.child.pid ?? 0, 20);
      const served: number[] = [];
      let liveCpu: number[] = [];
      let archiveCpu: number[] = [];
      for (const path of paths) {
        const measured = await measure(
          url(path.run),
          [...reader, ...(path.gzip ? ['--compressed'] : [])],
          kitePid,
        );
        served.push(measured.rate);
        if (path.source === 'live' && !path.gzip) liveCpu = measured.cpu;
        if (path.source === 'archive' && !path.gzip) archiveCpu = measured.cpu;
      }
      // What the live path starts from: the same pod log straight from the API double.
      const source = await rate(
        `${kube.url}/api/v1/namespaces/mintmaker/pods/live-pod/log?container=step-run`,
        ['-H', `authorization: Bearer ${SERVICE_ACCOUNT_TOKEN}`],
      );
      // The ceiling of any live path in Node here: a bare proxy of that pod log.
      const proxiedRun = await measure(proxy.url, [], proxy.pid);
      const proxied = proxiedRun.rate;
      rss.stop();
      rows.push({
        file: fileRead,
        paths: served,
        source,
        proxied,
        growth: rss.peakMiB() - baseline,
        liveCpu,
        proxiedCpu: proxiedRun.cpu,
        archiveCpu,
      });
      console.log(
        `logs round ${round}: file ${fmt(fileRead, 0)} MB/s, ${paths.map((p, i) => `${p.source}${p.gzip ? ' gzip' : ''} ${fmt(served[i] ?? 0, 0)}`).join(', ')} MB/s, server RSS growth ${fmt(rss.peakMiB() - baseline)} MiB`,
      );
    }
    const fileRate = median(rows.map((r) => r.file));
    console.log(
      `\n## MintMaker run logs: a ${MEGABYTES} MB log (median of ${rounds} rounds of ${REPEATS})\n`,
    );
    console.log('| source | MB/s | ratio to the file read |\n| --- | ---: | ---: |');
    console.log(`| local file read (baseline) | ${fmt(fileRate, 0)} | 1.00 |`);
    paths.forEach((path, index) => {
      const pathRate = median(rows.map((r) => r.paths[index] ?? 0));
      console.log(`| ${path.label} | ${fmt(pathRate, 0)} | ${fmt(pathRate / fileRate, 2)} |`);
    });
    const sourceRate = median(rows.map((r) => r.source));
    console.log(
      `| the pod log straight from the API double (the live path's source) | ${fmt(sourceRate, 0)} | ${fmt(sourceRate / fileRate, 2)} |`,
    );
    const proxiedRate = median(rows.map((r) => r.proxied));
    console.log(
      `| a bare Node proxy of that pod log (no authorization, no redaction, a process of its own) | ${fmt(proxiedRate, 0)} | ${fmt(proxiedRate / fileRate, 2)} |`,
    );
    console.log(
      `\nserver RSS growth while serving: ${fmt(median(rows.map((r) => r.growth)))} MiB (target < 50 MB); throughput target >= 0.30`,
    );
    // Where the live path's time goes: every process of it shares this machine's cores.
    const curlCpu = async (target: string, args: string[]) =>
      median([
        await curlCpuMs(target, args),
        await curlCpuMs(target, args),
        await curlCpuMs(target, args),
      ]);
    const fileCurl = await curlCpu(`file://${logFile}`, []);
    const cpuOf = (pick: (r: (typeof rows)[number]) => number[], i: number) =>
      median(rows.map((r) => pick(r)[i] ?? NaN));
    const budget = (name: string, pick: (r: (typeof rows)[number]) => number[], client: number) => {
      const [server, main, double] = [0, 1, 2].map((i) => cpuOf(pick, i)) as [
        number,
        number,
        number,
      ];
      return `${name}: server ${fmt(server, 0)} (main thread ${fmt(main, 0)}) + API double ${fmt(double, 0)} + curl ${fmt(client, 0)} = ${fmt(server + double + client, 0)}`;
    };
    const archived = (client: number) => {
      const [server, main] = [0, 1].map((i) => cpuOf((r) => r.archiveCpu, i)) as [number, number];
      return `archive: server ${fmt(server, 0)} (main thread ${fmt(main, 0)}) + curl ${fmt(client, 0)}, PostgreSQL not counted`;
    };
    const cores = availableParallelism();
    const deadline = (MEGABYTES / (0.3 * fileRate)) * 1000;
    console.log(
      `\nCPU ms per ${MEGABYTES} MB read (user + system; "API double" is the benchmark process, which runs it): ` +
        `file read: curl ${fmt(fileCurl, 0)}; ` +
        `${budget('live', (r) => r.liveCpu, await curlCpu(url('live-run'), reader))}; ` +
        `${budget('bare proxy', (r) => r.proxiedCpu, await curlCpu(proxy.url, []))}; ` +
        `${archived(await curlCpu(url('archived-run'), reader))}.`,
    );
    console.log(
      `At 0.30 of the file read, a read takes at most ${fmt(deadline, 0)} ms: its processes together get at most ` +
        `${cores} cores x ${fmt(deadline, 0)} ms = ${fmt(cores * deadline, 0)} ms of CPU, and a main thread at most ${fmt(deadline, 0)} ms.`,
    );
  } finally {
    await kite.stop();
    await proxy.stop();
    await kube.close();
  }
  await inProcessRedaction(log, rounds);
}

/**
 * Redaction alone, in this process: the same log through `createRedactor().stream()` in
 * 64 KiB chunks, as the live path feeds it. MB per CPU second too, since the cores are
 * shared and the wall clock counts everything else running on them.
 */
async function inProcessRedaction(log: Buffer, rounds: number): Promise<void> {
  const redactor = createRedactor();
  const chunks: Buffer[] = [];
  for (let at = 0; at < log.length; at += 64 * 1024) chunks.push(log.subarray(at, at + 64 * 1024));
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < rounds * REPEATS; round += 1) {
    const started = performance.now();
    const startedCpu = process.cpuUsage();
    await pipeline(
      Readable.from(chunks),
      redactor.stream(),
      new Writable({ write: (_chunk, _encoding, done) => done() }),
    );
    const used = process.cpuUsage(startedCpu);
    wall.push(log.length / 1e6 / ((performance.now() - started) / 1000));
    cpu.push(log.length / 1e6 / ((used.user + used.system) / 1e6));
  }
  console.log(
    `\nin-process stream redaction of the same log (64 KiB chunks, median of ${wall.length}): ` +
      `${fmt(median(wall), 0)} MB/s, ${fmt(median(cpu), 0)} MB per CPU second`,
  );
}

/**
 * A bare HTTP proxy in its own Node process: every request gets `target` piped through,
 * nothing else. What a live log path costs before any of KITE's own work.
 */
async function startBareProxy(
  target: string,
  token: string,
): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const script = `
    const http = require('node:http');
    const server = http.createServer((req, res) => {
      http.get(process.env.TARGET, { headers: { authorization: 'Bearer ' + process.env.TOKEN } }, (up) => {
        res.writeHead(up.statusCode, { 'content-type': 'text/plain' });
        up.pipe(res);
      });
    });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, TARGET: target, TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [port] = (await once(child.stdout, 'data')) as [Buffer];
  return {
    url: `http://127.0.0.1:${port.toString().trim()}/`,
    pid: child.pid ?? 0,
    stop: async () => {
      child.kill();
      await once(child, 'exit');
    },
  };
}

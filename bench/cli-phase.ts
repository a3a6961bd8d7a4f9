/**
 * The `kite` CLI's start-up and `kite issues list` against the running `kite serve`, each
 * as a ratio to a baseline run in the same rounds (interleaved, so load hits all alike):
 * `node -e 0` (Node's own start) and a bare `fetch` of the same list URL in a one-line
 * script (Node + fetch, nothing of KITE). The CLI reads a kubeconfig (YAML, token, the
 * server extension) as a user's would. Wall time is what a person waits; CPU time (from
 * /usr/bin/time) is what the load on a shared machine distorts least. Target: `kite
 * issues list` prints in < 300 ms on a warm machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, median } from './support.js';

const RUNS = Number(process.env.KITE_BENCH_CLI_RUNS ?? 15);
const NAMESPACE = 'cli-bench';
const TIME = '/usr/bin/time';

interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** One run of `node args…`: wall time, and user+system CPU when /usr/bin/time exists. */
function measure(args: string[], env: NodeJS.ProcessEnv): Sample {
  const timed = existsSync(TIME);
  const started = performance.now();
  const run = timed
    ? spawnSync(TIME, ['-f', 'cpu %U %S', process.execPath, ...args], { env, encoding: 'utf8' })
    : spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const wallMs = performance.now() - started;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${run.stderr}`);
  const cpu = /cpu (\S+) (\S+)/.exec(run.stderr);
  return { wallMs, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN };
}

export async function cliPhase(kiteUrl: string, rounds: number): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await fetch(`${kiteUrl}/api/v1/webhooks/build-failure`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        namespace: NAMESPACE,
        componentName: `c-${i}`,
        errorMessage: 'exit 1',
      }),
    });
  }
  const home = await mkdtemp(join(tmpdir(), 'kite-bench-cli-'));
  const kubeconfig = join(home, 'config');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://kubernetes.invalid"}}]',
      'users: [{name: u, user: {token: bench-token}}]',
      'contexts:',
      '- name: bench',
      '  context:',
      '    cluster: c',
      '    user: u',
      `    namespace: ${NAMESPACE}`,
      `    extensions: [{name: kite.konflux-ci.dev/server, extension: {server: "${kiteUrl}"}}]`,
      'current-context: bench',
      '',
    ].join('\n'),
  );
  const env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig };
  const listUrl = `${kiteUrl}/api/v1/issues?namespace=${NAMESPACE}&limit=100`;
  const cases: [string, string[]][] = [
    ['node -e 0', ['-e', '0']],
    [
      'bare fetch of the list URL',
      ['-e', `fetch(${JSON.stringify(listUrl)}).then((r) => r.text())`],
    ],
    ['kite --version', ['dist/cli/main.js', '--version']],
    ['kite issues list', ['dist/cli/main.js', 'issues', 'list']],
  ];
  const samples = new Map<string, Sample[]>(cases.map(([name]) => [name, []]));
  try {
    for (const [, args] of cases) measure(args, env); // warm the file cache
    for (let round = 0; round < rounds * RUNS; round++) {
      for (const [name, args] of cases) samples.get(name)!.push(measure(args, env));
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
  const wall = (name: string) => median(samples.get(name)!.map((s) => s.wallMs));
  const cpu = (name: string) => median(samples.get(name)!.map((s) => s.cpuMs));
  console.log(`\n## CLI start-up and list (median of ${rounds * RUNS} runs each)\n`);
  console.log('| run | wall ms | CPU ms | wall / node -e 0 | CPU / node -e 0 |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [name] of cases) {
    console.log(
      `| ${name} | ${fmt(wall(name), 0)} | ${fmt(cpu(name), 0)} | ${fmt(wall(name) / wall('node -e 0'), 2)} | ${fmt(cpu(name) / cpu('node -e 0'), 2)} |`,
    );
  }
  const list = wall('kite issues list');
  console.log(
    `\nkite issues list / bare fetch: wall ${fmt(list / wall('bare fetch of the list URL'), 2)}, ` +
      `CPU ${fmt(cpu('kite issues list') / cpu('bare fetch of the list URL'), 2)}`,
  );
  console.log(`kite issues list: ${fmt(list, 0)} ms wall (target < 300 ms on a warm machine)`);
}

/**
 * The `kite` executable as a newcomer runs it: `kite operator` on a machine without any
 * Kubernetes configuration stops at once and says why, instead of retrying forever; `kite
 * serve` and `kite operator` read a boolean from the environment by its value
 * (`KITE_DEMO=false` is off, `KITE_LEADER_ELECT=false` is off).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startKubeApiDouble } from '../support/kube-api.js';
import { createTestDatabase } from '../support/test-server.js';

/** Runs `kite …` with exactly `env` (plus PATH); kills it after `limitMs`. */
function kite(args: string[], env: Record<string, string>, limitMs = 30_000) {
  return new Promise<{ code: number | null; stderr: string; killed: boolean }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, killed });
    });
  });
}

const operatorArgs = [
  'operator',
  '--api-url',
  'http://127.0.0.1:9',
  '--no-leader-elect',
  '--port',
  '0',
];

describe('kite operator without a cluster', () => {
  it('exits non-zero at once with "no Kubernetes configuration found" when HOME has none and KUBECONFIG is unset', async () => {
    const home = await mkdtemp(join(tmpdir(), 'kite-empty-home-'));
    const run = await kite(operatorArgs, { HOME: home });
    assert.equal(run.killed, false, `still running after 30 s: ${run.stderr}`);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^kite: no Kubernetes configuration found/m);
  });

  it('exits non-zero at once when KUBECONFIG points nowhere', async () => {
    const home = await mkdtemp(join(tmpdir(), 'kite-empty-home-'));
    const nowhere = join(home, 'no-such-dir', 'config');
    const run = await kite(operatorArgs, { HOME: home, KUBECONFIG: nowhere });
    assert.equal(run.killed, false, `still running after 30 s: ${run.stderr}`);
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr.trim(),
      `kite: no Kubernetes configuration found: ${nowhere} does not exist`,
    );
  });
});

/** Starts `kite serve` on a free port with `env`; resolves with its URL once it listens. */
async function serve(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--auth-mode', 'none'],
    { env: { PATH: process.env.PATH ?? '', ...env } },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (listening?.[1]) resolve(listening[1]);
    });
    void exited.then((code) => reject(new Error(`kite serve exited ${code}: ${stderr}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** An empty database for one `kite serve`, on the database the suite runs against. */
async function serveDatabase(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const database = await createTestDatabase();
  if (database.url) {
    return { env: { KITE_DATABASE_URL: database.url }, drop: () => database.drop() };
  }
  const dir = await mkdtemp(join(tmpdir(), 'kite-cli-data-'));
  return { env: { KITE_DATA_DIR: dir }, drop: () => rm(dir, { recursive: true, force: true }) };
}

async function demoIssueCount(kiteDemo: string): Promise<number> {
  const database = await serveDatabase();
  const server = await serve({ ...database.env, KITE_DEMO: kiteDemo });
  try {
    const response = await fetch(`${server.url}/api/v1/issues?namespace=team-alpha&limit=1`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { total: number };
    return body.total;
  } finally {
    await server.stop();
    await database.drop();
  }
}

describe('kite serve reads boolean settings from the environment by their value', () => {
  it('KITE_DEMO=false seeds no demo issues', async () => {
    assert.equal(await demoIssueCount('false'), 0);
  });

  it('KITE_DEMO=true seeds the demo issues', async () => {
    assert.equal(await demoIssueCount('true'), 3);
  });

  it('KITE_DEMO=yes stops at start-up naming the variable and its values', async () => {
    const database = await serveDatabase();
    try {
      const run = await kite(['serve', '--port', '0', '--auth-mode', 'none'], {
        ...database.env,
        KITE_DEMO: 'yes',
      });
      assert.equal(run.killed, false, `still running after 30 s: ${run.stderr}`);
      assert.equal(run.code, 1);
      assert.equal(run.stderr.trim(), 'kite: KITE_DEMO must be true or false, got "yes"');
    } finally {
      await database.drop();
    }
  });
});

/** A port nobody listens on right now (the operator's probe port must be known up front). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Runs `kite operator` against the Kubernetes API double with `KITE_LEADER_ELECT` set to
 * `value` until it reports as the leader; answers whether it took the Lease to get there.
 */
async function operatorTookLease(value: string): Promise<boolean> {
  const kube = await startKubeApiDouble();
  const home = await mkdtemp(join(tmpdir(), 'kite-operator-home-'));
  const port = await freePort();
  const args = ['operator', '--api-url', 'http://127.0.0.1:9', '--host', '127.0.0.1'];
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      ...args,
      '--port',
      String(port),
      '--lease-namespace',
      'kite',
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        KUBECONFIG: kube.kubeconfig,
        KITE_LOG_LEVEL: 'warn',
        KITE_LEADER_ELECT: value,
      },
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let running = true;
  void exited.then(() => (running = false));
  try {
    // Generous: the child transpiles the operator first, on a machine that may be busy.
    const deadline = Date.now() + 60_000;
    for (;;) {
      assert.ok(running, `kite operator exited: ${stderr}`);
      assert.ok(Date.now() < deadline, `not leading after 60 s: ${stderr}`);
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then(
        (response) => response.text(),
        () => '',
      );
      if (/^kite_operator_leader 1$/m.test(metrics)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return kube.get('coordination.k8s.io/v1', 'Lease', 'kite', 'kite-operator') !== undefined;
  } finally {
    child.kill('SIGTERM');
    await exited;
    await kube.close();
    await rm(home, { recursive: true, force: true });
  }
}

describe('kite operator reads boolean settings from the environment by their value', () => {
  it('KITE_LEADER_ELECT=false reports at once, without taking a Lease', async () => {
    assert.equal(await operatorTookLease('false'), false);
  });

  it('KITE_LEADER_ELECT=true reports only once it holds the Lease', async () => {
    assert.equal(await operatorTookLease('true'), true);
  });

  it('KITE_LEADER_ELECT=yes stops at start-up naming the variable and its values', async () => {
    const home = await mkdtemp(join(tmpdir(), 'kite-empty-home-'));
    const run = await kite(['operator', '--api-url', 'http://127.0.0.1:9', '--port', '0'], {
      HOME: home,
      KITE_LEADER_ELECT: 'yes',
    });
    assert.equal(run.killed, false, `still running after 30 s: ${run.stderr}`);
    assert.equal(run.code, 1);
    assert.equal(run.stderr.trim(), 'kite: KITE_LEADER_ELECT must be true or false, got "yes"');
  });
});

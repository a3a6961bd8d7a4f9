/**
 * The `kite` executable as a newcomer runs it: `kite operator` on a machine without any
 * Kubernetes configuration stops at once and says why, instead of retrying forever.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

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

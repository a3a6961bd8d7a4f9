/**
 * Creates and migrates an embedded database folder in a child process, before the server
 * opens it. PGlite's WebAssembly memory grows but never shrinks, and creating a cluster
 * (initdb) and building indexes take far more of it than serving does: a first trial start
 * that did both in the server's process peaked at 715 MiB and kept about 370 MiB. A worker
 * thread did not help (the process kept 396 MiB after it ended); a child process returns
 * all of it when it exits, and the server then opens a ready folder
 * (docs/decisions/0034-embedded-memory.md).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';

export interface Prepared {
  /** The migrations applied (none: the folder was ready). */
  applied: number[];
  /** The child's peak resident memory, MiB. */
  peakMiB: number;
}

/** Creates (if need be) and migrates the folder in a child process. */
export function prepareEmbedded(dataDir: string): Promise<Prepared> {
  // Built, the child's module is the .js beside this file; run from source (tsx), the .ts one.
  const built = new URL('./embedded-prepare-child.js', import.meta.url);
  const url = existsSync(built) ? built : new URL('./embedded-prepare-child.ts', import.meta.url);
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(url), [dataDir], {
      execArgv: loaderFlags(process.execArgv),
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let answer: (Partial<Prepared> & { error?: string }) | undefined;
    child.once('message', (message: Partial<Prepared> & { error?: string }) => {
      answer = message;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (answer?.applied) resolve({ applied: answer.applied, peakMiB: answer.peakMiB ?? 0 });
      else
        reject(new Error(answer?.error ?? `preparing the embedded database failed (exit ${code})`));
    });
  });
}

const LOADERS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/**
 * The module-loading flags of this process (e.g. `--import tsx` when run from source),
 * which the child needs to load its module; nothing else (`--eval`, test-runner flags).
 */
function loaderFlags(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i] ?? '';
    const name = flag.split('=')[0] ?? '';
    if (!LOADERS.has(name)) continue;
    kept.push(flag);
    if (!flag.includes('=') && i + 1 < execArgv.length) kept.push(execArgv[++i] ?? '');
  }
  return kept;
}

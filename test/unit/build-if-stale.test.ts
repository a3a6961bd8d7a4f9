/**
 * `npm start` rebuilds dist/ only when a build input is newer than the last build.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { staleBecause } from '../../scripts/build-if-stale.js';

function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'kite-build-'));
  for (const dir of ['src/cli', 'src/logs', 'web/src', 'dist/cli', 'dist/logs', 'dist/web']) {
    mkdirSync(join(root, dir), { recursive: true });
  }
  const at = (file: string, seconds: number) => {
    writeFileSync(join(root, file), '');
    utimesSync(join(root, file), seconds, seconds);
  };
  at('src/cli/main.ts', 1000);
  at('src/logs/trigram-scan.wasm', 1000);
  at('web/src/main.tsx', 1000);
  at('tsconfig.json', 1000);
  at('tsconfig.build.json', 1000);
  at('dist/cli/main.js', 2000);
  at('dist/logs/trigram-scan.wasm', 2000);
  at('dist/web/index.html', 2000);
  return root;
}

describe('npm start builds only a stale dist/', () => {
  it('does not rebuild when every input is older than the last build', () => {
    assert.equal(staleBecause(project()), undefined);
  });

  it('rebuilds when a source file changed since the last build, naming it', () => {
    const root = project();
    utimesSync(join(root, 'src/cli/main.ts'), 3000, 3000);
    assert.equal(staleBecause(root), 'src/cli/main.ts changed since the last build');
  });

  it('rebuilds when a new source file appeared or a tsconfig changed', () => {
    const root = project();
    mkdirSync(join(root, 'src/api'));
    writeFileSync(join(root, 'src/api/new.ts'), '');
    assert.equal(staleBecause(root), 'src/api/new.ts changed since the last build');
    const other = project();
    utimesSync(join(other, 'tsconfig.build.json'), 3000, 3000);
    assert.equal(staleBecause(other), 'tsconfig.build.json changed since the last build');
  });

  it('rebuilds when a file of the dashboard (web/) changed since the last build', () => {
    const root = project();
    utimesSync(join(root, 'web/src/main.tsx'), 3000, 3000);
    assert.equal(staleBecause(root), 'web/src/main.tsx changed since the last build');
  });

  it('builds when dist/ was never built or lost a file', () => {
    assert.equal(
      staleBecause(mkdtempSync(join(tmpdir(), 'kite-build-'))),
      'dist/cli/main.js is missing',
    );
    const root = project();
    rmSync(join(root, 'dist/logs/trigram-scan.wasm'));
    assert.equal(staleBecause(root), 'dist/logs/trigram-scan.wasm is missing');
    const unbuilt = project();
    rmSync(join(unbuilt, 'dist/web/index.html'));
    assert.equal(staleBecause(unbuilt), 'dist/web/index.html is missing');
  });
});

/**
 * `npm test` after lint, format and type checks: the unit tests, then the integration
 * suite on the embedded database, then the same suite on the PostgreSQL server, then the
 * dashboard's browser tests (test/ui: headless Chromium against the built dist/web and a
 * real server on the embedded database; one database kind is enough for what they check). Each
 * phase prints Node's spec report; the last line sums them up for CI as
 * `N passed, N failed, N skipped`.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';

interface Phase {
  name: string;
  dir: string;
  env: Record<string, string>;
}

const phases: Phase[] = [
  { name: 'unit', dir: 'test/unit', env: {} },
  {
    name: 'integration on embedded PostgreSQL (PGlite)',
    dir: 'test/integration',
    env: { KITE_TEST_DB: 'embedded' },
  },
  {
    name: 'integration on the PostgreSQL server',
    dir: 'test/integration',
    env: { KITE_TEST_DB: 'postgres' },
  },
  {
    name: 'ui: the dashboard in headless Chromium',
    dir: 'test/ui',
    env: { KITE_TEST_DB: 'embedded' },
  },
];

function runPhase(
  phase: Phase,
): Promise<{ passed: number; failed: number; skipped: number; code: number }> {
  const files = readdirSync(phase.dir)
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => `${phase.dir}/${file}`);
  console.log(`\n=== ${phase.name}: ${files.length} files`);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', ...files],
    {
      env: { ...process.env, ...phase.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    process.stdout.write(chunk);
  });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      const count = (label: string) =>
        Number(new RegExp(`^ℹ ${label} (\\d+)$`, 'm').exec(output)?.[1] ?? 0);
      resolve({
        passed: count('pass'),
        failed: count('fail'),
        skipped: count('skipped'),
        code: code ?? 1,
      });
    });
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
let broken = false;
for (const phase of phases) {
  const result = await runPhase(phase);
  passed += result.passed;
  failed += result.failed;
  skipped += result.skipped;
  if (result.code !== 0) broken = true;
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(broken || failed > 0 ? 1 : 0);

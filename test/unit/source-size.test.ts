/**
 * Files small enough to hold in one's head: every module in src/ stays under about 350
 * lines, or says at its top why it is longer (a docblock paragraph starting "Length:").
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = new URL('../../src/', import.meta.url).pathname;
const LIMIT = 360;

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sources(path);
      return Promise.resolve(entry.name.endsWith('.ts') ? [path] : []);
    }),
  );
  return nested.flat();
}

/** The module's leading docblock, if the file starts with one. */
function docblock(text: string): string {
  const match = /^\/\*\*[\s\S]*?\*\//.exec(text.trimStart());
  return match ? match[0] : '';
}

describe('source files', () => {
  it(`every module in src/ is at most ${LIMIT} lines or says at its top why not`, async () => {
    const files = await sources(ROOT);
    assert.ok(files.length > 50, 'the walk found the sources');
    const unexplained: string[] = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      const lines = text.split('\n').length;
      if (lines > LIMIT && !/^\s*\* Length: /m.test(docblock(text))) {
        unexplained.push(`${relative(ROOT, file)} (${lines} lines)`);
      }
    }
    assert.deepEqual(unexplained, []);
  });
});

/**
 * The pairs `duplicates` (this workplace's repeated-code finder) may list in src/: each a
 * declaration or migration history, explained in docs/architecture.md. Any other pair is
 * logic written twice.
 */
const DECLARATION_PAIRS = new Set([
  'store/schema.ts ~ store/schema.ts',
  'store/schema-events.ts ~ store/schema.ts',
  'config.ts ~ config.ts',
  'config.ts ~ operator/operator-settings.ts',
  'domain/errors.ts ~ domain/errors.ts',
  'domain/webhook-engine.ts ~ store/issue-store.ts',
  'operator/controller.ts ~ operator/controller.ts',
  'domain/builtin-webhooks.ts ~ domain/builtin-webhooks.ts',
  'api/routes/issues.ts ~ api/routes/issues.ts',
  'cli/server-commands.ts ~ cli/server-commands.ts',
  'api/routes/health.ts ~ api/routes/health.ts',
  'client/types.ts ~ client/types.ts',
  'store/migrations.ts ~ store/migrations.ts',
  'logs/archive-runs.ts ~ store/root-cause-groups.ts',
  'api/routes/silences.ts ~ api/routes/subscriptions.ts',
]);

describe('repeated code', () => {
  const tool = spawnSync('duplicates', ['--help'], { encoding: 'utf8' });
  it(
    'duplicates lists no pair in src/ but declarations',
    { skip: tool.error ? 'the duplicates command is not installed here' : false },
    () => {
      const run = spawnSync('duplicates', ['--most', '200', '--seconds', '120'], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      const pairs = [...run.stdout.matchAll(/^D\d+ (\S+?):\d+-\d+ ~ (\S+?):\d+-\d+/gm)].map(
        ([, a, b]) => `${a} ~ ${b}`,
      );
      assert.doesNotMatch(run.stdout, /^incomplete:/m);
      assert.deepEqual(
        pairs.filter((pair) => !DECLARATION_PAIRS.has(pair)),
        [],
      );
    },
  );
});

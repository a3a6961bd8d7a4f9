/**
 * docs/operations.md's settings tables are the settings table in src/config.ts: every
 * environment variable `kite serve` reads has a row, with the flag `kite serve` gives it
 * (or none) and the default the code applies. docs/operator.md's table is, in the same
 * way, `kite operator`'s table in src/operator/operator-settings.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SERVE_SETTINGS, type Setting } from '../../src/config.js';
import { OPERATOR_SETTINGS } from '../../src/operator/operator-settings.js';

interface DocRow {
  flag: string;
  variables: string[];
  defaults: string;
}

/** The rows of every `| flag | variable | default | meaning |` table. */
function documentedSettings(
  doc: string,
): Map<string, { flag: string; default: string | undefined }> {
  const text = readFileSync(new URL(`../../docs/${doc}`, import.meta.url), 'utf8');
  const rows: DocRow[] = [];
  let inTable = false;
  for (const line of text.split('\n')) {
    if (/^\| flag +\| variable +\| default +\| meaning/.test(line)) inTable = true;
    else if (!line.startsWith('|')) inTable = false;
    else if (inTable && !line.startsWith('| ---')) {
      const [flag = '', variables = '', defaults = ''] = line
        .split('|')
        .slice(1)
        .map((cell) => cell.trim());
      rows.push({
        flag,
        variables: [...variables.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1] ?? ''),
        defaults,
      });
    }
  }
  const byVariable = new Map<string, { flag: string; default: string | undefined }>();
  for (const row of rows) {
    // A default column of code spans lists one default per variable; prose ("operator")
    // and defaults naming another variable are not compared.
    const values = [...row.defaults.matchAll(/`([^`]*)`/g)].map((m) => m[1] ?? '');
    row.variables.forEach((variable, index) => {
      const value = values.length === row.variables.length ? values[index] : undefined;
      byVariable.set(variable, {
        flag: row.flag,
        default: row.defaults === '—' ? '—' : value && !/^[A-Z_]+$/.test(value) ? value : undefined,
      });
    });
  }
  return byVariable;
}

/** Every setting of `table` has a row in `doc` with its flag and default. */
function documents(doc: string, table: Readonly<Record<string, Setting>>) {
  const documented = documentedSettings(doc);

  for (const [key, setting] of Object.entries(table)) {
    it(`${setting.env} (${key}) is documented with its flag and default`, () => {
      const row = documented.get(setting.env);
      assert.ok(row, `${setting.env} has no row in docs/${doc}`);
      assert.equal(row.flag, setting.flag ? `\`${setting.flag.split(' ')[0]}\`` : '—');
      if (row.default === '—') assert.equal(setting.default, undefined);
      else if (row.default !== undefined) assert.equal(row.default, setting.default);
    });
  }
}

describe('docs/operations.md and the settings table', () => {
  documents('operations.md', SERVE_SETTINGS);
});

describe("docs/operator.md and the operator's settings table", () => {
  documents('operator.md', OPERATOR_SETTINGS);
});

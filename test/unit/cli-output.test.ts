/**
 * The CLI's printing rules without a server: tables fit the terminal by cutting the one
 * flexible column, colours only on a terminal without NO_COLOR, kubectl's relative ages,
 * jsonpath templates, and kubeconfig merging the way kubectl merges (first file wins).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderJsonPath } from '../../src/cli/jsonpath.js';
import { readKubeContext } from '../../src/cli/kubeconfig.js';
import { age, renderTable, terminal, type Column } from '../../src/cli/table.js';

interface Row {
  name: string;
  title: string;
}
const columns: Column<Row>[] = [
  { header: 'NAME', value: (r) => r.name, colour: () => '31' },
  { header: 'TITLE', value: (r) => r.title, flex: true },
];
const rows: Row[] = [{ name: 'a', title: 'a title that is far too long for a narrow terminal' }];

describe('tables', () => {
  it('cut the flexible column with "…" so each line fits the terminal width', () => {
    const lines = renderTable(rows, columns, { term: { columns: 30, colour: false } });
    assert.deepEqual(lines, ['NAME   TITLE', 'a      a title that is far to…']);
    assert.ok(lines.every((line) => line.length <= 30));
  });

  it('cut nothing when not on a terminal', () => {
    const lines = renderTable(rows, columns, { term: { colour: false } });
    assert.equal(lines[1], `a      ${rows[0]!.title}`);
  });

  it('colour cells only when colours are on', () => {
    const [, coloured] = renderTable(rows, columns, { term: { columns: 200, colour: true } });
    assert.ok(coloured!.startsWith('\u001b[31ma   \u001b[0m'));
  });

  it('use colours on a terminal unless NO_COLOR is set or TERM is dumb', () => {
    assert.deepEqual(terminal({ isTTY: true, columns: 120 }, {}), { columns: 120, colour: true });
    assert.equal(terminal({ isTTY: true }, { NO_COLOR: '1' }).colour, false);
    assert.equal(terminal({ isTTY: true }, { TERM: 'dumb' }).colour, false);
    assert.deepEqual(terminal({ isTTY: false }, {}), { colour: false });
  });
});

describe('ages', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');
  it('print the largest unit that fits, as kubectl does', () => {
    const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();
    assert.deepEqual(
      [45, 119, 120, 7199, 7200, 172_799, 172_800, 800 * 86_400].map((s) => age(ago(s), now)),
      ['45s', '119s', '2m', '119m', '2h', '47h', '2d', '2y'],
    );
    assert.equal(age(null, now), '<none>');
  });
});

describe('jsonpath templates', () => {
  const data = {
    data: [
      { id: 'a', labels: { 'app.kubernetes.io/name': 'web' }, n: 1 },
      { id: 'b', labels: {}, n: 2 },
    ],
    total: 2,
  };
  it('read fields, indexes, wildcards, quoted keys, ranges and literals', () => {
    assert.equal(renderJsonPath('{.total}', data), '2');
    assert.equal(renderJsonPath('{.data[*].id}', data), 'a b');
    assert.equal(renderJsonPath('{.data[-1].id}', data), 'b');
    assert.equal(renderJsonPath("{.data[0].labels['app.kubernetes.io/name']}", data), 'web');
    assert.equal(renderJsonPath('{range .data[*]}{@.id}={.n}{"\\n"}{end}', data), 'a=1\nb=2\n');
    assert.equal(renderJsonPath('id: {.data[0]}', data), `id: ${JSON.stringify(data.data[0])}`);
  });

  it('refuse a malformed template as a usage error', () => {
    for (const template of ['{.data', '{range .data[*]}x', '{end}', '{..id}']) {
      assert.throws(() => renderJsonPath(template, data), { exitCode: 2 }, template);
    }
  });
});

describe('kubeconfig', () => {
  it('merges the KUBECONFIG files: the first to name a context, user or current context wins', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kite-kubeconfig-unit-'));
    try {
      const first = join(dir, 'first');
      const second = join(dir, 'second');
      await writeFile(
        first,
        'current-context: dev\nusers:\n- name: alice\n  user:\n    token: from-first\n',
      );
      await writeFile(
        second,
        [
          'current-context: prod',
          'contexts:',
          '- name: dev',
          '  context: {user: alice, namespace: team-a, extensions: [{name: kite.konflux-ci.dev/server, extension: "https://kite.example"}]}',
          'users:',
          '- name: alice',
          '  user: {token: from-second}',
          '',
        ].join('\n'),
      );
      const context = await readKubeContext({ env: { KUBECONFIG: `${first}:${second}` } });
      assert.equal(context.context, 'dev');
      assert.equal(context.namespace, 'team-a');
      assert.equal(context.server, 'https://kite.example');
      assert.equal(await context.token(), 'from-first');
      assert.match(context.identity, /^the token of user "alice" of context "dev" \(.*first\)$/);
      await assert.rejects(readKubeContext({ env: { KUBECONFIG: first }, context: 'nowhere' }), {
        exitCode: 2,
        message: `context "nowhere" is not in ${first}`,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * docs/operator.md's scope table is the code's behaviour: every row names a fixture of
 * real-shaped Konflux objects, and running it through the real controller, the
 * operator's per-scope index and its request builder gives the scope, severity and
 * title the row shows (or nothing at all, where the row says it is not reported).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Controller, KubeObject } from '../../src/operator/controller.js';
import { mintmakerController } from '../../src/operator/controllers/mintmaker.js';
import { pipelineRunController } from '../../src/operator/controllers/pipelinerun.js';
import { releaseController } from '../../src/operator/controllers/release.js';
import { DEFAULT_SEVERITY_RULES } from '../../src/operator/operator-config.js';
import { requestOf } from '../../src/operator/requests.js';
import { ScopeIndex } from '../../src/operator/scope-index.js';
import { fixtureContext, loadFixture } from '../support/fixtures.js';

interface Row {
  run: string;
  fixture: string;
  scope: string;
  severity: string;
  title: string;
}

function scopeTable(): Row[] {
  const text = readFileSync(new URL('../../docs/operator.md', import.meta.url), 'utf8');
  const section = text.split('## Scopes: what resolves what')[1]?.split('\n## ')[0] ?? '';
  const lines = section.split('\n').filter((line) => line.startsWith('|'));
  const cells = (line: string) =>
    line
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim().replace(/^`(.*)`$/, '$1'));
  const header = cells(lines[0] ?? '');
  assert.deepEqual(header.slice(0, 5), [
    'run',
    'fixture',
    'scope (`scopeType: scopeName`)',
    'severity',
    'example title',
  ]);
  return lines.slice(2).map((line) => {
    const [run = '', fixture = '', scope = '', severity = '', title = ''] = cells(line);
    return { run, fixture, scope, severity, title };
  });
}

/** The controller that watches a fixture's first object (MintMaker's runs: in its namespace). */
const controllerFor = (object: KubeObject | undefined): Controller =>
  object?.kind === 'Release'
    ? releaseController
    : object?.metadata.namespace === 'mintmaker'
      ? mintmakerController
      : pipelineRunController;

/** What the operator makes of a fixture's watched objects, delivered in their order. */
function outcomeOf(fixture: string) {
  const objects = loadFixture(fixture);
  const watched = objects.filter((o) => o.kind === objects[0]?.kind);
  const controller = controllerFor(objects[0]);
  const context = fixtureContext(objects);
  const index = new ScopeIndex();
  let last: { observation: ReturnType<Controller['observe']>; request: unknown } | undefined;
  for (const object of watched) {
    const observation = controller.observe(object, context);
    index.set(`${object.metadata.namespace}/${object.metadata.name}`, observation);
    const request = observation
      ? requestOf(observation, index, { severity: DEFAULT_SEVERITY_RULES })
      : undefined;
    last = { observation, request };
  }
  return last;
}

describe('docs/operator.md scope table', () => {
  const rows = scopeTable();

  it('has a row for every fixture, and a fixture for every row', () => {
    const files = readdirSync(new URL('../fixtures/konflux/', import.meta.url))
      .filter((name) => name.endsWith('.yaml'))
      .map((name) => name.replace(/\.yaml$/, ''))
      .sort();
    assert.deepEqual(rows.map((row) => row.fixture).sort(), files);
  });

  for (const row of rows) {
    it(`${row.run}: the code gives what the table says`, () => {
      const outcome = outcomeOf(row.fixture);
      assert.ok(outcome, `${row.fixture} holds no watched object`);
      const { observation, request } = outcome as {
        observation: ReturnType<Controller['observe']>;
        request: { webhook: string; body: Record<string, unknown> } | undefined;
      };
      if (row.scope.startsWith('not reported')) {
        assert.equal(request, undefined);
        if (row.scope.includes('cancelled')) assert.equal(observation?.outcome, 'cancelled');
        else assert.equal(observation, undefined);
        return;
      }
      assert.ok(observation && request, `${row.fixture} is reported`);
      assert.equal(`${observation.scopeType}: ${observation.scopeName}`, row.scope);
      assert.equal(request.webhook, 'run-failure');
      assert.equal(request.body.severity, row.severity);
      assert.equal(request.body.title, row.title);
    });
  }
});

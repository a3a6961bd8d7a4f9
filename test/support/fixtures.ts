/**
 * The Konflux object fixtures in test/fixtures/konflux/: one YAML file per case, the
 * watched objects first, then what the controller reads besides (TaskRuns, ReleasePlans).
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeObject, ObserveContext } from '../../src/operator/controller.js';

const DIR = new URL('../fixtures/konflux/', import.meta.url);

export function loadFixture(name: string): KubeObject[] {
  const text = readFileSync(new URL(`${name}.yaml`, DIR), 'utf8');
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(`${name}.yaml: ${document.errors[0]?.message}`);
    return document.toJS() as KubeObject;
  });
}

/** A controller context whose caches hold the given objects. */
export function fixtureContext(
  objects: readonly KubeObject[],
  settings: Partial<ObserveContext['settings']> = {},
): ObserveContext {
  return {
    details: (kind, namespace) =>
      objects.filter((o) => o.kind === kind.kind && o.metadata.namespace === namespace),
    settings: { logsUrlTemplate: undefined, mintmakerNamespace: 'mintmaker', ...settings },
  };
}

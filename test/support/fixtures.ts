/**
 * The Konflux object fixtures in test/fixtures/konflux/: one YAML file per case, the
 * watched objects first, then what the controller reads besides (TaskRuns, ReleasePlans).
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeObject, ObserveContext } from '../../src/operator/controller.js';
import type { KubeObject as StoredObject } from './kube-api.js';

const DIR = new URL('../fixtures/konflux/', import.meta.url);

/** A fixture's objects, as the controllers see them. */
export function loadFixture(name: string): KubeObject[] {
  return parseFixture<KubeObject>(name);
}

/** A fixture's objects, to store in the Kubernetes API double. */
export function fixtureForDouble(name: string): StoredObject[] {
  return parseFixture<StoredObject>(name);
}

function parseFixture<T>(name: string): T[] {
  const text = readFileSync(new URL(`${name}.yaml`, DIR), 'utf8');
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(`${name}.yaml: ${document.errors[0]?.message}`);
    // YAML gives plain data; the fixture files are Kubernetes objects by construction.
    return document.toJS() as T;
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

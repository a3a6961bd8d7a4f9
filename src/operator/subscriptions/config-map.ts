/**
 * Subscriptions declared in a ConfigMap (docs/operator.md "Subscriptions from a
 * ConfigMap"): a ConfigMap labelled `kite.konflux-ci.dev/subscriptions=true` whose key
 * `subscriptions.yaml` is a YAML list of `{ name, ...SubscriptionSpec }`. Pure: what the
 * document declares, and what is wrong with it, entry by entry. Only the names are checked
 * here; the server judges the specs (a 400 names the field).
 *
 * A document that cannot be read is never taken for an empty list: that would delete
 * every subscription the ConfigMap declared before.
 */
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../controller.js';

/** Its name under `controllers:` in the operator config (namespaces, enabled). */
export const CONFIGMAP_SUBSCRIPTIONS = 'configmap-subscriptions';
export const SUBSCRIPTIONS_LABEL = 'kite.konflux-ci.dev/subscriptions';
export const SUBSCRIPTIONS_SELECTOR = `${SUBSCRIPTIONS_LABEL}=true`;
export const SUBSCRIPTIONS_KEY = 'subscriptions.yaml';

/** The `source` of the subscriptions a ConfigMap declares. */
export const sourceOf = (configMapName: string) => `configmap/${configMapName}`;
export const isConfigMapSource = (source: unknown): source is string =>
  typeof source === 'string' && source.startsWith('configmap/');

/** One subscription as the ConfigMap declares it: its name and the spec to PUT. */
export interface DeclaredSubscription {
  name: string;
  spec: Record<string, unknown>;
}

export type Declared =
  | {
      readable: true;
      subscriptions: DeclaredSubscription[];
      /** Entries skipped, each with where it is (`[2]` or its name) and why. */
      problems: { entry: string; problem: string }[];
    }
  | { readable: false; problem: string };

/** A DNS-1123 label, as the API requires of a subscription's name. */
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function declaredIn(configMap: KubeObject): Declared {
  const data = (configMap as { data?: Record<string, unknown> }).data;
  const text = data?.[SUBSCRIPTIONS_KEY];
  if (typeof text !== 'string') {
    return { readable: false, problem: `no key "${SUBSCRIPTIONS_KEY}" in data` };
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const first = (error as Error).message.split('\n')[0] ?? '';
    return { readable: false, problem: `${SUBSCRIPTIONS_KEY} is not valid YAML: ${first}` };
  }
  if (!Array.isArray(document)) {
    return {
      readable: false,
      problem: `${SUBSCRIPTIONS_KEY} must be a YAML list of subscriptions ([] for none)`,
    };
  }
  const source = sourceOf(configMap.metadata.name);
  const subscriptions: DeclaredSubscription[] = [];
  const problems: { entry: string; problem: string }[] = [];
  const seen = new Set<string>();
  document.forEach((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push({ entry: `[${index}]`, problem: 'not a mapping' });
      return;
    }
    const { name, ...rest } = entry as Record<string, unknown>;
    if (typeof name !== 'string' || !NAME.test(name)) {
      problems.push({
        entry: `[${index}]`,
        problem: 'name must be a DNS-1123 label: 1-63 of a-z, 0-9 and -, alphanumeric at both ends',
      });
      return;
    }
    if (seen.has(name)) {
      problems.push({ entry: name, problem: 'declared twice in this ConfigMap: the first counts' });
      return;
    }
    seen.add(name);
    // The operator sets the source: an entry cannot claim another ConfigMap's or the API's.
    subscriptions.push({ name, spec: { ...rest, source } });
  });
  return { readable: true, subscriptions, problems };
}

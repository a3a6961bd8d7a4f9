/**
 * Where data lives: a cluster and a namespace. Everything KITE keys by namespace (issue
 * identities, counts, silences, subscriptions, root-cause groups, permission checks) is
 * keyed by one string, the place key: the bare namespace for the server's own cluster,
 * `<cluster>/<namespace>` for a member cluster's (docs/decisions/0063-place-keys.md).
 * Neither a namespace nor a cluster name can hold a `/`, so the key is unambiguous, and
 * a report can never name another cluster's place: its namespace is validated as a
 * Kubernetes name, and the cluster is the one that authenticated the reporter.
 */

export interface Place {
  cluster: string;
  namespace: string;
}

/**
 * A cluster name: a Kubernetes (DNS-1123) label, as namespace names are (written apart
 * from the namespace pattern so that error messages can tell which is meant).
 */
export const CLUSTER_NAME_PATTERN = '^(?:[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)$';
const CLUSTER_NAME = new RegExp(CLUSTER_NAME_PATTERN);

export function isClusterName(name: string): boolean {
  return CLUSTER_NAME.test(name);
}

/** The name the server's own cluster goes by when none is configured. */
export const DEFAULT_LOCAL_CLUSTER = 'local';

/** The place key of `namespace` in `cluster`, where `local` is the server's own cluster. */
export function placeKey(cluster: string, namespace: string, local: string): string {
  return cluster === local ? namespace : `${cluster}/${namespace}`;
}

/** The cluster and namespace of a place key. */
export function placeOf(key: string, local: string): Place {
  const slash = key.indexOf('/');
  return slash < 0
    ? { cluster: local, namespace: key }
    : { cluster: key.slice(0, slash), namespace: key.slice(slash + 1) };
}

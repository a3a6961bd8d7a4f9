/**
 * The places (src/domain/place.ts) a query may cover, as the guard decides them: the
 * requested namespaces on the requested clusters, each checked where it lives; absent,
 * all the caller may read. Over member clusters (docs/multi-cluster.md), a member that
 * cannot be asked is an error (503) when the request named its cluster, and otherwise is
 * left out of the answer and reported through `leftOut` (the answer's
 * `X-Kite-Clusters-Unavailable` header); when nothing could be asked at all, 503.
 */
import type { AccessControl, Caller } from '../auth/access.js';
import type { ClusterNames } from '../auth/cluster-access.js';
import { InputError, NotAllowedError, UnavailableError } from '../domain/errors.js';
import { placeKey, placeOf } from '../domain/place.js';

export interface ScopeRequest {
  caller: Caller;
  /** Namespaces named by the request (empty or absent: all the caller may read). */
  namespaces: string[] | undefined;
  /** Clusters named by the request (empty or absent: every cluster). */
  clusters: string[] | undefined;
  /** Called with each member cluster left out of the answer. */
  leftOut: (cluster: string) => void;
}

/** Every place key holding data (the store's namespaces). */
export type KnownPlaces = () => Promise<string[]>;

export async function readScope(
  access: AccessControl,
  names: ClusterNames,
  known: KnownPlaces,
  request: ScopeRequest,
): Promise<string[] | undefined> {
  const everyCluster = [names.local, ...names.members];
  const named = request.clusters?.length ? [...new Set(request.clusters)] : undefined;
  for (const cluster of named ?? []) {
    if (!everyCluster.includes(cluster)) {
      throw new InputError(
        `cluster: "${cluster}" is not a cluster of this server (${everyCluster.join(', ')})`,
        { field: 'cluster' },
      );
    }
  }
  const clusters = named ?? everyCluster;
  const mayLeaveOut = named === undefined && clusters.length > 1;
  const { caller } = request;
  const requested = request.namespaces?.length ? [...new Set(request.namespaces)] : undefined;

  if (requested) {
    const keys: string[] = [];
    const unasked = new Set<string>();
    for (const namespace of requested) {
      const answers = await Promise.all(
        clusters.map(async (cluster) => {
          const key = placeKey(cluster, namespace, names.local);
          try {
            return (await access.allowed(caller, 'read', key)) ? key : undefined;
          } catch (error) {
            if (!(error instanceof UnavailableError) || !mayLeaveOut) throw error;
            unasked.add(cluster);
            return undefined;
          }
        }),
      );
      const readable = answers.filter((key): key is string => key !== undefined);
      if (readable.length === 0) {
        if (unasked.size > 0) {
          throw new UnavailableError(
            `Permissions in namespace ${namespace} could not be checked: cluster ${[...unasked].join(', ')} cannot be asked`,
          );
        }
        throw new NotAllowedError(`Not allowed to read issues in namespace ${namespace}`);
      }
      keys.push(...readable);
    }
    unasked.forEach(request.leftOut);
    return keys;
  }

  if (named === undefined && names.members.length === 0) {
    const readable = await access.readableNamespaces(caller);
    return readable === 'all' ? undefined : readable;
  }
  const unasked: string[] = [];
  const readable = await access.readableNamespaces(caller, (cluster) => unasked.push(cluster));
  const down = unasked.filter((cluster) => clusters.includes(cluster));
  if (named && down.length > 0) {
    throw new UnavailableError(`Cluster ${down.join(', ')} cannot be asked for permissions`);
  }
  down.forEach(request.leftOut);
  const keys = readable === 'all' ? await known() : readable;
  return keys.filter((key) => clusters.includes(placeOf(key, names.local).cluster));
}

/**
 * One AccessControl over the server's own cluster and its member clusters
 * (docs/multi-cluster.md). Every question names a place key (src/domain/place.ts): the
 * place's cluster answers it, through that cluster's own client, caches and deadline.
 *
 * - Who the caller is: the token is reviewed by the cluster named in `X-Kite-Cluster`
 *   (absent: the server's own). The header only routes the review; trust comes from the
 *   review itself: a token of cluster 2 is refused by cluster 1's TokenReview.
 * - Where the caller may act: on its own cluster, as that cluster's RBAC says; on another
 *   cluster, as that cluster's RBAC says of the same user name and groups (sound where
 *   the clusters share an identity provider, as Konflux's do). Identities that only mean
 *   something on one cluster never travel: `system:` users (service accounts, nodes,
 *   anonymous), tokenless MintMaker pods, users impersonated by a proxy (the right to
 *   impersonate is one cluster's), and `system:` groups other than
 *   `system:authenticated` (`system:masters` of one cluster is nobody on another).
 * - A member that cannot be asked: its places answer 503 (UnavailableError), never yes;
 *   lists over "every cluster" leave it out and say so (`onUnavailable`).
 */
import type { FastifyRequest } from 'fastify';
import { UnauthenticatedError, UnavailableError } from '../domain/errors.js';
import { isClusterName, placeKey, placeOf } from '../domain/place.js';
import type { AccessControl, Caller, Verb } from './access.js';

/** The header naming the cluster that reviews the caller's token. */
export const CLUSTER_HEADER = 'x-kite-cluster';

export interface ClusterNames {
  /** The server's own cluster: its places are bare namespaces. */
  local: string;
  members: readonly string[];
}

export interface ClusterAccessOptions {
  names: ClusterNames;
  local: AccessControl;
  members: ReadonlyMap<string, AccessControl>;
  /** Every place key that holds data, for a caller who may read a whole cluster. */
  places: () => Promise<string[]>;
}

export function withMemberClusters(options: ClusterAccessOptions): AccessControl {
  const { names, local, members } = options;
  const accessOf = (cluster: string) => (cluster === names.local ? local : members.get(cluster));

  // Callers reviewed by a member, stamped with it: one object per cached caller, so the
  // per-caller caches downstream (keyed by object) keep working.
  const stamped = new WeakMap<Caller, Caller>();
  const stamp = (caller: Caller, cluster: string) => {
    let known = stamped.get(caller);
    if (!known) {
      known = { ...caller, cluster };
      stamped.set(caller, known);
    }
    return known;
  };
  const travelled = new WeakMap<Caller, Caller | null>();
  /** The caller as another cluster is asked about it; null: it means nothing there. */
  const abroad = (caller: Caller): Caller | null => {
    let known = travelled.get(caller);
    if (known === undefined) {
      known =
        caller.anonymous ||
        caller.run !== undefined ||
        caller.impersonated === true ||
        caller.name.startsWith('system:')
          ? null
          : {
              name: caller.name,
              groups: caller.groups.filter(
                (group) => !group.startsWith('system:') || group === 'system:authenticated',
              ),
              anonymous: false,
              cluster: caller.cluster,
            };
      travelled.set(caller, known);
    }
    return known;
  };
  /** The access of the place's cluster and the caller as it is asked there. */
  const route = (caller: Caller, key: string) => {
    const { cluster, namespace } = placeOf(key, names.local);
    const access = accessOf(cluster);
    const who = (caller.cluster ?? names.local) === cluster ? caller : abroad(caller);
    return { access, who, namespace, cluster };
  };

  return {
    clusters: names,

    async authenticate(request: FastifyRequest) {
      const header = request.headers[CLUSTER_HEADER];
      const cluster = typeof header === 'string' && header !== '' ? header : names.local;
      if (cluster === names.local) return local.authenticate(request);
      const member = isClusterName(cluster) ? members.get(cluster) : undefined;
      if (!member) {
        throw new UnauthenticatedError(
          'X-Kite-Cluster names no cluster this server knows (see GET /api/v1/clusters)',
        );
      }
      return stamp(await member.authenticate(request), cluster);
    },

    async allowed(caller, verb: Verb, key) {
      const { access, who, namespace } = route(caller, key);
      if (!access || !who) return false;
      return access.allowed(who, verb, namespace);
    },

    cachedAllowed(caller, verb, key) {
      const { access, who, namespace } = route(caller, key);
      if (!access || !who) return false;
      return access.cachedAllowed(who, verb, namespace);
    },

    async readableNamespaces(caller, onUnavailable) {
      const clusters = [names.local, ...names.members];
      let known: Promise<string[]> | undefined;
      const answers = await Promise.all(
        clusters.map(async (cluster): Promise<string[] | 'all' | 'unavailable'> => {
          const { access, who } = route(caller, placeKey(cluster, '', names.local));
          if (!access || !who) return [];
          try {
            const readable = await access.readableNamespaces(who);
            if (readable !== 'all') return readable.map((ns) => placeKey(cluster, ns, names.local));
            known ??= options.places();
            return (await known).filter((key) => placeOf(key, names.local).cluster === cluster);
          } catch (error) {
            if (!(error instanceof UnavailableError)) throw error;
            onUnavailable?.(cluster);
            return 'unavailable';
          }
        }),
      );
      if (answers.every((answer) => answer === 'unavailable')) {
        throw new UnavailableError('No cluster could be asked for permissions');
      }
      return answers.flatMap((answer) => (answer === 'unavailable' ? [] : answer));
    },
  };
}

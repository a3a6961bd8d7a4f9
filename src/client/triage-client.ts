/**
 * The triage half of `KiteClient` (client.ts extends it): silences, notification
 * subscriptions and deliveries (the namespaced collections under
 * `api/v1/namespaces/<ns>/…`) and root-cause groups. It also holds what every call
 * shares: the `Http` transport, `CallOptions` and the path encoder.
 */
import { Http, type HttpOptions, type RequestSpec } from './http.js';
import type {
  DeliveryList,
  DeliveryQuery,
  Group,
  GroupPage,
  GroupQuery,
  Page,
  Silence,
  SilenceCreate,
  SilenceQuery,
  Subscription,
  SubscriptionList,
  SubscriptionSpec,
} from './types.js';

export interface CallOptions {
  /** Ends the call (and an open stream) early. */
  signal?: AbortSignal;
  /** This call's timeout per attempt instead of the client's; `null`: none. */
  timeoutMs?: number | null;
  /** This call's retries (where safe) instead of the client's; 0: none. */
  retries?: number;
}

/** Path segments, each percent-encoded, joined by `/`. */
export const path = (...parts: string[]) => parts.map(encodeURIComponent).join('/');

export class TriageClient {
  protected readonly http: Http;

  constructor(options: HttpOptions) {
    this.http = new Http(options);
  }

  /** A request to `api/v1/namespaces/<namespace>/<parts…>`. */
  protected namespaced<T>(
    method: RequestSpec['method'],
    namespace: string,
    parts: string[],
    request: Omit<RequestSpec, 'method' | 'path'>,
  ): Promise<T> {
    const to = `api/v1/namespaces/${path(namespace, ...parts)}`;
    return this.http.json<T>({ method, path: to, ...request });
  }

  // Silences (docs/silences.md)

  createSilence(namespace: string, silence: SilenceCreate, options: CallOptions = {}) {
    return this.namespaced<Silence>('POST', namespace, ['silences'], { json: silence, ...options });
  }

  /** A namespace's silences, or (namespace undefined) those of every readable namespace. */
  listSilences(namespace: string | undefined, query: SilenceQuery = {}, options: CallOptions = {}) {
    if (namespace) {
      return this.namespaced<Page<Silence>>('GET', namespace, ['silences'], { query, ...options });
    }
    return this.http.json<Page<Silence>>({
      method: 'GET',
      path: 'api/v1/silences',
      query,
      ...options,
    });
  }

  getSilence(namespace: string, id: string, options: CallOptions = {}) {
    return this.namespaced<Silence>('GET', namespace, ['silences', id], options);
  }

  /** Ends a silence now; it stays listed as expired. */
  expireSilence(namespace: string, id: string, options: CallOptions = {}) {
    return this.namespaced<Silence>('POST', namespace, ['silences', id, 'expire'], options);
  }

  // Notification subscriptions (docs/notifications.md)

  /** A namespace's subscriptions; `source` keeps those of one origin (`api`, `configmap/<name>`). */
  listSubscriptions(
    namespace: string,
    query: { source?: string } = {},
    options: CallOptions = {},
  ): Promise<SubscriptionList> {
    return this.namespaced('GET', namespace, ['subscriptions'], { query, ...options });
  }

  getSubscription(namespace: string, name: string, options: CallOptions = {}) {
    return this.namespaced<Subscription>('GET', namespace, ['subscriptions', name], options);
  }

  /** Creates or replaces the subscription `name` (the manage permission). */
  putSubscription(
    namespace: string,
    name: string,
    spec: SubscriptionSpec,
    options: CallOptions = {},
  ): Promise<Subscription> {
    return this.namespaced('PUT', namespace, ['subscriptions', name], { json: spec, ...options });
  }

  deleteSubscription(namespace: string, name: string, options: CallOptions = {}): Promise<void> {
    return this.namespaced('DELETE', namespace, ['subscriptions', name], options);
  }

  /** A namespace's notification deliveries, newest first; `state: 'dead'`: given up. */
  listNotifications(
    namespace: string,
    query: DeliveryQuery = {},
    options: CallOptions = {},
  ): Promise<DeliveryList> {
    return this.namespaced('GET', namespace, ['notifications'], { query, ...options });
  }

  // Root-cause groups (docs/root-cause-groups.md)

  listGroups(query: GroupQuery = {}, options: CallOptions = {}): Promise<GroupPage> {
    return this.http.json({ method: 'GET', path: 'api/v1/groups', query, ...options });
  }

  /** The group with the members the caller may read; the others only counted (`hidden`). */
  getGroup(id: string, options: CallOptions = {}): Promise<Group> {
    return this.http.json({ method: 'GET', path: `api/v1/groups/${path(id)}`, ...options });
  }

  /** Takes a wrong member out; its later reports do not bring it back. */
  splitGroup(id: string, issueId: string, options: CallOptions = {}): Promise<void> {
    return this.http.json({
      method: 'POST',
      path: `api/v1/groups/${path(id, 'split')}`,
      json: { issueId },
      ...options,
    });
  }

  /** Merges group `otherId` into `id`; later reports of either cause join `id`. */
  mergeGroups(id: string, otherId: string, options: CallOptions = {}): Promise<void> {
    return this.http.json({
      method: 'POST',
      path: `api/v1/groups/${path(id, 'merge')}`,
      json: { groupId: otherId },
      ...options,
    });
  }
}

/**
 * What the ConfigMap subscriptions sync needs of the server's subscription API
 * (`/api/v1/namespaces/{namespace}/subscriptions`), over the client's HTTP machinery
 * (src/client/http.ts: bearer token, timeouts, safe retries). A narrow interface, so the
 * sync is tested against any stand-in.
 */
import { KiteApiError } from '../../client/errors.js';
import type { Http } from '../../client/http.js';

/** A stored subscription, as far as the sync reads it. */
export interface StoredSubscription {
  name: string;
  source?: string;
  updatedAt?: string;
  [field: string]: unknown;
}

export interface SubscriptionApi {
  /** Every subscription of the namespace, or those of one source. */
  list(namespace: string, source?: string): Promise<StoredSubscription[]>;
  /** Creates or replaces; the stored subscription. */
  put(namespace: string, name: string, spec: Record<string, unknown>): Promise<StoredSubscription>;
  /** Deletes; an absent subscription is not an error. */
  remove(namespace: string, name: string): Promise<void>;
}

const pathOf = (namespace: string, name?: string) =>
  ['api/v1/namespaces', encodeURIComponent(namespace), 'subscriptions']
    .concat(name === undefined ? [] : [encodeURIComponent(name)])
    .join('/');

export function httpSubscriptionApi(http: Http): SubscriptionApi {
  return {
    async list(namespace, source) {
      const page = await http.json<{ items: StoredSubscription[] }>({
        method: 'GET',
        path: pathOf(namespace),
        query: { source },
      });
      return page.items;
    },
    put: (namespace, name, spec) =>
      http.json<StoredSubscription>({ method: 'PUT', path: pathOf(namespace, name), json: spec }),
    async remove(namespace, name) {
      try {
        await http.json({ method: 'DELETE', path: pathOf(namespace, name) });
      } catch (error) {
        if (!(error instanceof KiteApiError && error.status === 404)) throw error;
      }
    },
  };
}

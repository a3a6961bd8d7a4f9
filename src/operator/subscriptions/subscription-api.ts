/**
 * What the ConfigMap subscriptions sync needs of the server's subscription API
 * (`/api/v1/namespaces/{namespace}/subscriptions`), through the typed client (bearer
 * token, timeouts, safe retries). A narrow interface, so the sync is tested against any
 * stand-in.
 */
import { KiteApiError } from '../../client/errors.js';
import type { TriageClient } from '../../client/triage-client.js';
import type { SubscriptionSpec } from '../../client/types.js';

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

/** The sync's API over the typed client's subscription calls. */
export function clientSubscriptionApi(client: TriageClient): SubscriptionApi {
  return {
    async list(namespace, source) {
      const page = await client.listSubscriptions(
        namespace,
        source === undefined ? {} : { source },
      );
      return page.items;
    },
    // The entry is the ConfigMap's YAML as written: the server validates it, and a 400
    // names the problem the sync then warns about.
    put: async (namespace, name, spec) =>
      await client.putSubscription(namespace, name, spec as unknown as SubscriptionSpec),
    async remove(namespace, name) {
      try {
        await client.deleteSubscription(namespace, name);
      } catch (error) {
        if (!(error instanceof KiteApiError && error.status === 404)) throw error;
      }
    },
  };
}

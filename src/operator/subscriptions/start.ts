/**
 * Wires the ConfigMap subscriptions sync (subscription-sync.ts) into the operator: its
 * name under `controllers:` (for `namespaces` and `enabled`), the informer it needs
 * (labelled ConfigMaps, through the shared informer plan) and the API it writes to.
 */
import type { Logger } from 'pino';
import type { HttpOptions } from '../../client/http.js';
import { TriageClient } from '../../client/triage-client.js';
import type { Controller, ResourceKind } from '../controller.js';
import type { WatchConfig } from '../informer-plan.js';
import type { OperatorMetrics } from '../metrics.js';
import type { OperatorConfig } from '../operator-config.js';
import { CONFIGMAP_SUBSCRIPTIONS, SUBSCRIPTIONS_SELECTOR } from './config-map.js';
import { clientSubscriptionApi } from './subscription-api.js';
import { ConfigMapSubscriptions } from './subscription-sync.js';

const CONFIG_MAPS: ResourceKind = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
};

/** What the informer plan needs of it; it judges no run. */
export const configMapSubscriptionsWatch: Controller = {
  name: CONFIGMAP_SUBSCRIPTIONS,
  watches: CONFIG_MAPS,
  observe: () => undefined,
};

/** The controllers' watch config, with the subscriptions label always in its selector. */
export function withSubscriptionsSelector(
  controllers: Readonly<Record<string, WatchConfig | undefined>>,
): Record<string, WatchConfig | undefined> {
  const own = controllers[CONFIGMAP_SUBSCRIPTIONS];
  const labelSelector = [SUBSCRIPTIONS_SELECTOR, own?.labelSelector].filter(Boolean).join(',');
  return { ...controllers, [CONFIGMAP_SUBSCRIPTIONS]: { ...own, labelSelector } };
}

export function startConfigMapSubscriptions(
  config: OperatorConfig,
  options: { log: Logger; http: HttpOptions; metrics: OperatorMetrics },
) {
  if (!config.configMapSubscriptions) return undefined;
  const sync = new ConfigMapSubscriptions({
    api: clientSubscriptionApi(new TriageClient(options.http)),
    log: options.log,
    backoffBaseMs: config.backoffBaseMs,
    backoffMaxMs: config.backoffMaxMs,
    count: (result) => options.metrics.subscriptionSyncs.inc({ result }),
  });
  return Object.assign(sync, { watches: configMapSubscriptionsWatch });
}

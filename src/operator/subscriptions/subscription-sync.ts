/**
 * Keeps the server's subscriptions equal to what the labelled ConfigMaps declare
 * (config-map.ts), one namespace at a time, level-triggered like a controller: any
 * change of a ConfigMap in a namespace, every resync and every gain of leadership syncs
 * the whole namespace. A sync lists the namespace's subscriptions, PUTs each declared one
 * (with `source: configmap/<name>`) and deletes those of a `configmap/…` source that no
 * labelled ConfigMap declares any more, so a ConfigMap deleted, unlabelled or renamed
 * while the operator was down is cleaned up with the namespace's next sync.
 *
 * What is never done: take over a subscription made through the API (same name, other
 * source), delete the subscriptions of a ConfigMap whose document cannot be read, or let
 * one bad entry (unreadable, or rejected by the server with a 400) stop the others. Each
 * is a warning naming the namespace, ConfigMap and entry. Other failures (the server
 * unreachable, 403, 5xx) retry the namespace with backoff. Only the Lease holder writes.
 */
import type { Logger } from 'pino';
import { KiteApiError } from '../../client/errors.js';
import type { KubeObject } from '../controller.js';
import type { Watched } from '../informers.js';
import { describe } from '../leader.js';
import type { SubscriptionSyncResult } from '../metrics.js';
import { backoff } from '../reporter.js';
import { declaredIn, isConfigMapSource, sourceOf } from './config-map.js';
import type { SubscriptionApi } from './subscription-api.js';

export interface SyncOptions {
  api: SubscriptionApi;
  log: Logger;
  backoffBaseMs: number;
  backoffMaxMs: number;
  count: (result: SubscriptionSyncResult) => void;
}

interface Wanted {
  /** `namespace/name` of the ConfigMap that declares it. */
  configMap: string;
  spec: Record<string, unknown>;
}

export class ConfigMapSubscriptions {
  private readonly watched: { informer: Watched; covers: (namespace: string) => boolean }[] = [];
  /** Namespaces a labelled ConfigMap was seen in: synced on every resync. */
  private readonly namespaces = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly retries = new Map<string, { failures: number; timer?: NodeJS.Timeout }>();
  /** What this process last PUT, by `namespace/name`: unchanged since, it is not sent again. */
  private readonly written = new Map<string, { spec: string; updatedAt: unknown }>();
  private leading = false;
  private stopped = false;

  constructor(private readonly options: SyncOptions) {}

  /** Syncs a ConfigMap's namespace whenever one of the informer's ConfigMaps changes. */
  watch(informer: Watched, covers: (namespace: string) => boolean): void {
    this.watched.push({ informer, covers });
    const changed = (configMap: KubeObject) => {
      const namespace = configMap.metadata?.namespace;
      if (!namespace || !covers(namespace)) return;
      this.namespaces.add(namespace);
      this.schedule(namespace);
    };
    informer.on('add', changed);
    informer.on('update', changed);
    informer.on('delete', changed);
  }

  /** Writes only while leading; gaining the lead syncs everything. */
  lead(now: boolean): void {
    this.leading = now;
    if (now) this.evaluateAll();
  }

  /** Syncs every namespace again (a resync). */
  evaluateAll(): void {
    for (const { informer, covers } of this.watched) {
      for (const configMap of informer.list()) {
        if (covers(configMap.metadata.namespace)) this.namespaces.add(configMap.metadata.namespace);
      }
    }
    for (const namespace of this.namespaces) this.schedule(namespace);
  }

  stop(): void {
    this.stopped = true;
    for (const retry of this.retries.values()) clearTimeout(retry.timer);
  }

  /** Resolves once no sync is running (tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  private schedule(namespace: string): void {
    if (!this.leading || this.stopped) return;
    if (this.running.has(namespace)) {
      this.again.add(namespace);
      return;
    }
    const run = (async () => {
      do {
        this.again.delete(namespace);
        await this.syncRetrying(namespace);
      } while (this.again.has(namespace) && this.leading && !this.stopped);
    })();
    this.running.set(namespace, run);
    void run.finally(() => this.running.delete(namespace));
  }

  private async syncRetrying(namespace: string): Promise<void> {
    const retry = this.retries.get(namespace);
    clearTimeout(retry?.timer);
    try {
      await this.sync(namespace);
      this.retries.delete(namespace);
    } catch (error) {
      const failures = (retry?.failures ?? 0) + 1;
      const delay = backoff(failures, this.options.backoffBaseMs, this.options.backoffMaxMs);
      this.options.log.warn(
        { namespace, err: describe(error), retryInMs: Math.round(delay) },
        'ConfigMap subscriptions: sync failed, retrying the namespace',
      );
      this.options.count('failed');
      const timer = setTimeout(() => this.schedule(namespace), delay);
      this.retries.set(namespace, { failures, timer });
    }
  }

  private async sync(namespace: string): Promise<void> {
    const { api, log, count } = this.options;
    const { wanted, unreadable } = this.declaredIn(namespace);
    const stored = await api.list(namespace);
    const byName = new Map(stored.map((s) => [s.name, s]));
    for (const [name, { configMap, spec }] of wanted) {
      const current = byName.get(name);
      if (current && !isConfigMapSource(current.source)) {
        log.warn(
          { configMap, entry: name, source: current.source ?? 'api' },
          'ConfigMap subscriptions: entry skipped, a subscription of that name was made through the API (delete it there to manage it here)',
        );
        count('skipped');
        continue;
      }
      const key = `${namespace}/${name}`;
      const text = JSON.stringify(spec);
      const last = this.written.get(key);
      if (current && last?.spec === text && last.updatedAt === current.updatedAt) continue;
      try {
        const saved = await api.put(namespace, name, spec);
        this.written.set(key, { spec: text, updatedAt: saved.updatedAt });
        log.info({ configMap, subscription: name }, 'ConfigMap subscriptions: subscription put');
        count('put');
      } catch (error) {
        if (!(error instanceof KiteApiError && error.status === 400)) throw error;
        log.warn(
          { configMap, entry: name, problem: error.message, details: error.details },
          'ConfigMap subscriptions: entry rejected by the server, skipped (the others are synced)',
        );
        count('rejected');
      }
    }
    for (const current of stored) {
      const source = current.source;
      if (!isConfigMapSource(source) || wanted.has(current.name) || unreadable.has(source)) {
        continue;
      }
      await api.remove(namespace, current.name);
      this.written.delete(`${namespace}/${current.name}`);
      log.info(
        { namespace, subscription: current.name, source },
        'ConfigMap subscriptions: subscription deleted (no ConfigMap declares it any more)',
      );
      count('deleted');
    }
    if (wanted.size === 0 && unreadable.size === 0) this.namespaces.delete(namespace);
  }

  /**
   * The namespace's declared subscriptions by name (a name two ConfigMaps declare: the
   * first ConfigMap by name), and the sources whose document cannot be read.
   */
  private declaredIn(namespace: string) {
    const wanted = new Map<string, Wanted>();
    const unreadable = new Set<string>();
    const configMaps = this.watched
      .filter(({ covers }) => covers(namespace))
      .flatMap(({ informer }) => informer.list(namespace))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    for (const object of configMaps) {
      const configMap = `${namespace}/${object.metadata.name}`;
      const declared = declaredIn(object);
      if (!declared.readable) {
        unreadable.add(sourceOf(object.metadata.name));
        this.options.log.warn(
          { configMap, problem: declared.problem },
          'ConfigMap subscriptions: document unreadable, nothing sent and its subscriptions left as they are',
        );
        this.options.count('skipped');
        continue;
      }
      for (const { entry, problem } of declared.problems) {
        this.options.log.warn(
          { configMap, entry, problem },
          'ConfigMap subscriptions: entry skipped',
        );
        this.options.count('skipped');
      }
      for (const { name, spec } of declared.subscriptions) {
        const first = wanted.get(name);
        if (first) {
          this.options.log.warn(
            { configMap, entry: name, declaredBy: first.configMap },
            'ConfigMap subscriptions: entry skipped, another ConfigMap declares that name',
          );
          this.options.count('skipped');
        } else {
          wanted.set(name, { configMap, spec });
        }
      }
    }
    return { wanted, unreadable };
  }
}

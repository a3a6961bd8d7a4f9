/**
 * The running informers of an informer plan (informer-plan.ts): list + watch through
 * `@kubernetes/client-node`, 410 Gone re-listing (client-node's own), and a restart with
 * backoff after any other error, which client-node would otherwise stop on. Each informer
 * starts once however many controllers use it, and says when it first listed. Custom
 * resources are listed through CustomObjectsApi; of the core group, ConfigMaps only
 * (ConfigMap subscriptions) through CoreV1Api.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeObject } from './controller.js';
import type { InformerSpec } from './informer-plan.js';
import { describe } from './leader.js';
import { backoff } from './reporter.js';

export type Watched = Informer<KubeObject> & ObjectCache<KubeObject>;

export interface RunningInformer {
  informer: Watched;
  /** Resolves on the first successful list. */
  synced: Promise<void>;
  /** Starts the informer once, however many controllers use it. */
  start(): Promise<void>;
}

/** A watch that ran fine this long starts the restart backoff over. */
const HEALTHY_MS = 60_000;

export class Informers {
  private readonly running = new Map<string, RunningInformer>();
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly options: { log: Logger; restarted(resource: string): void },
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  get size(): number {
    return this.running.size;
  }

  /** The informer of `spec`, created on first use (not started). */
  of(spec: InformerSpec): RunningInformer {
    const existing = this.running.get(spec.key);
    if (existing) return existing;
    const created = this.create(spec);
    this.running.set(spec.key, created);
    return created;
  }

  /** The cached objects of `spec`'s informer in `namespace`; [] when it was never made. */
  list(spec: InformerSpec | undefined, namespace: string): readonly KubeObject[] {
    return (spec && this.running.get(spec.key)?.informer.list(namespace)) ?? [];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.running.values()].map(({ informer }) => informer.stop()));
  }

  private create({ kind, namespace, selector }: InformerSpec): RunningInformer {
    const base = kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`;
    const path = namespace
      ? `${base}/namespaces/${namespace}/${kind.plural}`
      : `${base}/${kind.plural}`;
    const labelSelector = selector || undefined;
    let failures = 0;
    let lastError = 0;
    let listed!: () => void;
    const synced = new Promise<void>((resolve) => (listed = resolve));
    const list = async () => {
      const { group, version, plural } = kind;
      const result = (
        group === ''
          ? await this.listCore(plural, namespace, labelSelector)
          : namespace
            ? await this.custom.listNamespacedCustomObject({
                group,
                version,
                namespace,
                plural,
                labelSelector,
              })
            : await this.custom.listClusterCustomObject({ group, version, plural, labelSelector })
      ) as KubernetesListObject<KubeObject>;
      // client-node swallows list errors (they go to the error callbacks), so a
      // successful list is the only sure sign of a synced cache.
      failures = 0;
      listed();
      return result;
    };
    const informer: Watched = makeInformer<KubeObject>(this.kc, path, list, labelSelector);
    informer.on('error', (error: unknown) => {
      // client-node stops an informer after an error other than 410: start it again.
      if (this.stopped) return;
      if (Date.now() - lastError > HEALTHY_MS) failures = 0;
      lastError = Date.now();
      failures += 1;
      this.options.restarted(kind.plural);
      const delay = backoff(failures, 500, 30_000);
      this.options.log.warn(
        {
          resource: kind.plural,
          namespace: namespace ?? '*',
          err: describe(error),
          retryInMs: Math.round(delay),
        },
        'watch failed: restarting the informer',
      );
      setTimeout(() => {
        if (!this.stopped) informer.start().catch(() => undefined);
      }, delay);
    });
    let started: Promise<void> | undefined;
    return { informer, synced, start: () => (started ??= informer.start()) };
  }

  private listCore(plural: string, namespace: string | undefined, labelSelector?: string) {
    if (plural !== 'configmaps') throw new Error(`no lister for the core kind ${plural}`);
    return namespace
      ? this.core.listNamespacedConfigMap({ namespace, labelSelector })
      : this.core.listConfigMapForAllNamespaces({ labelSelector });
  }
}

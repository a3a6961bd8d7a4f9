/**
 * Which informers the operator runs, decided before any is started: one per kind, label
 * selector and namespace, shared between controllers. Where any controller needs a kind
 * cluster-wide (no namespaces), one cluster-wide informer serves every controller of that
 * kind and selector, so no object is listed and watched twice. Pure: no Kubernetes client,
 * so the sharing rule is tested without the API double (test/unit/informer-plan.test.ts).
 */
import type { Controller, ControllerSettings, ResourceKind } from './controller.js';

/** What the config says of one controller (the parts that decide what is watched). */
export interface WatchConfig {
  namespaces?: string[];
  labelSelector?: string;
}

/** One informer: a kind, in one namespace or cluster-wide (`undefined`), with a selector. */
export interface InformerSpec {
  /** `<group>/<plural>|<namespace or *>|<selector>`: equal keys are one informer. */
  key: string;
  kind: ResourceKind;
  namespace: string | undefined;
  /** A Kubernetes label selector; '' for none. */
  selector: string;
}

export interface ControllerWatches {
  controller: Controller;
  /** Where the controller looks; empty: every namespace. */
  namespaces: string[];
  /** The informers of the kind it judges (one cluster-wide, or one per namespace). */
  main: InformerSpec[];
  /** The informers of the kinds it reads details from (TaskRuns, ReleasePlans). */
  details: InformerSpec[];
}

export interface InformerPlan {
  controllers: ControllerWatches[];
  /** Every informer to run, once each. */
  informers: InformerSpec[];
  /** The informer holding `kind`'s objects (no selector) in `namespace`; undefined: none. */
  detailsOf(kind: ResourceKind, namespace: string): InformerSpec | undefined;
}

const kindKey = (kind: ResourceKind, selector: string) =>
  `${kind.group}/${kind.plural}|${selector}`;

export function informerKey(
  kind: ResourceKind,
  namespace: string | undefined,
  selector: string,
): string {
  return `${kind.group}/${kind.plural}|${namespace ?? '*'}|${selector}`;
}

/** A controller's namespaces: its config's, else its default (MintMaker: its namespace). */
export function namespacesOf(
  controller: Controller,
  config: WatchConfig | undefined,
  settings: ControllerSettings,
): string[] {
  return config?.namespaces?.length
    ? config.namespaces
    : (controller.defaultNamespaces?.(settings) ?? []);
}

export function planInformers(
  controllers: readonly Controller[],
  configs: Readonly<Record<string, WatchConfig | undefined>>,
  settings: ControllerSettings,
): InformerPlan {
  // First every namespace each kind and selector is needed in ('*': cluster-wide) …
  const needed = new Map<string, Set<string>>();
  const need = (kind: ResourceKind, selector: string, namespaces: string[]) => {
    const key = kindKey(kind, selector);
    const set = needed.get(key) ?? new Set<string>();
    for (const namespace of namespaces.length ? namespaces : ['*']) set.add(namespace);
    needed.set(key, set);
  };
  const wanted = controllers.map((controller) => {
    const namespaces = namespacesOf(controller, configs[controller.name], settings);
    const selector = configs[controller.name]?.labelSelector ?? '';
    need(controller.watches, selector, namespaces);
    for (const kind of controller.details ?? []) need(kind, '', namespaces);
    return { controller, namespaces, selector };
  });

  // … then the informers, a cluster-wide one absorbing the namespaced ones.
  const informers = new Map<string, InformerSpec>();
  const spec = (kind: ResourceKind, namespace: string | undefined, selector: string) => {
    const key = informerKey(kind, namespace, selector);
    const existing = informers.get(key);
    if (existing) return existing;
    const created = { key, kind, namespace, selector };
    informers.set(key, created);
    return created;
  };
  const covering = (kind: ResourceKind, selector: string, namespaces: string[]) =>
    needed.get(kindKey(kind, selector))?.has('*')
      ? [spec(kind, undefined, selector)]
      : namespaces.map((namespace) => spec(kind, namespace, selector));

  const planned = wanted.map(({ controller, namespaces, selector }) => ({
    controller,
    namespaces,
    // Details first, so their informers are listed before the runs that read them.
    details: (controller.details ?? []).flatMap((kind) => covering(kind, '', namespaces)),
    main: covering(controller.watches, selector, namespaces),
  }));

  return {
    controllers: planned,
    informers: [...informers.values()],
    detailsOf(kind, namespace) {
      const namespaces = needed.get(kindKey(kind, ''));
      if (!namespaces) return undefined;
      return informers.get(informerKey(kind, namespaces.has('*') ? undefined : namespace, ''));
    },
  };
}

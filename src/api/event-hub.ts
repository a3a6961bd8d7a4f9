/**
 * One fan-out point between the database change feed and the open event streams. Each
 * change is serialized once into its SSE frame, and the streams it goes to are found by
 * namespace in a map rather than by asking every open stream.
 *
 * Changes are gathered for `FLUSH_MS` into a tick, and a tick is handed to each stream
 * that listens to one of its namespaces. A stream asks the tick for the text of the
 * namespaces it may read from its own position (`render`); streams asking the same (most
 * often: every namespace of the tick, from the same position) share one rendering, one
 * `Buffer` written to each of their sockets. So a change costs each stream a share of
 * one write per tick, not a copy and a promise per change
 * (docs/decisions/0038-shared-tick-batches.md).
 */
import { placeOf } from '../domain/place.js';
import type { GroupChange } from '../domain/root-cause-group.js';
import type { ChangeFeed, FeedEvent } from '../store/change-feed.js';

/** How long changes are gathered before they go out: the latency added to an event. */
export const FLUSH_MS = 50;

/** The SSE frame of one event; `data` is one line of JSON. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The frame of an issue change: its place key (src/domain/place.ts) split into `cluster`
 * and `namespace`, as answers show issues. `local`: the server's own cluster.
 */
export function changeFrame(change: { type: string; namespace: string }, local: string): string {
  return sseFrame(change.type, { ...change, ...placeOf(change.namespace, local) });
}

/** A change as the streams take it: its namespace, its frame (without `id:`), its id. */
export interface TickChange {
  namespace: string;
  frame: string;
  eventId: string | undefined;
}

/** The SSE text of some of a tick's changes and the position after the last of them. */
export interface Rendered {
  bytes: Buffer;
  position: string;
}

/** The changes of one tick, in the order the feed gave them. */
export interface Tick {
  readonly changes: readonly TickChange[];
  /** The distinct namespaces of the changes. */
  readonly namespaces: ReadonlySet<string>;
  /**
   * The frames of the changes in `shown` (a subset of `namespaces`), each with an `id:`
   * line carrying the position: the highest event id delivered so far, starting at
   * `from`. Undefined when none is shown. Renderings are shared between callers asking
   * the same, unless `skip` (event ids to leave out) is given.
   */
  render(
    from: string,
    shown: ReadonlySet<string>,
    skip?: ReadonlySet<string>,
  ): Rendered | undefined;
}

/** Builds a tick over `changes`; exported for streams replaying missed changes. */
export function tickOf(changes: readonly TickChange[]): Tick {
  const namespaces = new Set(changes.map((change) => change.namespace));
  const shared = new Map<string, Rendered | undefined>();
  return {
    changes,
    namespaces,
    render(from, shown, skip) {
      if (shown.size === 0) return undefined;
      if (skip) return renderFrames(changes, from, shown, skip);
      // Every namespace of the tick, or exactly these: the same text for the same start.
      const which = shown.size === namespaces.size ? '*' : [...shown].sort().join('\n');
      const key = `${from}\n${which}`;
      if (shared.has(key)) return shared.get(key);
      const rendered = renderFrames(changes, from, shown, undefined);
      shared.set(key, rendered);
      return rendered;
    },
  };
}

function renderFrames(
  changes: readonly TickChange[],
  from: string,
  shown: ReadonlySet<string>,
  skip: ReadonlySet<string> | undefined,
): Rendered | undefined {
  let position = from;
  let text = '';
  for (const { namespace, frame, eventId } of changes) {
    if (!shown.has(namespace)) continue;
    if (eventId !== undefined && skip?.has(eventId)) continue;
    if (eventId !== undefined && later(eventId, position)) position = eventId;
    text += `id: ${position}\n${frame}`;
  }
  return text === '' ? undefined : { bytes: Buffer.from(text), position };
}

/** Whether decimal id `a` is after `b` (both without leading zeros). */
export function later(a: string, b: string): boolean {
  return a.length === b.length ? a > b : a.length > b.length;
}

/** An open stream as the hub sees it: where it listens and how it takes a tick. */
export interface HubSubscriber {
  /** The namespaces it named, or `all` for a caller who may read every namespace. */
  scope: ReadonlySet<string> | 'all';
  take(tick: Tick): void;
}

export interface EventHub {
  subscribe(subscriber: HubSubscriber): () => void;
}

export function eventHub(feed: ChangeFeed, local: string): EventHub {
  const byNamespace = new Map<string, Set<HubSubscriber>>();
  const clusterWide = new Set<HubSubscriber>();
  let count = 0;
  let unsubscribeFeed: (() => void) | undefined;
  let gathered: TickChange[] = [];
  let timer: NodeJS.Timeout | undefined;

  const onChange = ({ change, eventId }: FeedEvent) => {
    if (clusterWide.size === 0 && !byNamespace.has(change.namespace)) return;
    gathered.push({ namespace: change.namespace, frame: changeFrame(change, local), eventId });
    timer ??= setTimeout(flush, FLUSH_MS);
  };
  // A group change is a frame of its namespace like any other, without an event id: live
  // only, and a reader of several of the group's namespaces gets one frame per namespace.
  const onGroupChange = (change: GroupChange) => {
    if (clusterWide.size === 0 && !byNamespace.has(change.namespace)) return;
    gathered.push({
      namespace: change.namespace,
      frame: sseFrame('group', change),
      eventId: undefined,
    });
    timer ??= setTimeout(flush, FLUSH_MS);
  };

  function flush() {
    timer = undefined;
    const tick = tickOf(gathered);
    gathered = [];
    // A stream named under several of the tick's namespaces takes the tick once.
    const takers = new Set(clusterWide);
    for (const namespace of tick.namespaces)
      for (const subscriber of byNamespace.get(namespace) ?? []) takers.add(subscriber);
    for (const subscriber of takers) subscriber.take(tick);
  }

  return {
    subscribe(subscriber) {
      const { scope } = subscriber;
      if (scope === 'all') clusterWide.add(subscriber);
      else
        for (const namespace of scope) {
          const set = byNamespace.get(namespace) ?? new Set();
          set.add(subscriber);
          byNamespace.set(namespace, set);
        }
      // The feed itself skips parsing while nobody listens, so the hub only listens when needed.
      count += 1;
      if (!unsubscribeFeed) {
        const stopChanges = feed.subscribe(onChange);
        const stopGroups = feed.subscribeGroups(onGroupChange);
        unsubscribeFeed = () => {
          stopChanges();
          stopGroups();
        };
      }
      let gone = false;
      return () => {
        if (gone) return;
        gone = true;
        if (scope === 'all') clusterWide.delete(subscriber);
        else
          for (const namespace of scope) {
            const set = byNamespace.get(namespace);
            set?.delete(subscriber);
            if (set?.size === 0) byNamespace.delete(namespace);
          }
        count -= 1;
        if (count === 0) {
          unsubscribeFeed?.();
          unsubscribeFeed = undefined;
        }
      };
    },
  };
}

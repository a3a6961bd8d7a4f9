/**
 * One fan-out point between the database change feed and the open event streams. Each
 * change is serialized once into its SSE frame (the same string is written to every
 * stream that may see it), and the streams it goes to are found by namespace in a map
 * rather than by asking every open stream: with hundreds of streams over hundreds of
 * namespaces, a change costs the streams of its namespace plus the cluster-wide ones.
 * The change's event id goes along beside the frame: each stream puts its own position
 * in front (`id:`), see routes/events.ts.
 */
import type { ChangeFeed, FeedEvent } from '../store/change-feed.js';

/** The SSE frame of one event; `data` is one line of JSON. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** An open stream as the hub sees it: where it listens and how it takes a frame. */
export interface HubSubscriber {
  /** The namespaces it named, or `all` for a caller who may read every namespace. */
  scope: ReadonlySet<string> | 'all';
  deliver(namespace: string, frame: string, eventId: string | undefined): void;
}

export interface EventHub {
  subscribe(subscriber: HubSubscriber): () => void;
}

export function eventHub(feed: ChangeFeed): EventHub {
  const byNamespace = new Map<string, Set<HubSubscriber>>();
  const clusterWide = new Set<HubSubscriber>();
  let count = 0;
  let unsubscribeFeed: (() => void) | undefined;

  const onChange = ({ change, eventId }: FeedEvent) => {
    const named = byNamespace.get(change.namespace);
    if (!named && clusterWide.size === 0) return;
    const frame = sseFrame(change.type, change);
    const { namespace } = change;
    if (named) for (const subscriber of named) subscriber.deliver(namespace, frame, eventId);
    for (const subscriber of clusterWide) subscriber.deliver(namespace, frame, eventId);
  };

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
      unsubscribeFeed ??= feed.subscribe(onChange);
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

/**
 * Live updates: one stream of /api/v1/events for the whole page (through the client, so
 * the bearer token goes in a header, which an EventSource cannot send). Views subscribe
 * to changes; the masthead shows the stream's state. After a break the stream reopens
 * with backoff (1 s doubling to 30 s, with jitter) from the position the last one
 * reached (which the server sets as a stream opens, so also from a stream that broke
 * before its first change), and the missed changes are replayed; a `reset` (too much
 * missed) reloads every view's data, and so does a stream opened with no position to
 * resume from, for what was read before it. Root-cause group frames (live only, never
 * replayed) go to their own listeners (`useGroupChanges`).
 */
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { EventStream } from '../../src/client/events.js';
import type { GroupChange, IssueChange } from '../../src/client/types.js';
import { isUnauthorized, kite, queryClient } from './api.js';

export type LiveStatus =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'retrying'; inSeconds: number }
  | { kind: 'stopped'; reason: string };

type Listener = (change: IssueChange) => void;
type GroupListener = (group: GroupChange) => void;

interface Live {
  status: LiveStatus;
  subscribe: (listener: Listener) => () => void;
  subscribeGroups: (listener: GroupListener) => () => void;
}

const LiveContext = createContext<Live>({
  status: { kind: 'connecting' },
  subscribe: () => () => undefined,
  subscribeGroups: () => () => undefined,
});

export const useLive = () => useContext(LiveContext);

/** Calls `onChange` for every change the stream delivers while the component is shown. */
export function useChanges(onChange: Listener): void {
  const { subscribe } = useLive();
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => subscribe((change) => latest.current(change)), [subscribe]);
}

/** Calls `onChange` for every root-cause group change while the component is shown. */
export function useGroupChanges(onChange: GroupListener): void {
  const { subscribeGroups } = useLive();
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => subscribeGroups((group) => latest.current(group)), [subscribeGroups]);
}

/** Reads again what was read before `time` (what is shown; a fetch under way goes on). */
const refreshReadBefore = (time: number) =>
  queryClient.invalidateQueries(
    { predicate: ({ state }) => state.dataUpdatedAt > 0 && state.dataUpdatedAt < time },
    { cancelRefetch: false },
  );

const backoffMs = (attempt: number) => {
  const capped = Math.min(1000 * 2 ** attempt, 30_000);
  return capped / 2 + Math.random() * (capped / 2);
};

export function LiveProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<LiveStatus>({ kind: 'connecting' });
  const listeners = useRef(new Set<Listener>());
  const groupListeners = useRef(new Set<GroupListener>());
  const [live] = useState<Omit<Live, 'status'>>(() => ({
    subscribe(listener) {
      listeners.current.add(listener);
      return () => void listeners.current.delete(listener);
    },
    subscribeGroups(listener) {
      groupListeners.current.add(listener);
      return () => void groupListeners.current.delete(listener);
    },
  }));

  useEffect(() => {
    let stopped = false;
    /** Where the next stream resumes from: the position the last one reached. */
    let position: string | undefined;
    let close = () => undefined as void;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (attempt: number): Promise<void> => {
      let stream: EventStream | undefined;
      const asked = Date.now();
      try {
        stream = await kite.events({}, { lastEventId: position, timeoutMs: 15_000, retries: 0 });
        close = () => stream?.close();
        if (stopped) return stream.close();
        // No position to resume from (no stream has opened yet): what the views read
        // before this attempt began (while earlier ones failed) may lack changes made
        // since, so they read it again. What arrived after it began is as new as the
        // stream (the first attempt starts with the page's first reads: nothing to redo).
        if (position === undefined) void refreshReadBefore(asked);
        position = stream.position;
        setStatus({ kind: 'live' });
        attempt = 0;
        for await (const event of stream) {
          if (event.type === 'reset') void queryClient.invalidateQueries();
          else if ('change' in event)
            for (const listener of listeners.current) listener(event.change);
          else if (event.type === 'group')
            for (const listener of groupListeners.current) listener(event.group);
        }
      } catch (error) {
        if (stopped) return;
        if (isUnauthorized(error)) {
          setStatus({ kind: 'stopped', reason: 'not signed in' });
          return;
        }
      } finally {
        position = stream?.position ?? position;
      }
      if (stopped) return;
      const wait = backoffMs(attempt);
      setStatus({ kind: 'retrying', inSeconds: Math.ceil(wait / 1000) });
      timer = setTimeout(() => void run(attempt + 1), wait);
    };
    void run(0);
    return () => {
      stopped = true;
      clearTimeout(timer);
      close();
    };
  }, []);

  return <LiveContext.Provider value={{ ...live, status }}>{children}</LiveContext.Provider>;
}

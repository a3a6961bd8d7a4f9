/**
 * The client side of `GET /api/v1/events`: the stream as an async iterator of changes and
 * notices, and its position, the id to resume from after a break (docs/api.md, Resuming).
 */
import { KiteTransportError } from './errors.js';
import { abortAfter, type Http } from './http.js';
import { readServerSentEvents } from './sse.js';
import type { GroupChange, IssueChange, StreamEvent } from './types.js';

/** An open event stream: iterate it; `close()` (or breaking out of the loop) ends it. */
export interface EventStream extends AsyncIterable<StreamEvent> {
  /**
   * Where to resume from after a break (the next `lastEventId`): the last position the
   * server set on this stream, as far as it was read. The server sets one as it opens the
   * stream, before any event, so it is known once the stream is open: a stream that breaks
   * before its first change resumes from there, and misses nothing made in between.
   */
  readonly position: string | undefined;
  close(): void;
}

export interface EventStreamOptions {
  signal?: AbortSignal;
  /** Per attempt, for the headers (the client's default when absent); `null`: none. */
  timeoutMs?: number | null;
  retries?: number;
  lastEventId?: string;
}

/**
 * Opens the stream; resolves once the server accepted it and set its position. `headMs`
 * bounds the wait for the position after the headers (the server writes both together).
 */
export async function connectEvents(
  http: Http,
  query: { namespace?: readonly string[] },
  options: EventStreamOptions,
  headMs: number | null,
): Promise<EventStream> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  const close = () => {
    options.signal?.removeEventListener('abort', stop);
    controller.abort();
  };
  let position = options.lastEventId;
  let sse: ReturnType<typeof readServerSentEvents>;
  try {
    const response = await http.request({
      method: 'GET',
      path: 'api/v1/events',
      query,
      stream: true,
      signal: controller.signal,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.retries === undefined ? {} : { retries: options.retries }),
      ...(options.lastEventId === undefined
        ? {}
        : { headers: { 'last-event-id': options.lastEventId } }),
    });
    if (!response.body) throw new Error('The event stream answered without a body');
    sse = readServerSentEvents(response.body);
  } catch (error) {
    close();
    throw error;
  }
  // The server's first message sets the position, without an event: read up to it.
  const deadline = abortAfter(controller, headMs);
  let first: Awaited<ReturnType<typeof sse.next>>;
  try {
    first = await sse.next();
  } catch (error) {
    close();
    if (!deadline.fired()) throw error;
    const message = `GET api/v1/events: no position within ${headMs} ms of the headers`;
    throw new KiteTransportError('timeout', message, 'GET', 'api/v1/events', { cause: error });
  } finally {
    deadline.clear();
  }
  if (!first.done && first.value.id !== undefined) position = first.value.id;

  async function* messages(): AsyncGenerator<StreamEvent> {
    try {
      for (let next = first; !next.done; next = await sse.next()) {
        const message = next.value;
        if (message.id !== undefined) position = message.id;
        if (!('event' in message)) continue;
        const data = JSON.parse(message.data) as Record<string, unknown>;
        if (message.event === 'group') {
          // A group change carries no event id: it is live only, never replayed.
          yield { type: 'group', group: data as unknown as GroupChange };
        } else if (
          message.event === 'dropped' ||
          message.event === 'end' ||
          message.event === 'reset'
        ) {
          yield { type: message.event, ...data } as StreamEvent;
          if (message.event === 'end') return;
        } else {
          const change = data as unknown as IssueChange;
          yield { type: change.type, change, ...(message.id ? { id: message.id } : {}) };
        }
      }
    } catch (error) {
      // Closing the stream is how it ends, not a failure.
      if (!controller.signal.aborted) throw error;
    } finally {
      close();
    }
  }
  const iterator = messages();
  return {
    [Symbol.asyncIterator]: () => iterator,
    get position() {
      return position;
    },
    close,
  };
}

/**
 * `/api/v1/events` as the event stream tests read it: the raw text, message by message, as
 * a browser's EventSource parses it; and the server's side of open streams, to cut them
 * as a broken network or a restarting proxy would.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TestServer } from './test-server.js';

/** One SSE message with an event: its own `id:` line (if any), its type, its data. */
export interface StreamMessage {
  id: string | undefined;
  event: string;
  data: any;
}

export interface EventReaderOptions {
  /** The query string, `?` included. */
  query?: string;
  headers?: Record<string, string>;
  /** A read that waits longer aborts the stream (and so fails the test). */
  readMs: number;
}

/** Opens a stream at `baseUrl`, to be read message by message; whatever the status. */
export async function openEventReader(baseUrl: string, options: EventReaderOptions) {
  const controller = new AbortController();
  const response = await fetch(new URL(`/api/v1/events${options.query ?? ''}`, baseUrl), {
    headers: options.headers ?? {},
    signal: controller.signal,
  });
  // Taken at the first read, so a caller may still read a refusal's body as text.
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const decoder = new TextDecoder();
  let buffer = '';
  let ended = false;
  /** The id a browser holds: set by any message with an `id:` line, with an event or not. */
  let lastId: string | undefined;
  /** The next message's text and the id it sets; undefined once the stream ended. */
  const block = async (): Promise<{ text: string; id: string | undefined } | undefined> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const text = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (.*)$/m.exec(text)?.[1];
        lastId = id ?? lastId;
        return { text, id };
      }
      if (ended) return undefined;
      const timer = setTimeout(() => controller.abort(), options.readMs);
      reader ??= response.body!.getReader();
      const { value, done } = await reader.read().finally(() => clearTimeout(timer));
      if (done) ended = true;
      else buffer += decoder.decode(value, { stream: true });
    }
  };
  /** The next message with an event and data (others are skipped); undefined at the end. */
  const next = async (): Promise<StreamMessage | undefined> => {
    for (let message = await block(); message; message = await block()) {
      const event = /^event: (.*)$/m.exec(message.text)?.[1];
      const data = /^data: (.*)$/m.exec(message.text)?.[1];
      if (event && data) return { id: message.id, event, data: JSON.parse(data) };
    }
    return undefined;
  };
  return {
    response,
    next,
    /** The same, failing when the stream ends first. */
    take: async (): Promise<StreamMessage> => {
      const message = await next();
      if (!message) throw new Error('the stream ended');
      return message;
    },
    /** Reads the stream's opening, up to its first `id:`; answers that id. */
    opening: async (): Promise<string> => {
      for (let message = await block(); message; message = await block()) {
        assert.doesNotMatch(message.text, /^event: /m, 'an event before the opening id');
        if (message.id !== undefined) return message.id;
      }
      throw new Error('the stream ended before it set an id');
    },
    lastId: () => lastId,
    close: () => controller.abort(),
  };
}

/**
 * Watches `server` for event stream requests; `cut()` destroys the connections of those
 * open now (no last event, no orderly end) and answers how many it cut.
 */
export function eventStreamCutter(server: TestServer) {
  const open = new Set<Socket>();
  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    if (!request.url?.startsWith('/api/v1/events')) return;
    open.add(request.socket);
    response.once('close', () => open.delete(request.socket));
  };
  const http = server.app.server;
  http.on('request', onRequest);
  return {
    cut(): number {
      const sockets = [...open];
      open.clear();
      for (const socket of sockets) socket.destroy();
      return sockets.length;
    },
    stop: () => void http.off('request', onRequest),
  };
}

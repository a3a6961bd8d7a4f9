/**
 * Server-Sent Events read from a fetch body: the `event:`, `data:` and `id:` fields of each
 * message (text/event-stream, WHATWG HTML §9.2), and the id of a message that sets only
 * that; comments skipped. Just the parsing the KITE event stream needs; no reconnection
 * (the caller decides whether to reopen, and from which id).
 */

export interface ServerSentEvent {
  /** The `event:` field; `message` when the server sent none. */
  event: string;
  data: string;
  /** The last event id: the last `id:` field so far, of this message or an earlier one. */
  id?: string;
}

/**
 * A message that sets the id and has no data. An EventSource dispatches no event for it
 * but keeps the id as the one it reconnects with (§9.2.6, "dispatch the event", step 1).
 */
export interface ServerSentId {
  id: string;
}

export async function* readServerSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ServerSentEvent | ServerSentId> {
  // The cast: the DOM library types the decoder's input as any BufferSource (the dashboard
  // builds this file with it), which pipeThrough's Uint8Array pair does not accept.
  const decoder = new TextDecoderStream() as TransformStream<Uint8Array, string>;
  const reader = body.pipeThrough(decoder).getReader();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  let idSet = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += value;
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length > 0) {
            yield { event: event || 'message', data: data.join('\n'), ...(id ? { id } : {}) };
          } else if (idSet && id) yield { id };
          event = '';
          data = [];
          idSet = false;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const raw = colon < 0 ? '' : line.slice(colon + 1);
        const text = raw.startsWith(' ') ? raw.slice(1) : raw;
        if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
        else if (field === 'id') {
          id = text;
          idSet = true;
        }
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

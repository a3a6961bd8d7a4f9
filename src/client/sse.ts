/**
 * Server-Sent Events read from a fetch body: the `event:`, `data:` and `id:` fields of each
 * message (text/event-stream, WHATWG HTML §9.2), comments skipped. Just the parsing the
 * KITE event stream needs; no reconnection (the caller decides whether to reopen).
 */

export interface ServerSentEvent {
  /** The `event:` field; `message` when the server sent none. */
  event: string;
  data: string;
  id?: string;
}

export async function* readServerSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ServerSentEvent> {
  // The cast: the DOM library types the decoder's input as any BufferSource (the dashboard
  // builds this file with it), which pipeThrough's Uint8Array pair does not accept.
  const decoder = new TextDecoderStream() as TransformStream<Uint8Array, string>;
  const reader = body.pipeThrough(decoder).getReader();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
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
          }
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const raw = colon < 0 ? '' : line.slice(colon + 1);
        const text = raw.startsWith(' ') ? raw.slice(1) : raw;
        if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
        else if (field === 'id') id = text;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * A `fetch` over `node:http`/`node:https` for short-lived processes (the `kite` CLI): the
 * subset `Http` uses (method, headers, a string or stream body, an abort signal; the
 * answer as a `Response` with a streamed body). Node's own fetch loads undici on its first
 * call, which cost about 190 ms of CPU per process on the shared machine (2026-12-03)
 * against about 70 ms for `node:http` plus `Headers` and `Response`; a server or the
 * operator, which fetch for hours, keep the global fetch.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/** Answers with no body by definition (RFC 9110): a Response must not be given one. */
const NO_BODY = new Set([204, 205, 304]);

export const nodeFetch: typeof fetch = async (input, init = {}) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  const send = url.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, key) => (headers[key] = value));
  return new Promise<Response>((resolve, reject) => {
    const outgoing = send(url, { method: init.method ?? 'GET', headers, agent: false });
    const abort = () => {
      const reason: unknown = signal?.reason;
      outgoing.destroy(reason instanceof Error ? reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', abort, { once: true });
    outgoing.on('error', (error) => {
      signal?.removeEventListener('abort', abort);
      reject(signal?.aborted ? (signal.reason as Error) : error);
    });
    outgoing.on('response', (incoming: IncomingMessage) => {
      // The abort listener stays until the body ends: aborting then ends the stream.
      incoming.on('close', () => signal?.removeEventListener('abort', abort));
      const answer = new Headers();
      for (const [key, value] of Object.entries(incoming.headers)) {
        if (value === undefined) continue;
        for (const item of Array.isArray(value) ? value : [value]) answer.append(key, item);
      }
      const status = incoming.statusCode ?? 500;
      if (NO_BODY.has(status)) incoming.resume();
      const body = NO_BODY.has(status)
        ? null
        : (Readable.toWeb(incoming) as unknown as ReadableStream<Uint8Array>);
      resolve(
        new Response(body, { status, statusText: incoming.statusMessage ?? '', headers: answer }),
      );
    });
    const body = init.body;
    if (body instanceof ReadableStream) {
      Readable.fromWeb(body).pipe(outgoing);
    } else {
      outgoing.end(typeof body === 'string' || body instanceof Uint8Array ? body : undefined);
    }
  });
};

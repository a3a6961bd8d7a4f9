/**
 * A `fetch` that sends the KITE client's requests into this same server, in process
 * (Fastify's `inject`), on behalf of an MCP request: the caller's authorization and
 * impersonation headers and address go along, so each call meets exactly the authentication, permission checks
 * and rate limits it would meet over the network, without the network. Answers stream
 * (a run log is read, not buffered), and aborting the call ends its answer.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const NULL_BODY = new Set([204, 205, 304]);

export function injectFetch(app: FastifyInstance, outer: FastifyRequest): typeof fetch {
  const call = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();
    const headers: Record<string, string | string[]> = { 'x-request-id': outer.id };
    new Headers(init.headers).forEach((value, key) => (headers[key] = value));
    // Whom the caller acts as goes along too: without it, a proxy that impersonates its
    // users would be answered with its own (wider) rights.
    for (const [name, values] of Object.entries(outer.raw.headersDistinct ?? {})) {
      if (name.startsWith('impersonate-') && values) headers[name] = values;
    }
    const answer = await app.inject({
      method: init.method ?? 'GET',
      url: url.pathname + url.search,
      headers,
      ...(typeof init.body === 'string' ? { payload: init.body } : {}),
      remoteAddress: outer.ip,
      payloadAsStream: true,
    });
    const body = answer.stream();
    const stop = () => body.destroy(signal?.reason instanceof Error ? signal.reason : undefined);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
    body.once('close', () => signal?.removeEventListener('abort', stop));
    const out = new Headers();
    for (const [key, value] of Object.entries(answer.headers)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) out.append(key, String(one));
    }
    if (NULL_BODY.has(answer.statusCode)) {
      body.destroy();
      return new Response(null, { status: answer.statusCode, headers: out });
    }
    return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, {
      status: answer.statusCode,
      headers: out,
    });
  };
  return call;
}

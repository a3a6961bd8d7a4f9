/**
 * A reverse proxy in front of a test server, as the console's plugin proxy or
 * oauth2-proxy stands in front of KITE: it forwards requests under `prefix` only
 * (stripping it; anything else is a 404, recorded in `outside`) and, with `identity`,
 * replaces whatever the browser sent as `Authorization` and `Impersonate-*` by the
 * proxy's own (its token and the user it speaks for).
 */
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestProxy {
  /** Where the browser goes: the proxy's address and prefix. */
  url: string;
  /** Paths asked for outside the prefix. */
  outside: string[];
  close(): Promise<void>;
}

export async function startProxy(
  target: string,
  options: { prefix?: string; identity?: Record<string, string> } = {},
): Promise<TestProxy> {
  const prefix = options.prefix ?? '/';
  const outside: string[] = [];
  const proxy = createServer((incoming, answer) => {
    const url = incoming.url ?? '/';
    if (!url.startsWith(prefix)) {
      outside.push(url);
      answer.writeHead(404).end();
      return;
    }
    const upstream = request(
      new URL(url.slice(prefix.length - 1), target),
      { method: incoming.method, headers: forwarded(incoming.headers, options.identity) },
      (reply) => {
        answer.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(answer);
      },
    );
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${prefix}`,
    outside,
    async close() {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

function forwarded(
  headers: IncomingHttpHeaders,
  identity: Record<string, string> | undefined,
): IncomingHttpHeaders {
  if (!identity) return headers;
  const kept = Object.entries(headers).filter(
    ([name]) => name !== 'authorization' && !name.startsWith('impersonate-'),
  );
  return { ...Object.fromEntries(kept), ...identity };
}

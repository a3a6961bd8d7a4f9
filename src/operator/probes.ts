/**
 * The operator's probe server: `/healthz` (the process runs), `/readyz` (every
 * controller's informers have listed; 503 until then) and `/metrics` (Prometheus text).
 * Plain node:http: three GET routes do not need a framework.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ProbeServer {
  /** Its base URL, e.g. `http://127.0.0.1:8081`. */
  url: string;
  close(): Promise<void>;
}

export async function startProbeServer(options: {
  host: string;
  port: number;
  ready: () => boolean;
  registry: Registry;
}): Promise<ProbeServer> {
  const { registry, ready } = options;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (path === '/readyz') {
      const now = ready();
      res.writeHead(now ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(now ? 'ready' : 'informers not synced yet');
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A stand-in for the API server that records what the operator posts to its webhooks,
 * over real HTTP, and answers 200: for operator tests of webhooks the server does not
 * declare (yet), and for asserting exactly what was sent and how often; and the
 * subscription API (recorded-subscriptions.ts) for the ConfigMap subscriptions sync.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordedSubscriptions, type RecordedSubscriptions } from './recorded-subscriptions.js';

export interface RecordedReport {
  webhook: string;
  body: Record<string, unknown>;
  authorization: string | undefined;
}

export interface RecordingApi {
  url: string;
  reports: RecordedReport[];
  /** The subscription API (recorded-subscriptions.ts). */
  subscriptions: RecordedSubscriptions;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startRecordingApi(): Promise<RecordingApi> {
  const reports: RecordedReport[] = [];
  const subscriptions = recordedSubscriptions();
  const server = createServer((request, response) => {
    void (async () => {
      const match = /^\/api\/v1\/webhooks\/([^/?]+)$/.exec(request.url ?? '');
      const text = await readBody(request);
      const url = new URL(request.url ?? '/', 'http://recording');
      const answer = subscriptions.handle(request.method ?? 'GET', url, text);
      if (answer) {
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(answer.json === undefined ? undefined : JSON.stringify(answer.json));
        return;
      }
      if (request.method !== 'POST' || !match?.[1]) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: 'not found' }));
        return;
      }
      reports.push({
        webhook: decodeURIComponent(match[1]),
        body: JSON.parse(text) as Record<string, unknown>,
        authorization: request.headers.authorization,
      });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ resolved: 0 }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    reports,
    subscriptions,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

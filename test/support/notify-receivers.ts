/**
 * Real receivers for the notification tests: a local HTTP server recording every POST
 * (headers and raw body), answering with the statuses a test queues, and a local SMTP
 * server (the `smtp-server` package) recording every message; plus a folder of receiver
 * secret files (KITE_RECEIVER_SECRETS_DIR, a folder per namespace).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface Received {
  /** When it arrived (Date.now()). */
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
}

export interface HttpReceiver {
  url: string;
  received: Received[];
  /** Statuses to answer the next requests with, in order; then 200. */
  answers: number[];
  /** Resolves once `count` requests have arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const received: Received[] = [];
  const answers: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      received.push({ at: Date.now(), path: req.url ?? '', headers: req.headers, body, json });
      res.statusCode = answers.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answers,
    waitFor: (count, timeoutMs = 10_000) =>
      waitUntil(() => received.length >= count, timeoutMs).then(() => received),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Mail {
  from: string;
  to: string[];
  data: string;
}

export interface SmtpReceiver {
  url: string;
  mails: Mail[];
  waitFor(count: number, timeoutMs?: number): Promise<Mail[]>;
  close(): Promise<void>;
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    waitFor: (count, timeoutMs = 10_000) =>
      waitUntil(() => mails.length >= count, timeoutMs).then(() => mails),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface SecretsDir {
  dir: string;
  /** Writes `<dir>/<namespace>/<name>`: the secret a subscription in `namespace` may use. */
  write(namespace: string, name: string, value: string): Promise<void>;
  remove(): Promise<void>;
}

export async function createSecretsDir(): Promise<SecretsDir> {
  const dir = await mkdtemp(join(tmpdir(), 'kite-receiver-secrets-'));
  return {
    dir,
    write: async (namespace, name, value) => {
      await mkdir(join(dir, namespace), { recursive: true });
      await writeFile(join(dir, namespace, name), `${value}\n`);
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits `ms`, for "nothing more arrives" assertions. */
export const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The operator's delivery over the API client: the reporter's queue is the one place a
 * report is retried (the client underneath sends each attempt once), the server's status
 * decides retry, park or give up, and the token is read through the operator's token
 * reader, so a rotated token file is used without a restart.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { KiteClient } from '../../src/client/client.js';
import { apiTokenReader } from '../../src/operator/api-token.js';
import { Reporter } from '../../src/operator/reporter.js';

const quiet = pino({ level: 'silent' });

/**
 * A server answering each request with `answer(n)` (n from 1) after `delayMs`, recording
 * what it saw.
 */
async function scripted(answer: (n: number) => number, delayMs = 0) {
  const seen: { authorization: string | undefined; body: string }[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({ authorization: request.headers.authorization, body });
      const status = answer(seen.length);
      setTimeout(() => {
        response.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' });
        response.end(JSON.stringify(status < 300 ? { id: 'x' } : { error: `answer ${status}` }));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function reporterFor(client: KiteClient, counted: string[], concurrency = 1) {
  return new Reporter({
    client,
    capacity: 10,
    concurrency,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    timeoutMs: 2_000,
    log: quiet,
    count: (result) => counted.push(result),
  });
}

const delivery = (key: string) => ({
  key,
  version: '1',
  request: () => ({ webhook: 'run-failure', body: { namespace: 'team-a', title: key } }),
});

describe('the reporter over the API client', () => {
  it('a 503 is retried by the queue, once per attempt, never by the client underneath', async () => {
    const server = await scripted((n) => (n === 1 ? 503 : 200));
    try {
      const counted: string[] = [];
      // A client that would retry a 503 by itself: the reporter turns that off.
      const client = new KiteClient({ baseUrl: server.url, retries: 2, backoffMs: 1 });
      const reporter = reporterFor(client, counted);
      reporter.start();
      reporter.enqueue(delivery('pipelineruns/team-a/run-1'));
      await reporter.idle();
      reporter.stop();
      assert.deepEqual(counted, ['retried', 'sent']);
      assert.equal(server.seen.length, 2);
      assert.deepEqual(JSON.parse(server.seen[1]?.body ?? ''), {
        namespace: 'team-a',
        title: 'pipelineruns/team-a/run-1',
      });
    } finally {
      await server.close();
    }
  });

  it('a run queued again while the same version of it is being sent is sent once; a newer version is sent', async () => {
    const server = await scripted(() => 200, 150);
    try {
      const counted: string[] = [];
      const reporter = reporterFor(new KiteClient({ baseUrl: server.url }), counted, 4);
      reporter.start();
      reporter.enqueue(delivery('task-updates/team-a/frontend/buildah'));
      while (server.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      // A resync queues the same state while the first delivery waits for its answer.
      reporter.enqueue(delivery('task-updates/team-a/frontend/buildah'));
      await reporter.idle();
      assert.equal(server.seen.length, 1);
      reporter.enqueue({ ...delivery('task-updates/team-a/frontend/buildah'), version: '2' });
      await reporter.idle();
      reporter.stop();
      assert.equal(server.seen.length, 2);
      assert.deepEqual(counted, ['sent', 'sent']);
    } finally {
      await server.close();
    }
  });

  it('a 400 is given up at once and counted as failed', async () => {
    const server = await scripted(() => 400);
    try {
      const counted: string[] = [];
      const reporter = reporterFor(new KiteClient({ baseUrl: server.url }), counted);
      reporter.start();
      reporter.enqueue(delivery('pipelineruns/team-a/run-2'));
      await reporter.idle();
      reporter.stop();
      assert.deepEqual(counted, ['failed']);
      assert.equal(server.seen.length, 1);
    } finally {
      await server.close();
    }
  });

  it('a rotated token file is read again and sent with the next report', async () => {
    const server = await scripted(() => 200);
    try {
      const file = join(await mkdtemp(join(tmpdir(), 'kite-token-')), 'token');
      await writeFile(file, 'token-one\n');
      const token = apiTokenReader(file, quiet, 0);
      const client = new KiteClient({ baseUrl: server.url, token });
      await client.webhook('run-failure', { namespace: 'team-a' });
      await writeFile(file, 'token-two\n');
      await client.webhook('run-failure', { namespace: 'team-a' });
      assert.deepEqual(
        server.seen.map((s) => s.authorization),
        ['Bearer token-one', 'Bearer token-two'],
      );
    } finally {
      await server.close();
    }
  });

  it('the token file is re-read at most once per refresh period', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'kite-token-')), 'token');
    await writeFile(file, 'token-one\n');
    const token = apiTokenReader(file, quiet, 60_000);
    assert.equal(await token(), 'token-one');
    await writeFile(file, 'token-two\n');
    assert.equal(await token(), 'token-one');
  });

  it('callers asking while the token file is first read all get the token', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'kite-token-')), 'token');
    await writeFile(file, 'token-one\n');
    const token = apiTokenReader(file, quiet, 60_000);
    assert.deepEqual(await Promise.all([token(), token(), token()]), Array(3).fill('token-one'));
  });
});

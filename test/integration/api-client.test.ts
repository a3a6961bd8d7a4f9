/**
 * The typed API client (src/client/) against the real server, on the database the suite
 * runs against: every method round-trips, errors carry the server's status and message,
 * and the transport rules hold (timeout, retries only where safe, a re-read token).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KiteClient, type KiteClientOptions } from '../../src/client/client.js';
import { nodeFetch } from '../../src/client/node-fetch.js';
import { KiteApiError, KiteTransportError } from '../../src/client/errors.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { addMintmakerPeople } from '../support/mintmaker-people.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let kube: KubeApiDouble;
let server: TestServer;
/** The transport of every client below: the global fetch, then the CLI's `node:http` one. */
let transport: typeof fetch | undefined;
const kiteClient = (options: KiteClientOptions) =>
  new KiteClient({ ...options, ...(transport ? { fetch: transport } : {}) });
const admin = () => kiteClient({ baseUrl: server.url, token: 'token-admin' });
const operator = () => kiteClient({ baseUrl: server.url, token: 'token-operator' });

const newIssue = (title: string, namespace: string, extra: Record<string, unknown> = {}) => ({
  title,
  description: `${title} described`,
  severity: 'major' as const,
  issueType: 'build' as const,
  namespace,
  scope: { resourceType: 'component', resourceName: title },
  ...extra,
});

before(async () => {
  kube = await startKubeApiDouble();
  addMintmakerPeople(kube);
  kube.users.set('token-admin', { username: 'admin', groups: [] });
  kube.grants.push({ user: 'admin', verb: '*', apiGroup: '*', resource: '*' });
  kube.namespaces.push('team-a', 'team-b');
});
after(async () => {
  await kube?.close();
});

/** A local HTTP server whose answers a test scripts; counts the requests it saw. */
async function scripted(
  handle: (request: IncomingMessage, response: ServerResponse, seen: number) => void,
): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let seen = 0;
  const http: Server = createServer((request, response) => handle(request, response, ++seen));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => seen,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

const TRANSPORTS: [string, typeof fetch | undefined][] = [
  ['over the global fetch', undefined],
  ['over node:http (nodeFetch, as the CLI sends)', nodeFetch],
];
for (const [name, impl] of TRANSPORTS) {
  describe(name, () => {
    // A server (and database) of its own: the tests count what they created.
    before(async () => {
      transport = impl;
      server = await startTestServer({
        env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig },
      });
    });
    after(() => server?.stop());
    clientTests();
  });
}

function clientTests(): void {
  describe('the API client against the real server', () => {
    it('creates, reads, updates, lists, counts, relates, resolves and deletes issues', async () => {
      const kite = admin();
      const web = await kite.createIssue(
        newIssue('client-web', 'client-a', { labels: { app: 'web', tier: 'front' } }),
      );
      const db = await kite.createIssue(
        newIssue('client-db', 'client-b', { severity: 'critical', labels: { app: 'db' } }),
      );
      await kite.createIssue(newIssue('client-other', 'client-c', { labels: { app: 'web' } }));
      assert.equal(web.namespace, 'client-a');
      assert.deepEqual(web.labels, { app: 'web', tier: 'front' });
      assert.deepEqual(await kite.getIssue(web.id), web);

      const updated = await kite.updateIssue(web.id, { severity: 'minor', title: 'client-web 2' });
      assert.equal(updated.severity, 'minor');
      assert.equal(updated.title, 'client-web 2');

      const both = await kite.listIssues({ namespace: ['client-a', 'client-b'] });
      assert.deepEqual(both.data.map((i) => i.id).sort(), [web.id, db.id].sort());
      assert.equal(both.total, 2);
      const webOnly = await kite.listIssues({
        namespace: ['client-a', 'client-b', 'client-c'],
        labelSelector: 'app=web,tier!=back',
        severity: 'minor',
      });
      assert.deepEqual(
        webOnly.data.map((i) => i.id),
        [web.id],
      );
      const paged = await kite.listIssues({ namespace: ['client-a', 'client-b'], limit: 1 });
      assert.deepEqual([paged.data.length, paged.total, paged.limit, paged.offset], [1, 2, 1, 0]);
      // `sort` and its cursor: oldest first is web then db, page by page.
      const two = ['client-a', 'client-b'];
      const oldest = await kite.listIssues({ namespace: two, sort: 'detectedAt', limit: 1 });
      assert.deepEqual(
        oldest.data.map((i) => i.id),
        [web.id],
      );
      const after = await kite.listIssues({
        namespace: two,
        sort: 'detectedAt',
        limit: 1,
        cursor: oldest.next ?? '',
      });
      assert.deepEqual([after.data.map((i) => i.id), after.next], [[db.id], null]);
      const worst = await kite.listIssues({ namespace: two, sort: '-severity', limit: 1 });
      assert.deepEqual(
        worst.data.map((i) => i.id),
        [db.id],
      );
      const searched = await kite.listIssues({ search: 'client-db' });
      assert.deepEqual(
        searched.data.map((i) => i.id),
        [db.id],
      );

      const counts = await kite.countIssues({ namespace: ['client-a', 'client-b'] });
      assert.equal(counts.total, 2);
      assert.equal(counts.bySeverity.critical, 1);
      assert.equal(counts.bySeverity.minor, 1);

      assert.deepEqual(await kite.relateIssues(web.id, db.id), { message: 'Issues related' });
      assert.deepEqual(
        (await kite.getIssue(web.id)).relatedFrom.map((r) => r.targetId),
        [db.id],
      );
      assert.equal(await kite.unrelateIssues(web.id, db.id), undefined);
      assert.deepEqual((await kite.getIssue(web.id)).relatedFrom, []);

      const resolved = await kite.resolveIssue(web.id);
      assert.equal(resolved.state, 'RESOLVED');
      const timeline = await kite.issueEvents(web.id);
      assert.ok(timeline.total >= 2, JSON.stringify(timeline));
      assert.ok(timeline.data.every((event) => event.issueId === web.id));
      assert.ok(
        timeline.data.some((event) => event.kind.includes('resolve')),
        JSON.stringify(timeline),
      );

      assert.equal(await kite.deleteIssue(db.id), undefined);
      await assert.rejects(kite.getIssue(db.id), (error: unknown) => {
        assert.ok(error instanceof KiteApiError);
        assert.equal(error.status, 404);
        assert.equal(error.method, 'GET');
        assert.match(error.message, /not found/i);
        return true;
      });
    });

    it('a 400 carries the status and the message naming the field, and changes nothing', async () => {
      const kite = admin();
      const bad = { ...newIssue('client-bad', 'client-bad'), severity: 'urgent' };
      await assert.rejects(
        // The server is the judge of input, so the client sends what it is given.
        kite.createIssue(bad as unknown as Parameters<KiteClient['createIssue']>[0]),
        (error: unknown) => {
          assert.ok(error instanceof KiteApiError);
          assert.equal(error.status, 400);
          assert.match(error.message, /severity must be one of: /);
          assert.ok(Array.isArray(error.details));
          assert.equal((error.details as { field: string }[])[0]?.field, 'severity');
          return true;
        },
      );
      assert.equal((await kite.countIssues({ namespace: ['client-bad'] })).total, 0);
    });

    it('reads the token from a function on every request, so a rotated token is used', async () => {
      let token = 'token-nobody';
      const kite = kiteClient({ baseUrl: server.url, token: () => token });
      await assert.rejects(kite.namespaces(), (error: unknown) => {
        assert.ok(error instanceof KiteApiError);
        assert.equal(error.status, 401);
        assert.doesNotMatch(`${error.message} ${JSON.stringify(error.details)}`, /token-nobody/);
        return true;
      });
      token = 'token-alice';
      assert.deepEqual(await kite.namespaces(), {
        all: false,
        namespaces: ['team-a'],
        places: [{ cluster: 'local', namespace: 'team-a' }],
      });
    });

    it('reports through a webhook and resolves through its success webhook', async () => {
      const kite = operator();
      const reported = await kite.webhook('pipeline-failure', {
        pipelineName: 'client-pipe',
        namespace: 'client-hooks',
        failureReason: 'boom',
      });
      assert.ok('issue' in reported, JSON.stringify(reported));
      assert.equal(reported.status, 'success');
      assert.equal(reported.issue.namespace, 'client-hooks');
      const resolved = await kite.webhook('pipeline-success', {
        pipelineName: 'client-pipe',
        namespace: 'client-hooks',
      });
      assert.ok('message' in resolved, JSON.stringify(resolved));
      assert.equal(resolved.status, 'success');
      assert.equal((await admin().getIssue(reported.issue.id)).state, 'RESOLVED');
    });

    it('archives a MintMaker run, lists it and reads its log whole, as a stream and followed', async () => {
      const kite = operator();
      const run = await kite.registerRun({
        name: 'renovate-client1',
        uid: 'uid-client1',
        namespace: 'team-a',
        component: 'frontend',
        status: 'Succeeded',
        completionTime: '2026-12-01T08:00:00Z',
      });
      assert.equal(run.name, 'renovate-client1');
      assert.deepEqual(
        await kite.uploadStepLog(
          { run: 'renovate-client1', task: 'renovate', step: 'prepare', position: 0 },
          'cloning\n',
        ),
        { bytes: 8, truncated: false },
      );
      const streamed = new Blob(['renovating\n']).stream();
      assert.equal(
        (
          await kite.uploadStepLog(
            { run: 'renovate-client1', task: 'renovate', step: 'run', position: 1 },
            streamed,
          )
        ).bytes,
        11,
      );

      const alice = kiteClient({ baseUrl: server.url, token: 'token-alice' });
      const runs = await alice.listRuns({ namespace: 'team-a' });
      assert.deepEqual(
        runs.data.map((r) => [r.name, r.status, r.archived, r.logBytes]),
        [['renovate-client1', 'Succeeded', true, 19]],
      );
      const text = await alice.runLogText('renovate-client1');
      assert.match(text, /cloning\n[\s\S]*renovating\n/);
      assert.equal(
        await alice.runLogText('renovate-client1', { step: 'run', format: 'raw' }),
        '==> task renovate, step run <==\nrenovating\n',
      );
      const stream = await alice.runLog('renovate-client1', { step: 'renovate/prepare' });
      assert.equal(
        await new Response(stream).text(),
        await alice.runLogText('renovate-client1', { step: 'renovate/prepare' }),
      );
      // A completed run's followed log ends when it has been read.
      const followed = await alice.runLog('renovate-client1', { follow: true });
      assert.equal(await new Response(followed).text(), text);

      const bob = kiteClient({ baseUrl: server.url, token: 'token-bob' });
      await assert.rejects(bob.runLogText('renovate-client1'), (error: unknown) => {
        assert.ok(error instanceof KiteApiError);
        assert.equal(error.status, 404);
        return true;
      });
    });

    it('the event stream yields a change made after it opened, of its namespaces only', async () => {
      const kite = admin();
      const stream = await kite.events({ namespace: ['client-live'] });
      await kite.createIssue(newIssue('client-elsewhere', 'client-quiet'));
      const created = await kite.createIssue(newIssue('client-live', 'client-live'));
      for await (const event of stream) {
        assert.equal(event.type, 'created');
        assert.ok('change' in event);
        assert.equal(event.change.id, created.id);
        assert.equal(event.change.namespace, 'client-live');
        break;
      }
      stream.close();
    });
    it('an event stream reopened with the last id seen first yields the changes it missed', async () => {
      const kite = admin();
      const first = await kite.events({ namespace: ['client-resume'] });
      await kite.createIssue(newIssue('seen before the break', 'client-resume'));
      let lastId: string | undefined;
      for await (const event of first) {
        assert.equal(event.type, 'created');
        assert.ok('id' in event && event.id, 'each change carries the stream position');
        lastId = event.id;
        break;
      }
      first.close();
      const missed = await kite.createIssue(newIssue('made while away', 'client-resume'));
      await kite.createIssue(newIssue('another namespace', 'client-resume-other'));

      const resumed = await kite.events({ namespace: ['client-resume'] }, { lastEventId: lastId });
      for await (const event of resumed) {
        assert.ok('change' in event, `a change, not ${event.type}`);
        assert.equal(event.change.id, missed.id);
        assert.ok(BigInt(event.id ?? '0') > BigInt(lastId ?? '0'));
        break;
      }
      resumed.close();
    });

    it('an event stream resumed from an id the server never handed out is told to reset', async () => {
      const stream = await admin().events(
        { namespace: ['client-resume'] },
        { lastEventId: '999999999999' },
      );
      for await (const event of stream) {
        assert.equal(event.type, 'reset');
        assert.ok('reason' in event && event.reason.length > 0);
        break;
      }
      stream.close();
    });
  });

  describe('the API client transport', () => {
    it('closing an event stream while it is being read ends the read', async () => {
      const stream = await admin().events({ namespace: ['client-closed'] });
      const reading = (async () => {
        const seen = [];
        for await (const event of stream) seen.push(event);
        return seen;
      })();
      stream.close();
      assert.deepEqual(await reading, []);
    });

    it('a request to a server that never answers ends with a timeout error', async () => {
      const held = await scripted(() => undefined);
      try {
        const kite = kiteClient({ baseUrl: held.url, timeoutMs: 200, retries: 0 });
        const started = Date.now();
        await assert.rejects(kite.namespaces(), (error: unknown) => {
          assert.ok(error instanceof KiteTransportError);
          assert.equal(error.kind, 'timeout');
          assert.match(error.message, /GET api\/v1\/namespaces: no answer within 200 ms/);
          return true;
        });
        assert.ok(Date.now() - started < 5_000);
        assert.equal(held.requests(), 1);
      } finally {
        await held.close();
      }
    });

    it('a 503 is retried after its Retry-After and the success returned', async () => {
      const flaky = await scripted((_request, response, seen) => {
        if (seen === 1) {
          response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
          response.end(JSON.stringify({ error: 'Permissions cannot be checked' }));
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ all: false, namespaces: ['x'] }));
      });
      try {
        const kite = kiteClient({ baseUrl: flaky.url, backoffMs: 1 });
        assert.deepEqual(await kite.namespaces(), { all: false, namespaces: ['x'] });
        assert.equal(flaky.requests(), 2);
      } finally {
        await flaky.close();
      }
    });

    it('a lasting 503 ends, after the retries, with the status and the server message', async () => {
      const down = await scripted((_request, response) => {
        response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
        response.end(JSON.stringify({ error: 'Permissions cannot be checked' }));
      });
      try {
        const kite = kiteClient({ baseUrl: down.url, retries: 2 });
        await assert.rejects(kite.createIssue(newIssue('x', 'x')), (error: unknown) => {
          assert.ok(error instanceof KiteApiError);
          assert.equal(error.status, 503);
          assert.equal(error.message, 'Permissions cannot be checked');
          return true;
        });
        // 503 means the server did not act, so even a POST is repeated.
        assert.equal(down.requests(), 3);
      } finally {
        await down.close();
      }
    });

    it('a POST whose connection fails is not repeated; a GET is', async () => {
      const broken = await scripted((request) => request.socket.destroy());
      try {
        const kite = kiteClient({ baseUrl: broken.url, retries: 2, backoffMs: 1 });
        await assert.rejects(kite.createIssue(newIssue('x', 'x')), (error: unknown) => {
          assert.ok(error instanceof KiteTransportError);
          assert.equal(error.kind, 'network');
          return true;
        });
        assert.equal(broken.requests(), 1);
        await assert.rejects(kite.listIssues(), KiteTransportError);
        assert.equal(broken.requests(), 4);
      } finally {
        await broken.close();
      }
    });
    it("a call's own timeout wins over the client's", async () => {
      const held = await scripted(() => undefined);
      try {
        const kite = kiteClient({ baseUrl: held.url, timeoutMs: 60_000, retries: 0 });
        const started = Date.now();
        await assert.rejects(kite.namespaces({ timeoutMs: 200 }), (error: unknown) => {
          assert.ok(error instanceof KiteTransportError);
          assert.equal(error.kind, 'timeout');
          assert.match(error.message, /no answer within 200 ms/);
          return true;
        });
        assert.ok(Date.now() - started < 5_000);
      } finally {
        await held.close();
      }
    });

    it('a call with retries 0 is sent once even when a retry would be safe (503)', async () => {
      const down = await scripted((_request, response) => {
        response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
        response.end(JSON.stringify({ error: 'Permissions cannot be checked' }));
      });
      try {
        const kite = kiteClient({ baseUrl: down.url, retries: 2, backoffMs: 1 });
        await assert.rejects(
          kite.webhook('pipeline-failure', { namespace: 'x' }, { retries: 0 }),
          (error: unknown) => error instanceof KiteApiError && error.status === 503,
        );
        assert.equal(down.requests(), 1);
      } finally {
        await down.close();
      }
    });

    it("a streamed upload slower than the client's timeout completes: it has none", async () => {
      let received = '';
      const sink = await scripted((request, response) => {
        request.setEncoding('utf8');
        request.on('data', (chunk: string) => (received += chunk));
        request.on('end', () => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ bytes: received.length, truncated: false }));
        });
      });
      try {
        const kite = kiteClient({ baseUrl: sink.url, timeoutMs: 100, retries: 0 });
        const step = { run: 'r', task: 't', step: 's', position: 0 };
        const answer = await kite.uploadStepLog(step, slowLines(['a\n', 'b\n', 'c\n'], 150));
        assert.deepEqual(answer, { bytes: 6, truncated: false });
        assert.equal(received, 'a\nb\nc\n');
        // The same upload with a timeout of its own is cut off by it.
        await assert.rejects(
          kite.uploadStepLog(step, slowLines(['a\n', 'b\n', 'c\n'], 150), { timeoutMs: 100 }),
          (error: unknown) => error instanceof KiteTransportError && error.kind === 'timeout',
        );
      } finally {
        await sink.close();
      }
    });
  });

  /** A byte stream giving one line every `ms`. */
  function slowLines(lines: string[], ms: number): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    let next = 0;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, ms));
        const line = lines[next++];
        if (line === undefined) controller.close();
        else controller.enqueue(encoder.encode(line));
      },
    });
  }
}

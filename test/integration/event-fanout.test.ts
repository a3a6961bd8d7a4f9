/**
 * The live event fan-out, through the real server: a change reaches exactly the streams
 * whose namespaces hold it, and a client that stops reading is dropped once its bytes
 * waiting in the server pass `KITE_EVENT_STREAM_BUFFER`, while the others go on.
 * Bulk changes are made straight in the database (one statement, a change per row), as
 * a script or another replica would: a client's kernel socket buffers hold megabytes
 * before the server has to keep anything, more than webhooks would make quickly.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { openEventReader } from '../support/event-streams.js';
import { client, startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;

before(async () => {
  server = await startTestServer({
    env: { KITE_EVENT_STREAMS_PER_CALLER: '50', KITE_EVENT_STREAM_BUFFER: '64Ki' },
  });
});
after(async () => {
  await server.stop();
});

interface Event {
  event: string;
  data: any;
}

/** Reports a failure; resolves to the issue's id. */
async function report(namespace: string, pipelineName: string): Promise<string> {
  const answer = await client(server.url).post<{ issue: { id: string } }>(
    '/api/v1/webhooks/pipeline-failure',
    { pipelineName, namespace, failureReason: 'exit 1' },
  );
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.issue.id;
}

/** An open stream, read event by event; a read that waits past 20 s fails the test. */
async function openStream(query = '') {
  const stream = await openEventReader(server.url, { query, readMs: 20_000 });
  assert.equal(stream.response.status, 200);
  const next = async (): Promise<Event> => {
    const { event, data } = await stream.take();
    return { event, data };
  };
  return {
    /** Events up to and including the change of issue `id`. */
    async until(id: string): Promise<Event[]> {
      const seen: Event[] = [];
      for (;;) {
        const event = await next();
        seen.push(event);
        if (event.data.id === id) return seen;
      }
    },
    /** Reads on in the background, as a browser would; resolves with the events up to `id`'s. */
    readOn(): { upTo(id: string): Promise<Event[]> } {
      const seen: Event[] = [];
      let waiting: { id: string; resolve: (events: Event[]) => void } | undefined;
      let failed: Error | undefined;
      void (async () => {
        for (;;) {
          const event = await next();
          seen.push(event);
          if (waiting && event.data.id === waiting.id) waiting.resolve(seen);
        }
      })().catch((error: unknown) => {
        failed = error instanceof Error ? error : new Error(String(error));
      });
      return {
        upTo: (id) =>
          new Promise((resolve, reject) => {
            if (failed) reject(failed);
            else if (seen.some((event) => event.data.id === id)) resolve(seen);
            else waiting = { id, resolve };
          }),
      };
    },
    close: stream.close,
  };
}

describe('one change reaches the streams of its namespace and no other', () => {
  it('delivers by namespace, to cluster-wide readers too, each event whole', async () => {
    const onlyA = await openStream('?namespace=fan-a');
    const onlyB = await openStream('?namespace=fan-b');
    const both = await openStream('?namespace=fan-a&namespace=fan-b');
    const onlyC = await openStream('?namespace=fan-c');
    const everything = await openStream();
    try {
      const a1 = await report('fan-a', 'a1');
      const b1 = await report('fan-b', 'b1');
      const c1 = await report('fan-c', 'c1');
      const a2 = await report('fan-a', 'a2');
      const b2 = await report('fan-b', 'b2');
      const ids = (events: Event[]) => events.map((event) => event.data.id);
      assert.deepEqual(ids(await onlyA.until(a2)), [a1, a2]);
      assert.deepEqual(ids(await onlyB.until(b2)), [b1, b2]);
      assert.deepEqual(ids(await both.until(b2)), [a1, b1, a2, b2]);
      assert.deepEqual(ids(await onlyC.until(c1)), [c1]);
      const all = await everything.until(b2);
      assert.deepEqual(ids(all), [a1, b1, c1, a2, b2]);
      assert.deepEqual(all[2], {
        event: 'created',
        data: {
          type: 'created',
          id: c1,
          namespace: 'fan-c',
          cluster: 'local',
          state: 'ACTIVE',
          severity: 'major',
          issueType: 'pipeline',
        },
      });
    } finally {
      for (const stream of [onlyA, onlyB, both, onlyC, everything]) stream.close();
    }
  });
});

/** A raw HTTP/1.1 event stream that reads its response head, then stops reading. */
async function stalledStream(): Promise<Socket> {
  const { hostname, port } = new URL(server.url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(`GET /api/v1/events?namespace=fan-slow HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`);
  const head = await new Promise<string>((resolve) =>
    socket.once('data', (chunk) => resolve(String(chunk))),
  );
  assert.match(head, /^HTTP\/1\.1 200/);
  socket.pause();
  return socket;
}

/** The SSE body of a chunked response, once the server has ended it. */
function readToEnd(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (chunk) => {
    text += String(chunk);
  });
  socket.resume();
  return new Promise((resolve) => socket.once('close', () => resolve(text)));
}

async function slowDrops(): Promise<number> {
  const metrics = await client(server.url).get<string>('/metrics');
  const match = /^kite_event_streams_dropped_slow_total (\d+)/m.exec(String(metrics.body));
  return Number(match?.[1] ?? 0);
}

/**
 * Adds `rows` issues to `namespace` in one statement straight in the database, as a
 * bulk import or another replica would: each row is one change on the feed.
 */
async function bulkInsert(namespace: string, from: number, rows: number): Promise<void> {
  await server.db.query(
    `INSERT INTO issues (namespace, issue_type, scope_type, scope_name, scope_namespace, title,
       description, severity, state)
     SELECT $1, 'pipeline', 'pipelinerun', 'bulk-' || n, $1, 'bulk', 'bulk', 'minor', 'ACTIVE'
     FROM generate_series($2::int, $3::int) AS n`,
    [namespace, from, from + rows - 1],
  );
}

describe('a client that stops reading', () => {
  it('is dropped with a last "too slow" end once its waiting bytes pass the bound, and the others keep receiving', async () => {
    const dropsBefore = await slowDrops();
    const slow = await stalledStream();
    const fast = await openStream('?namespace=fan-slow');
    const reading = fast.readOn();
    try {
      // The kernel's socket buffers take the first megabytes; add changes until the server drops it.
      const rows = 200;
      let sent = 0;
      while ((await slowDrops()) === dropsBefore) {
        assert.ok(sent < 200_000, `not dropped after ${sent} changes`);
        await bulkInsert('fan-slow', sent, rows);
        sent += rows;
      }
      const after = await report('fan-slow', 'after-the-drop');
      const seen = await reading.upTo(after);
      assert.equal(seen.length, sent + 1, 'the reading client got every change');
      assert.equal(await slowDrops(), dropsBefore + 1, 'only the slow client was dropped');

      const body = await readToEnd(slow);
      const frames = body.split('\n\n').filter((frame) => frame.includes('event: '));
      assert.ok(frames.length <= sent + 1, `the slow client got ${frames.length} of ${sent}`);
      assert.match(frames.at(-1)!, /event: end\ndata: \{"reason":"too slow"\}$/);
      assert.equal(body.includes(after), false, 'nothing after the drop');
    } finally {
      fast.close();
      slow.destroy();
    }
  });
});

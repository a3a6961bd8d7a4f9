/**
 * Resuming a live event stream with `Last-Event-ID`, through the real server, the real
 * `@kubernetes/client-node` and the Kubernetes API test double: every event carries an
 * id, a reconnecting client gets exactly the changes it missed (once, in order) and then
 * live ones, only in namespaces it may read at the time it reconnects, and an id that
 * cannot be resumed from gets the documented answer (docs/api.md, Live events). A stream
 * whose connection breaks before its first event resumes from the id it opened with.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KiteClient, type EventStream } from '../../src/client/client.js';
import type { StreamEvent } from '../../src/client/types.js';
import {
  eventStreamCutter,
  openEventReader,
  type StreamMessage,
} from '../support/event-streams.js';
import { type Grant, type KubeApiDouble } from '../support/kube-api.js';
import {
  ISSUES_RBAC as RBAC,
  startKubeAuthServer,
  type KubeAuthServer,
} from '../support/kube-auth-server.js';
import { client, type TestServer } from '../support/test-server.js';

const TTL_MS = 400;
let kube: KubeApiDouble;
let server: TestServer;

let setup: KubeAuthServer;

before(async () => {
  setup = await startKubeAuthServer({
    namespaces: ['team-a', 'team-b', 'team-c'],
    cacheTtlMs: TTL_MS,
    streamsPerCaller: 10,
  });
  ({ kube, server } = setup);
});
after(() => setup.stop());

/** A user who may read issues in `namespaces`; the grants, to take away later. */
function reader(name: string, namespaces: string[]): Grant[] {
  kube.users.set(`token-${name}`, { username: name, groups: [`${name}-group`] });
  const grants = namespaces.map((namespace) => ({
    group: `${name}-group`,
    verb: 'get',
    ...RBAC,
    namespace,
  }));
  kube.grants.push(...grants);
  return grants;
}

/** Reports a failure; resolves to the issue's id. */
async function report(namespace: string, pipelineName: string): Promise<string> {
  const answer = await client(server.url).post<{ issue: { id: string } }>(
    '/api/v1/webhooks/pipeline-failure',
    { pipelineName, namespace, failureReason: 'exit 1' },
    { authorization: 'Bearer token-reporter' },
  );
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.issue.id;
}

/** One SSE event as a client sees it: the id it would resume from, the type, the data. */
type Event = StreamMessage;

/** Opens a stream as `token`, optionally resuming; a read that waits past 20 s fails. */
async function openStream(token: string, lastEventId?: string, query = '') {
  const stream = await openEventReader(server.url, {
    query,
    headers: {
      authorization: `Bearer ${token}`,
      ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
    },
    readMs: 20_000,
  });
  const { response, take: next } = stream;
  if (response.status !== 200) assert.fail(`${response.status}: ${await response.text()}`);
  const seen: Event[] = [];
  return {
    next,
    opening: stream.opening,
    lastId: stream.lastId,
    /** Events up to and including the change of issue `id` (all read so far, in order). */
    async until(id: string): Promise<Event[]> {
      while (!seen.some((event) => event.data.id === id)) seen.push(await next());
      return seen;
    },
    close: stream.close,
  };
}

/** Opens a stream and reads its opening message: the `id:` a fresh stream starts at. */
async function headId(token: string): Promise<string> {
  const stream = await openEventReader(server.url, {
    headers: { authorization: `Bearer ${token}` },
    readMs: 20_000,
  });
  try {
    return await stream.opening();
  } finally {
    stream.close();
  }
}

const shape = (events: Event[]) => events.map((event) => [event.id, event.event, event.data.id]);

describe('every event carries an id', () => {
  it('ids rise with each change and a fresh stream starts at the newest id', async () => {
    reader('ida', ['team-c']);
    const before = BigInt(await headId('token-ida'));
    const stream = await openStream('token-ida', undefined, '?namespace=team-c');
    try {
      const first = await report('team-c', 'id-1');
      const second = await report('team-c', 'id-2');
      const events = await stream.until(second);
      assert.deepEqual(
        events.map((event) => event.data.id),
        [first, second],
      );
      const ids = events.map((event) => BigInt(event.id!));
      assert.ok(ids[0]! > before && ids[1]! > ids[0]!, `ids ${ids.join(', ')} after ${before}`);
    } finally {
      stream.close();
    }
  });
});

describe('a stream resumed with Last-Event-ID', () => {
  it('gets exactly the missed changes once, in order, then live ones, while changes keep coming', async () => {
    reader('rex', ['team-a']);
    const witness = await openStream('token-rex', undefined, '?namespace=team-a');
    const first = await openStream('token-rex', undefined, '?namespace=team-a');
    let resumed: Awaited<ReturnType<typeof openStream>> | undefined;
    try {
      const early: string[] = [];
      for (let i = 0; i < 5; i += 1) early.push(await report('team-a', `resume-${i}`));
      await first.until(early[4]!);
      const lastId = first.lastId()!;
      first.close();

      // Changes keep coming: new issues and repeats of earlier ones (updates); the
      // resumed stream connects in the middle, so its replay and the live feed overlap.
      let resuming: Promise<Awaited<ReturnType<typeof openStream>>> | undefined;
      for (let i = 5; i < 120; i += 1) {
        await report('team-a', i % 3 === 0 ? `resume-${i - 3}` : `resume-${i}`);
        if (i === 40) resuming = openStream('token-rex', lastId, '?namespace=team-a');
      }
      resumed = await resuming!;
      const last = await report('team-a', 'resume-last');

      const all = await witness.until(last);
      const missed = all.slice(all.findIndex((event) => event.id === lastId) + 1);
      assert.equal(missed.length, 116);
      const got = await resumed.until(last);
      assert.deepEqual(shape(got), shape(missed));
      const ids = got.map((event) => BigInt(event.id!));
      assert.ok(
        ids.every((id, i) => i === 0 || id > ids[i - 1]!),
        'ids rise',
      );
      assert.ok(ids[0]! > BigInt(lastId));
      // Nothing comes after the last change but what is made next.
      const next = await report('team-a', 'resume-next');
      assert.equal((await resumed.next()).data.id, next);
    } finally {
      witness.close();
      first.close();
      resumed?.close();
    }
  });

  it('replays only the namespaces the caller may read when it reconnects', async () => {
    const grants = reader('rita', ['team-a', 'team-b']);
    const first = await openStream('token-rita');
    let resumed: Awaited<ReturnType<typeof openStream>> | undefined;
    try {
      const start = await report('team-a', 'rights-0');
      await first.until(start);
      const lastId = first.lastId()!;
      first.close();
      const a1 = await report('team-a', 'rights-a1');
      await report('team-b', 'rights-b1');
      await report('team-c', 'rights-c1');
      const a2 = await report('team-a', 'rights-a2');
      // Taken away while the client was disconnected: its missed changes stay unseen.
      kube.grants.splice(kube.grants.indexOf(grants[1]!), 1);
      await new Promise((resolve) => setTimeout(resolve, TTL_MS * 2));

      const refused = await fetch(new URL('/api/v1/events?namespace=team-b', server.url), {
        headers: { authorization: 'Bearer token-rita', 'last-event-id': lastId },
      });
      assert.equal(refused.status, 403);
      assert.deepEqual(await refused.json(), {
        error: 'Not allowed to read issues in namespace team-b',
      });

      resumed = await openStream('token-rita', lastId);
      await report('team-b', 'rights-b2');
      const a3 = await report('team-a', 'rights-a3');
      const got = await resumed.until(a3);
      assert.deepEqual(
        got.map((event) => event.data.id),
        [a1, a2, a3],
      );
    } finally {
      first.close();
      resumed?.close();
    }
  });
});

describe('a stream that breaks before its first event', () => {
  it('resumed from the id it opened with, as an EventSource does, gets the change made in between', async () => {
    reader('edda', ['team-b']);
    const cutter = eventStreamCutter(server);
    const first = await openStream('token-edda', undefined, '?namespace=team-b');
    let resumed: Awaited<ReturnType<typeof openStream>> | undefined;
    try {
      const opened = await first.opening();
      assert.equal(cutter.cut(), 1);
      await assert.rejects(first.next(), 'no event came before the break');
      const missed = await report('team-b', 'while-away');
      resumed = await openStream('token-edda', opened, '?namespace=team-b');
      const event = await resumed.next();
      assert.deepEqual([event.event, event.data.id], ['created', missed]);
      assert.ok(BigInt(event.id!) > BigInt(opened));
    } finally {
      cutter.stop();
      first.close();
      resumed?.close();
    }
  });

  it('through the API client, resumed from its position, gets the change made in between', async () => {
    reader('emil', ['team-b']);
    const cutter = eventStreamCutter(server);
    const kite = new KiteClient({ baseUrl: server.url, token: 'token-emil', retries: 0 });
    const signal = AbortSignal.timeout(20_000);
    const first = await kite.events({ namespace: ['team-b'] }, { signal });
    let resumed: EventStream | undefined;
    try {
      const opened = first.position;
      assert.match(opened ?? '', /^\d+$/, 'the position is set once the stream is open');
      assert.equal(cutter.cut(), 1);
      const before: StreamEvent[] = [];
      await assert.rejects(async () => {
        for await (const event of first) before.push(event);
      }, TypeError);
      assert.deepEqual(before, []);
      assert.equal(first.position, opened);
      const missed = await report('team-b', 'client-while-away');
      resumed = await kite.events({ namespace: ['team-b'] }, { lastEventId: opened, signal });
      const { value } = await resumed[Symbol.asyncIterator]().next();
      assert.ok(value && 'change' in value, `a change, not ${JSON.stringify(value)}`);
      assert.deepEqual([value.type, value.change.id], ['created', missed]);
    } finally {
      cutter.stop();
      first.close();
      resumed?.close();
    }
  });
});

describe('a Last-Event-ID that cannot be resumed from', () => {
  it('answers 400 naming the header when it is not an event id, and opens no stream', async () => {
    reader('bea', ['team-c']);
    for (const bad of ['abc', '-1', '007', '1.5', '9223372036854775808', '12 13']) {
      const answer = await fetch(new URL('/api/v1/events', server.url), {
        headers: { authorization: 'Bearer token-bea', 'last-event-id': bad },
      });
      assert.equal(answer.status, 400, bad);
      assert.deepEqual(await answer.json(), {
        error:
          'Last-Event-ID must be an event id this server sent: a decimal integer, ' +
          'or leave it out to start from now',
      });
    }
  });

  it('sends event: reset at the newest id when the id is past retention or unknown, then goes on live', async () => {
    reader('rory', ['team-c']);
    const gone = await report('team-c', 'pruned-0');
    await report('team-c', 'pruned-1');
    const [{ oldest }] = (
      await server.db.query<{ oldest: string }>(
        `SELECT min(e.id)::text AS oldest FROM issue_events e JOIN issues i ON i.id = e.issue_id
         WHERE i.id = $1`,
        [gone],
      )
    ).rows as [{ oldest: string }];
    // Retention prunes by age; here every event up to and just past `oldest` goes.
    await server.db.query('DELETE FROM issue_events WHERE id <= $1::bigint + 1', [oldest]);
    const cases: Array<[(head: string) => string, string]> = [
      [() => oldest, 'the missed changes are past retention'],
      [
        (head) => (BigInt(head) + 1000n).toString(),
        'the event id is not one this server handed out',
      ],
    ];
    for (const [idFrom, reason] of cases) {
      const head = await headId('token-rory');
      const lastId = idFrom(head);
      const stream = await openStream('token-rory', lastId, '?namespace=team-c');
      try {
        assert.deepEqual(await stream.next(), { id: head, event: 'reset', data: { reason } });
        const live = await report('team-c', `after-reset-${lastId}`);
        const event = await stream.next();
        assert.equal(event.data.id, live);
        assert.ok(BigInt(event.id!) > BigInt(head));
      } finally {
        stream.close();
      }
    }
  });
});

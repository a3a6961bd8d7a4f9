/**
 * An open event stream does not outlive its rights: through the real server, the real
 * `@kubernetes/client-node` and the Kubernetes API test double, with a short auth cache
 * TTL so that re-checks come fast. Also the per-caller cap on open streams.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openEventReader } from '../support/event-streams.js';
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

const as = (token: string) => ({ authorization: `Bearer ${token}` });

let setup: KubeAuthServer;

before(async () => {
  setup = await startKubeAuthServer({
    namespaces: ['team-a', 'team-b', 'team-c'],
    cacheTtlMs: TTL_MS,
    streamsPerCaller: 2,
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

function revoke(grant: Grant): void {
  kube.grants.splice(kube.grants.indexOf(grant), 1);
}

const report = async (namespace: string, pipelineName: string) => {
  const answer = await client(server.url).post(
    '/api/v1/webhooks/pipeline-failure',
    { pipelineName, namespace, failureReason: 'exit 1' },
    as('token-reporter'),
  );
  assert.equal(answer.status, 201);
};

interface Event {
  event: string;
  data: any;
}

/** An open stream, read event by event; a read that waits past 15 s fails the test. */
async function openStream(token: string, query = '') {
  const stream = await openEventReader(server.url, { query, headers: as(token), readMs: 15_000 });
  const next = async (): Promise<Event | undefined> => {
    const message = await stream.next();
    return message && { event: message.event, data: message.data };
  };
  return {
    response: stream.response,
    /** Events up to and including the first that `until` accepts; throws if the stream ends first. */
    async readUntil(until: (event: Event) => boolean): Promise<Event[]> {
      const seen: Event[] = [];
      for (;;) {
        const event = await next();
        if (event === undefined) {
          throw new Error(`stream ended after ${JSON.stringify(seen)}`);
        }
        seen.push(event);
        if (until(event)) return seen;
      }
    },
    /** Resolves with the events left once the server ends the stream. */
    async rest(): Promise<Event[]> {
      const seen: Event[] = [];
      for (let event = await next(); event; event = await next()) seen.push(event);
      return seen;
    },
    close: stream.close,
  };
}

describe('an open event stream re-checks its rights', () => {
  it('stops delivering a namespace whose grant was removed, names it, and keeps the others', async () => {
    const [grantA] = reader('carol', ['team-a', 'team-b']);
    const stream = await openStream('token-carol');
    assert.equal(stream.response.status, 200);
    try {
      await report('team-a', 'carol-before-a');
      await report('team-b', 'carol-before-b');
      const before = await stream.readUntil(
        (event) => event.event === 'created' && event.data.namespace === 'team-b',
      );
      assert.deepEqual(
        before.map((event) => [event.event, event.data.namespace]),
        [
          ['created', 'team-a'],
          ['created', 'team-b'],
        ],
      );

      const revokedAt = Date.now();
      revoke(grantA!);
      const dropped = await stream.readUntil((event) => event.event === 'dropped');
      const elapsed = Date.now() - revokedAt;
      assert.deepEqual(dropped.at(-1), {
        event: 'dropped',
        data: { namespaces: ['team-a'], remaining: ['team-b'] },
      });
      // A re-check per TTL over answers cached for a TTL: at most two TTLs, plus a machine's slack.
      assert.ok(elapsed < 2 * TTL_MS + 3000, `dropped after ${elapsed} ms`);
      const rest = await client(server.url).get(
        '/api/v1/issues?namespace=team-a',
        as('token-carol'),
      );
      assert.equal(rest.status, 403, 'REST refuses it too');

      await report('team-a', 'carol-after-a');
      await report('team-b', 'carol-after-b');
      const later = await stream.readUntil((event) => event.event === 'created');
      assert.deepEqual(
        later.map((event) => [event.event, event.data.namespace]),
        [['created', 'team-b']],
        'the change in team-a made after the drop is not delivered',
      );
    } finally {
      stream.close();
    }
  });

  it('a cluster-wide reader who loses that right keeps only the namespaces still readable ("*" dropped)', async () => {
    kube.users.set('token-ivy', { username: 'ivy', groups: ['ivy-group'] });
    const everywhere: Grant = { group: 'ivy-group', verb: 'get', ...RBAC };
    kube.grants.push(everywhere, { group: 'ivy-group', verb: 'get', ...RBAC, namespace: 'team-b' });
    const stream = await openStream('token-ivy');
    assert.equal(stream.response.status, 200);
    try {
      await report('team-c', 'ivy-before-c');
      await stream.readUntil(
        (event) => event.event === 'created' && event.data.namespace === 'team-c',
      );
      revoke(everywhere);
      // team-c's own answer may still be cached (as for REST): then it goes in a second step.
      const seen = await stream.readUntil(
        (event) => event.event === 'dropped' && !event.data.remaining.includes('team-c'),
      );
      const drops = seen.filter((event) => event.event === 'dropped').map((event) => event.data);
      assert.deepEqual(drops[0].namespaces, ['*']);
      assert.deepEqual(drops.at(-1).remaining, ['team-b']);
      assert.deepEqual(
        drops.flatMap((drop) => drop.namespaces),
        drops.length === 1 ? ['*'] : ['*', 'team-c'],
      );
      await report('team-c', 'ivy-after-c');
      await report('team-b', 'ivy-after-b');
      const later = await stream.readUntil((event) => event.event === 'created');
      assert.deepEqual(
        later.map((event) => [event.event, event.data.namespace]),
        [['created', 'team-b']],
      );
    } finally {
      stream.close();
    }
  });

  it('a stream of named namespaces that lose every grant says so and ends', async () => {
    const [grant] = reader('dave', ['team-c']);
    const stream = await openStream('token-dave', '?namespace=team-c');
    assert.equal(stream.response.status, 200);
    await report('team-c', 'dave-before');
    await stream.readUntil((event) => event.event === 'created');
    revoke(grant!);
    assert.deepEqual(await stream.rest(), [
      { event: 'dropped', data: { namespaces: ['team-c'], remaining: [] } },
      { event: 'end', data: { reason: 'no namespace of this stream is readable any more' } },
    ]);
  });

  it('a stream whose token is no longer valid ends', async () => {
    reader('erin', ['team-a']);
    const stream = await openStream('token-erin', '?namespace=team-a');
    assert.equal(stream.response.status, 200);
    kube.users.delete('token-erin');
    assert.deepEqual(await stream.rest(), [
      { event: 'end', data: { reason: 'Invalid or expired token' } },
    ]);
  });

  it('fails closed: a stream whose rights cannot be checked ends', async () => {
    reader('frank', ['team-b']);
    const stream = await openStream('token-frank', '?namespace=team-b');
    assert.equal(stream.response.status, 200);
    kube.down = true;
    try {
      const rest = await stream.rest();
      assert.equal(rest.length, 1);
      assert.equal(rest[0]!.event, 'end');
      assert.match(rest[0]!.data.reason, /The Kubernetes API could not be reached \(TokenReview\)/);
    } finally {
      kube.down = false;
    }
  });
});

describe('open streams per caller', () => {
  it('answers 429 past the cap (2 here) for that caller only, and frees a place when one closes', async () => {
    reader('gina', ['team-a']);
    reader('hank', ['team-a']);
    const first = await openStream('token-gina');
    const second = await openStream('token-gina', '?namespace=team-a');
    try {
      assert.equal(first.response.status, 200);
      assert.equal(second.response.status, 200);
      const third = await client(server.url).get('/api/v1/events', as('token-gina'));
      assert.equal(third.status, 429);
      assert.deepEqual(third.body, {
        error: 'Too many open event streams: at most 2 per caller; close one first',
      });
      const other = await openStream('token-hank');
      assert.equal(other.response.status, 200, 'another caller is not affected');
      other.close();

      first.close();
      // The server learns of the close from the socket; ask again until it has.
      let status = 429;
      for (const deadline = Date.now() + 10_000; status === 429 && Date.now() < deadline;) {
        const again = await openStream('token-gina');
        status = again.response.status;
        again.close();
        if (status === 429) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(status, 200);
    } finally {
      first.close();
      second.close();
    }
  });
});

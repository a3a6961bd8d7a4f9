/**
 * Streams of callers with different rights share the hub's ticks (one rendering per
 * namespace set and position, docs/decisions/0038-shared-tick-batches.md): through the
 * real server, the real `@kubernetes/client-node` and the Kubernetes API test double,
 * changes in several namespaces made together reach each stream exactly as its rights
 * allow, in the feed's order, and a namespace revoked from one stream keeps reaching
 * the others but never it.
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

const TTL_MS = 1000;
let kube: KubeApiDouble;
let server: TestServer;

let setup: KubeAuthServer;

before(async () => {
  setup = await startKubeAuthServer({
    namespaces: ['tick-x', 'tick-y', 'tick-z'],
    cacheTtlMs: TTL_MS,
    streamsPerCaller: 4,
  });
  ({ kube, server } = setup);
});
after(() => setup.stop());

/** A user who may read issues in `namespaces` (every namespace when none); the grants. */
function reader(name: string, namespaces: string[]): Grant[] {
  kube.users.set(`token-${name}`, { username: name, groups: [] });
  const grants = (namespaces.length ? namespaces : [undefined]).map((namespace) => ({
    user: name,
    verb: 'get',
    ...RBAC,
    ...(namespace ? { namespace } : {}),
  }));
  kube.grants.push(...grants);
  return grants;
}

const veraToken = { authorization: 'Bearer token-vera' };

/** Reports a failure; resolves to the issue's id. */
async function report(namespace: string, pipelineName: string): Promise<string> {
  const answer = await client(server.url).post<{ issue: { id: string } }>(
    '/api/v1/webhooks/pipeline-failure',
    { pipelineName, namespace, failureReason: 'exit 1' },
    { authorization: 'Bearer token-reporter' },
  );
  assert.equal(answer.status, 201);
  return answer.body.issue.id;
}

interface Event {
  id: string;
  event: string;
  data: any;
}

/** An open stream as `name`, read event by event; a read that waits past 15 s fails. */
async function openStream(name: string, query = '') {
  const stream = await openEventReader(server.url, {
    query,
    headers: { authorization: `Bearer token-${name}` },
    readMs: 15_000,
  });
  assert.equal(stream.response.status, 200);
  /** The next event with an `id:` line (as every event has). */
  const next = async (): Promise<Event> => {
    for (;;) {
      const { id, event, data } = await stream.take();
      if (id) return { id, event, data };
    }
  };
  return {
    /** Events up to and including the first that `until` accepts. */
    async readUntil(until: (event: Event) => boolean): Promise<Event[]> {
      const seen: Event[] = [];
      do seen.push(await next());
      while (!until(seen.at(-1)!));
      return seen;
    },
    close: stream.close,
  };
}

/** Reports `perNamespace` failures in each namespace at once (they share ticks). */
async function burst(tag: string, namespaces: string[], perNamespace: number) {
  const made = await Promise.all(
    namespaces.flatMap((namespace) =>
      Array.from({ length: perNamespace }, async (_, i) => ({
        namespace,
        id: await report(namespace, `${tag}-${namespace}-${i}`),
      })),
    ),
  );
  return (readable: string[]) =>
    made.filter(({ namespace }) => readable.includes(namespace)).map(({ id }) => id);
}

/** The issue ids of the changes seen, checking the `id:` lines never go back. */
function changes(events: Event[]): string[] {
  const ids = events.map((event) => BigInt(event.id));
  ids.forEach((id, i) => assert.ok(i === 0 || id >= ids[i - 1]!, `id ${id} went back`));
  return events.filter((event) => event.event === 'created').map((event) => event.data.id);
}

describe('streams with different rights sharing ticks', () => {
  it('each get exactly the changes of the namespaces they may read, in the same order', async () => {
    reader('xena', ['tick-x']);
    reader('yuri', ['tick-x', 'tick-y']);
    reader('zoe', []);
    const streams = [
      { readable: ['tick-x'], stream: await openStream('xena') },
      { readable: ['tick-x'], stream: await openStream('xena') },
      { readable: ['tick-x', 'tick-y'], stream: await openStream('yuri') },
      { readable: ['tick-x', 'tick-y'], stream: await openStream('yuri') },
      { readable: ['tick-x', 'tick-y', 'tick-z'], stream: await openStream('zoe') },
      { readable: ['tick-x', 'tick-y', 'tick-z'], stream: await openStream('zoe') },
      { readable: ['tick-y'], stream: await openStream('zoe', '?namespace=tick-y') },
    ];
    try {
      const made = await burst('shared', ['tick-x', 'tick-y', 'tick-z'], 5);
      // Fences, one after the other: a stream that got its last fence got all before it.
      const fences = {
        'tick-z': await report('tick-z', 'fence-z'),
        'tick-y': await report('tick-y', 'fence-y'),
        'tick-x': await report('tick-x', 'fence-x'),
      };
      const orders: string[][] = [];
      for (const { readable, stream } of streams) {
        const last = readable.includes('tick-x') ? fences['tick-x'] : fences['tick-y'];
        const seen = await stream.readUntil((event) => event.data.id === last);
        const ids = changes(seen);
        for (const event of seen) assert.ok(readable.includes(event.data.namespace));
        const fenced = readable.map((namespace) => fences[namespace as keyof typeof fences]);
        assert.deepEqual([...ids].sort(), [...made(readable), ...fenced].sort());
        orders.push(ids);
      }
      // Every stream saw the changes it shares with another in the same order.
      for (const a of orders)
        for (const b of orders) {
          const common = new Set(a.filter((id) => b.includes(id)));
          assert.deepEqual(
            a.filter((id) => common.has(id)),
            b.filter((id) => common.has(id)),
          );
        }
    } finally {
      for (const { stream } of streams) stream.close();
    }
  });

  it('a namespace revoked from one stream is not delivered to it, granted again or not, and still to the others', async () => {
    const [, grantY] = reader('vera', ['tick-x', 'tick-y']);
    reader('walt', []);
    const vera = await openStream('vera');
    const walt = await openStream('walt');
    const veraToo = await openStream('vera', '?namespace=tick-x');
    try {
      kube.grants.splice(kube.grants.indexOf(grantY!), 1);
      const dropped = await vera.readUntil((event) => event.event === 'dropped');
      assert.deepEqual(dropped.at(-1)!.data, { namespaces: ['tick-y'], remaining: ['tick-x'] });
      // Granted again, and the grant cached by a REST read: a stream's scope only shrinks.
      kube.grants.push(grantY!);
      let rest = 0;
      for (const until = Date.now() + 5000; rest !== 200 && Date.now() < until;) {
        rest = (await client(server.url).get('/api/v1/issues?namespace=tick-y', veraToken)).status;
      }
      assert.equal(rest, 200, 'REST reads tick-y again');

      const made = await burst('revoked', ['tick-x', 'tick-y'], 6);
      const fence = await report('tick-x', 'revoked-fence');
      const veraSaw = changes(await vera.readUntil((event) => event.data.id === fence));
      assert.deepEqual(veraSaw.sort(), [...made(['tick-x']), fence].sort());
      const veraTooSaw = changes(await veraToo.readUntil((event) => event.data.id === fence));
      assert.deepEqual(veraTooSaw.sort(), [...made(['tick-x']), fence].sort());
      const waltSaw = changes(await walt.readUntil((event) => event.data.id === fence));
      assert.deepEqual(waltSaw.sort(), [...made(['tick-x', 'tick-y']), fence].sort());
    } finally {
      for (const stream of [vera, walt, veraToo]) stream.close();
    }
  });
});

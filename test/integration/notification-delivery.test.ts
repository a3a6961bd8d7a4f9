/**
 * What notification delivery guarantees (docs/notifications.md#delivery-guarantees):
 * a change committed by a server that stopped before its dispatcher ran is delivered
 * once by the next; two replicas on one database deliver each message once; a muted
 * transition is held while its silence lasts and told once it ends, if still true.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createSecretsDir,
  settle,
  startHttpReceiver,
  type HttpReceiver,
  type SecretsDir,
} from '../support/notify-receivers.js';
import {
  client,
  createTestDatabase,
  startTestServer,
  testDbKind,
  type TestDatabase,
  type TestServer,
  type TestServerOptions,
} from '../support/test-server.js';

let receiver: HttpReceiver;
let secrets: SecretsDir;
before(async () => {
  receiver = await startHttpReceiver();
  secrets = await createSecretsDir();
});
after(async () => {
  await receiver.close();
  await secrets.remove();
});

const FAST = { pollMs: 100, backoffMs: 30, holdRecheckMs: 150 };
const env = (extra: Record<string, string> = {}) => ({
  KITE_RECEIVER_SECRETS_DIR: secrets.dir,
  ...extra,
});
const SPEC = {
  receivers: [{ type: 'webhook', url: { file: 'hook' } }],
  groupBy: ['namespace', 'component'],
  groupWait: '0s',
};

async function report(server: TestServer, namespace: string, component: string, extra = {}) {
  const answer = await client(server.url).post('/api/v1/issues', {
    namespace,
    issueType: 'build',
    severity: 'major',
    title: `Build failed: ${component}`,
    description: 'exit 1',
    scope: { resourceType: 'component', resourceName: component },
    labels: { 'appstudio.openshift.io/component': component },
    ...extra,
  });
  assert.ok(answer.status < 300, JSON.stringify(answer.body));
  return answer.body.id as string;
}

async function subscribe(server: TestServer, namespace: string) {
  await secrets.write(namespace, 'hook', `${receiver.url}/hook`);
  const answer = await client(server.url).put(
    `/api/v1/namespaces/${namespace}/subscriptions/team`,
    SPEC,
  );
  assert.equal(answer.status, 201);
}

const of = (namespace: string) => receiver.received.filter((r) => r.json?.namespace === namespace);

async function count(namespace: string, expected: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (of(namespace).length < expected && Date.now() < deadline) await settle(20);
  await settle(500); // and nothing more arrives
  return of(namespace);
}

describe('delivery guarantees', () => {
  it('a change committed before a stop is delivered once after the restart', async () => {
    const database = await createTestDatabase();
    const dataDir =
      testDbKind() === 'embedded' ? await mkdtemp(join(tmpdir(), 'kite-restart-')) : undefined;
    const on = (notifications: boolean): TestServerOptions => ({
      database,
      ...(dataDir ? { dataDir } : {}),
      env: env({ KITE_NOTIFICATIONS: String(notifications) }),
      notify: FAST,
    });
    try {
      // The first server commits the change and stops before any dispatcher ran.
      const first = await startTestServer(on(false));
      await subscribe(first, 'team-restart');
      const id = await report(first, 'team-restart', 'web');
      await first.stop();
      assert.equal(of('team-restart').length, 0);
      const second = await startTestServer(on(true));
      try {
        const messages = await count('team-restart', 1);
        assert.equal(messages.length, 1);
        assert.deepEqual(
          messages[0]!.json.issues.map((i: any) => i.issueId),
          [id],
        );
      } finally {
        await second.stop();
      }
    } finally {
      await database.drop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('two replicas on one database deliver each message once', async (t) => {
    if (testDbKind() === 'embedded') {
      t.skip('an embedded database belongs to one process: there is no second replica');
      return;
    }
    const database: TestDatabase = await createTestDatabase();
    const replicas = await Promise.all(
      [0, 1].map(() => startTestServer({ database, env: env(), notify: FAST })),
    );
    try {
      await subscribe(replicas[0]!, 'team-replicas');
      const ids = [];
      for (let i = 0; i < 30; i++)
        ids.push(await report(replicas[i % 2]!, 'team-replicas', `c-${i}`));
      const messages = await count('team-replicas', 30);
      assert.equal(messages.length, 30);
      assert.equal(new Set(messages.map((m) => m.headers['idempotency-key'])).size, 30);
      assert.deepEqual(messages.map((m) => m.json.issues[0].issueId).sort(), [...ids].sort());
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
      await database.drop();
    }
  });

  it('a muted transition is held, and told once its silence has ended if still true', async () => {
    // Every issue is muted until the test releases it: the silence is the test's to end.
    const released = new Set<string>();
    const server = await startTestServer({
      env: env(),
      notify: {
        ...FAST,
        muted: (ids) =>
          Promise.resolve(
            new Map(ids.filter((id) => !released.has(id)).map((id) => [id, 'silence-1'])),
          ),
      },
    });
    try {
      await subscribe(server, 'team-muted');
      const held = await report(server, 'team-muted', 'held');
      const gone = await report(server, 'team-muted', 'gone');
      await settle(800);
      assert.equal(of('team-muted').length, 0, 'a muted transition was sent');
      // Resolved while muted: its "opened" is no longer true and is never told.
      const resolved = await client(server.url).post(`/api/v1/issues/${gone}/resolve`);
      assert.equal(resolved.status, 200);
      await settle(300);
      released.add(held);
      released.add(gone);
      const messages = await count('team-muted', 2);
      assert.deepEqual(
        messages
          .map((m) => m.json.issues.map((i: any) => [i.issueId, i.transition]))
          .sort((a, b) => (a[0][0] === held ? -1 : 1) - (b[0][0] === held ? -1 : 1)),
        [[[held, 'opened']], [[gone, 'resolved']]],
      );
    } finally {
      await server.stop();
    }
  });
});

/**
 * `/api/v1/health` carries the fields konflux-ui's `HealthResponse` type declares
 * (src/kite/issue-type.ts in konflux-ui), with real values; `/readyz` checks every
 * dependency of the mode and names the one that failed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { client, startTestServer, testDbKind, type TestServer } from '../support/test-server.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const POOL_SIZE = 3;

describe('health as konflux-ui reads it', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { KITE_DATABASE_POOL_SIZE: String(POOL_SIZE) } });
  });
  after(() => server.stop());

  it('carries database.details and response_time.details as the UI types declare them, with real values', async () => {
    const answer = await client(server.url).get('/api/v1/health/');
    assert.equal(answer.status, 200);
    const body = answer.body;
    const database = body.components.database.details;
    const timing = body.components.response_time.details;
    assert.match(body.timestamp, RFC3339);
    assert.ok(database.response_time_seconds >= 0 && database.response_time_seconds < 2);
    assert.ok(timing.duration_seconds >= database.response_time_seconds);
    const embedded = testDbKind() === 'embedded';
    // The pool is real: the ping itself used (and returned) a connection.
    assert.ok(database.open_connections >= 1 && database.open_connections <= POOL_SIZE);
    assert.ok(database.idle_connections >= 0);
    assert.ok(database.idle_connections <= database.open_connections);
    assert.deepEqual(body, {
      status: 'UP',
      message: 'All systems operational',
      timestamp: body.timestamp,
      components: {
        api: {
          status: 'UP',
          message: 'API is serving requests',
          details: { version: body.components.api.details.version },
        },
        database: {
          status: 'UP',
          message: 'Database connection is healthy',
          details: {
            kind: testDbKind(),
            connection_status: 'connected',
            response_time_seconds: database.response_time_seconds,
            open_connections: database.open_connections,
            idle_connections: database.idle_connections,
            max_open_connections: embedded ? 1 : POOL_SIZE,
          },
        },
        response_time: {
          status: 'UP',
          message: `${timing.databaseMs}ms`,
          details: { databaseMs: timing.databaseMs, duration_seconds: timing.duration_seconds },
        },
      },
    });
  });

  it('says disconnected, with no open connection, when the database is gone', async () => {
    const broken = await startTestServer();
    try {
      await broken.db.close();
      const answer = await client(broken.url).get('/api/v1/health');
      assert.equal(answer.status, 503);
      const details = answer.body.components.database.details;
      assert.equal(details.connection_status, 'disconnected');
      assert.equal(details.open_connections, 0);
      assert.equal(details.idle_connections, 0);
    } finally {
      await broken.stop();
    }
  });
});

describe('/readyz in kubernetes mode', () => {
  let kube: KubeApiDouble;
  let server: TestServer;
  before(async () => {
    kube = await startKubeApiDouble();
    server = await startTestServer({
      env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig },
    });
  });
  after(async () => {
    await server.stop();
    await kube.close();
  });

  it('answers 200 only while the database and the Kubernetes API both answer, naming the one that failed', async () => {
    const api = client(server.url);
    assert.deepEqual(await api.get('/readyz').then(({ status, body }) => ({ status, body })), {
      status: 200,
      body: { status: 'ok', checks: { database: 'ok', kubernetes: 'ok' } },
    });
    kube.down = true;
    try {
      assert.deepEqual(await api.get('/readyz').then(({ status, body }) => ({ status, body })), {
        status: 503,
        body: {
          status: 'unavailable',
          message: 'Kubernetes API unreachable',
          checks: { database: 'ok', kubernetes: 'Kubernetes API unreachable' },
        },
      });
    } finally {
      kube.down = false;
    }
    assert.equal((await api.get('/readyz')).status, 200, 'ready again once the API answers');
  });

  it('answers 503 when the Kubernetes API server is gone for good', async () => {
    const gone = await startKubeApiDouble();
    const orphan = await startTestServer({
      env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: gone.kubeconfig },
    });
    try {
      assert.equal((await client(orphan.url).get('/readyz')).status, 200);
      await gone.close();
      const answer = await client(orphan.url).get('/readyz');
      assert.equal(answer.status, 503);
      assert.deepEqual(answer.body.checks, {
        database: 'ok',
        kubernetes: 'Kubernetes API unreachable',
      });
    } finally {
      await orphan.stop();
    }
  });

  it('names the database when it is the one gone', async () => {
    const broken = await startTestServer({
      env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig },
    });
    try {
      await broken.db.close();
      const answer = await client(broken.url).get('/readyz');
      assert.equal(answer.status, 503);
      assert.deepEqual(answer.body, {
        status: 'unavailable',
        message: 'database unreachable',
        checks: { database: 'database unreachable', kubernetes: 'ok' },
      });
    } finally {
      await broken.stop();
    }
  });
});

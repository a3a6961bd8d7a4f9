/**
 * `KITE_DATABASE_READ_URL` (docs/multi-cluster.md, "Scale-out"): lists, counts and the
 * overview read from a real streaming replica; a caller's reads right after their own
 * change read the primary (read-your-writes); a replica that is down falls back to the
 * primary. Runs with the server-PostgreSQL suite: it starts its own primary and replica.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { ISSUES_RBAC } from '../support/kube-auth-server.js';
import {
  postgresBin,
  startPrimaryWithReplica,
  type PrimaryWithReplica,
} from '../support/pg-replica.js';
import { testDbKind, useTestServer } from '../support/test-server.js';

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const failure = (pipelineName: string) => ({
  pipelineName,
  namespace: 'team-a',
  failureReason: 'exit 1',
});

describe(
  'a server with a read replica',
  {
    skip:
      testDbKind() !== 'postgres'
        ? 'runs with the server-PostgreSQL suite'
        : !postgresBin() && 'no PostgreSQL installed to start a replica with',
  },
  () => {
    let kube: KubeApiDouble;
    let pair: PrimaryWithReplica;
    let replica: pg.Client;
    const { api } = useTestServer(async () => {
      kube = await startKubeApiDouble();
      kube.namespaces.push('team-a');
      for (const user of ['writer', 'reader']) {
        kube.users.set(`token-${user}`, { username: user, groups: [] });
        kube.grants.push({ user, verb: 'get', ...ISSUES_RBAC, namespace: 'team-a' });
      }
      kube.grants.push({ user: 'writer', verb: 'create', ...ISSUES_RBAC, namespace: 'team-a' });
      pair = await startPrimaryWithReplica();
      replica = new pg.Client({ connectionString: pair.replicaUrl });
      await replica.connect();
      return {
        database: { url: pair.primaryUrl, drop: () => Promise.resolve() },
        env: {
          KITE_AUTH_MODE: 'kubernetes',
          KUBECONFIG: kube.kubeconfig,
          KITE_DATABASE_READ_URL: pair.replicaUrl,
          KITE_READ_YOUR_WRITES: '2s',
        },
      };
    });
    after(async () => {
      await replica?.end().catch(() => undefined);
      await kube?.close();
    });
    after(() => pair?.stop());

    const titles = async (token: string, path = '/api/v1/issues') => {
      const answer = await api.get(path, as(token));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.data.map((issue: { title: string }) => issue.title).sort();
    };
    const replayed = async () => {
      for (let i = 0; i < 100; i += 1) {
        const lag = await replica.query(
          'SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AS done',
        );
        if (lag.rows[0]?.done) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('the replica did not catch up');
    };

    it('lists from the replica, and shows a caller their own change at once', async () => {
      assert.equal(
        (await api.post('/api/v1/webhooks/pipeline-failure', failure('one'), as('token-writer')))
          .status,
        201,
      );
      await replayed();
      await new Promise((resolve) => setTimeout(resolve, 2100)); // past the writer's window
      assert.deepEqual(await titles('token-reader'), ['Pipeline run failed: one']);

      // The replica stops replaying: what it answers now is what it had.
      await replica.query('SELECT pg_wal_replay_pause()');
      try {
        const two = await api.post(
          '/api/v1/webhooks/pipeline-failure',
          failure('two'),
          as('token-writer'),
        );
        assert.equal(two.status, 201);
        assert.deepEqual(
          await titles('token-reader'),
          ['Pipeline run failed: one'],
          "the reader's list comes from the paused replica",
        );
        const counts = await api.get('/api/v1/issues/counts', as('token-reader'));
        assert.equal(counts.body.total, 1, 'so do counts');
        assert.deepEqual(
          await titles('token-writer'),
          ['Pipeline run failed: one', 'Pipeline run failed: two'],
          'the writer reads its own change from the primary',
        );
        const own = await api.get(`/api/v1/issues/${two.body.issue.id}`, as('token-reader'));
        assert.equal(own.status, 200, 'reads by id always come from the primary');
        await new Promise((resolve) => setTimeout(resolve, 2100));
        assert.deepEqual(
          await titles('token-writer'),
          ['Pipeline run failed: one'],
          'after the window, the writer reads the replica again',
        );
      } finally {
        await replica.query('SELECT pg_wal_replay_resume()');
      }
      await replayed();
      assert.deepEqual(await titles('token-reader'), [
        'Pipeline run failed: one',
        'Pipeline run failed: two',
      ]);
    });

    it('falls back to the primary while the replica is down', async () => {
      await replica.end();
      pair.stopReplica();
      try {
        assert.deepEqual(await titles('token-reader'), [
          'Pipeline run failed: one',
          'Pipeline run failed: two',
        ]);
        const overview = await api.get('/api/v1/overview', as('token-reader'));
        assert.equal(overview.status, 200);
      } finally {
        pair.startReplica();
      }
    });
  },
);

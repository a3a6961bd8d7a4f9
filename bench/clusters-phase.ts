/**
 * Many clusters (docs/multi-cluster.md): list and count latency at 1,000,000 issues over
 * three clusters (a hub `c1` and members `c2`, `c3`, each a Kubernetes API double with
 * its own RBAC), through a hub without a read replica and through one with
 * `KITE_DATABASE_READ_URL` on a real streaming replica (pg_basebackup), while reports
 * keep arriving on the primary. Open loop at a fixed offered load; p99 as the figure,
 * with replica as a ratio to without, median of the rounds.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/store/database.js';
import { createIssueStore } from '../src/store/issue-store.js';
import { migrate } from '../src/store/migrations.js';
import { SERVICE_ACCOUNT_TOKEN, startKubeApiDouble } from '../test/support/kube-api.js';
import { startPrimaryWithReplica } from '../test/support/pg-replica.js';
import { seedIssues } from './scale-seed.js';
import { fmt, median, pacedLoad, startKite } from './support.js';

const CLUSTERS = ['c1', 'c2', 'c3'];
const READER = 'bench-reader-token';
const RBAC = { apiGroup: 'kite.konflux-ci.dev', resource: 'issues' };
/** Reports per second on the primary while the reads are measured. */
const WRITE_RATE = Number(process.env.KITE_BENCH_CLUSTERS_WRITES ?? 50);

const SHAPES = [
  { name: 'list: every cluster, 15 namespaces, newest 50', path: '/api/v1/issues' },
  { name: 'count: every cluster, 15 namespaces', path: '/api/v1/issues/counts' },
  {
    name: 'list: cluster=c2, one namespace, active',
    path: '/api/v1/issues?cluster=c2&namespace=ns-3&state=ACTIVE',
  },
];

export async function clustersPhase(
  issues: number,
  rate: number,
  rounds: number,
  seconds: number,
): Promise<void> {
  const pair = await startPrimaryWithReplica();
  const db = await openDatabase({ url: pair.primaryUrl, poolSize: 4 });
  const doubles = await Promise.all(CLUSTERS.map(() => startKubeApiDouble()));
  const servers: { stop(): Promise<void> }[] = [];
  let writing = true;
  try {
    await migrate(db);
    const seeded = await seedIssues(db, {
      issues,
      namespaces: 1000,
      bigOutOf13: 0,
      clusters: ['', 'c2/', 'c3/'],
    });
    console.log(`clusters: seeded ${issues} issues over 3 clusters in ${fmt(seeded)} s`);
    const head = await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    await caughtUp(pair.replicaUrl, head.rows[0]!.lsn);
    // The reader (who signs in on c1) reads ns-1 … ns-5 on every cluster: 15 places.
    doubles[0]!.users.set(READER, { username: 'reader', groups: ['system:authenticated'] });
    for (const kube of doubles) {
      for (let n = 1; n <= 5; n += 1) {
        kube.namespaces.push(`ns-${n}`);
        kube.grants.push({ user: 'reader', verb: 'get', ...RBAC, namespace: `ns-${n}` });
      }
    }
    const dir = await mkdtemp(join(tmpdir(), 'kite-bench-clusters-'));
    await writeFile(join(dir, 'token'), SERVICE_ACCOUNT_TOKEN);
    const members = doubles
      .slice(1)
      .map(
        (kube, i) =>
          `  - name: ${CLUSTERS[i + 1]}\n    server: ${kube.url}\n    tokenFile: ${join(dir, 'token')}\n    insecureSkipTlsVerify: true\n`,
      );
    await writeFile(join(dir, 'clusters.yaml'), `clusters:\n${members.join('')}`);
    const hub = {
      KITE_AUTH_MODE: 'kubernetes',
      KUBECONFIG: doubles[0]!.kubeconfig,
      KITE_CLUSTER_NAME: 'c1',
      KITE_CLUSTERS_FILE: join(dir, 'clusters.yaml'),
      KITE_PRUNE_INTERVAL: '24h',
    };
    const without = await startKite(pair.primaryUrl, hub);
    servers.push(without);
    const withReplica = await startKite(pair.primaryUrl, {
      ...hub,
      KITE_DATABASE_READ_URL: pair.replicaUrl,
    });
    servers.push(withReplica);

    // Reports on the primary throughout, as the clusters' operators send them.
    const store = createIssueStore(db);
    let sent = 0;
    const writer = (async () => {
      const started = performance.now();
      while (writing) {
        const due = started + (sent * 1000) / WRITE_RATE;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const n = sent++;
        void store
          .report({
            namespace: `${['', 'c2/', 'c3/'][n % 3]}ns-${n % 5}`,
            issueType: 'build',
            scope: {
              resourceType: 'component',
              resourceName: `live-${n}`,
              resourceNamespace: `ns-${n % 5}`,
            },
            title: `Build failed: live-${n}`,
            description: 'exit 1',
            severity: 'major',
          })
          .catch(() => undefined);
      }
    })();

    const headers = { authorization: `Bearer ${READER}` };
    const results = new Map<string, { without: number[]; with: number[] }>();
    for (let round = 1; round <= rounds; round += 1) {
      for (const shape of SHAPES) {
        const entry = results.get(shape.name) ?? { without: [], with: [] };
        for (const [kind, server] of [
          ['without', without],
          ['with', withReplica],
        ] as const) {
          const load = await pacedLoad(server.url, [shape.path], rate, seconds, headers);
          if (load.errors > 0) throw new Error(`${load.errors} requests failed: ${shape.path}`);
          entry[kind].push(load.p99);
        }
        results.set(shape.name, entry);
      }
      console.log(`clusters round ${round} done`);
    }
    writing = false;
    await writer;
    console.log(
      `\n## Many clusters: ${issues} issues over 3 clusters, ${rate} req/s offered, ${WRITE_RATE} reports/s on the primary (p99 ms, median of ${rounds})\n`,
    );
    console.log(
      '| shape | without replica | with replica | with / without |\n| --- | ---: | ---: | ---: |',
    );
    for (const [name, entry] of results) {
      const a = median(entry.without);
      const b = median(entry.with);
      console.log(`| ${name} | ${fmt(a)} | ${fmt(b)} | ${fmt(b / a, 2)} |`);
    }
  } finally {
    writing = false;
    for (const server of servers) await server.stop();
    for (const kube of doubles) await kube.close();
    await db.close();
    pair.stop();
  }
}

/** Waits until the replica has replayed the primary's WAL up to `lsn`. */
async function caughtUp(replicaUrl: string, lsn: string): Promise<void> {
  const replica = new pg.Client({ connectionString: replicaUrl });
  await replica.connect();
  try {
    for (;;) {
      const lag = await replica.query<{ done: boolean }>(
        'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done',
        [lsn],
      );
      if (lag.rows[0]?.done) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await replica.end();
  }
}

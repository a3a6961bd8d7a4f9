/**
 * Running it: probes, metrics, the OpenAPI document, structured logs that never carry a
 * token, and graceful shutdown on SIGTERM (in-flight requests finish) of the real `kite`
 * process.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  client,
  createTestDatabase,
  startTestServer,
  testDbKind,
  useTestServer,
} from '../support/test-server.js';

const { api } = useTestServer();

describe('probes, metrics and OpenAPI', () => {
  it('/healthz answers 200 while the process runs; /readyz answers 200 while the database answers', async () => {
    assert.deepEqual((await api.get('/healthz')).body, { status: 'ok' });
    assert.deepEqual((await api.get('/readyz')).body, {
      status: 'ok',
      checks: { database: 'ok' },
    });
  });

  it('/readyz and API calls answer 503 when the database is gone, /healthz still 200', async () => {
    const broken = await startTestServer();
    try {
      await broken.db.close();
      const ready = await client(broken.url).get('/readyz');
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body, {
        status: 'unavailable',
        message: 'database unreachable',
        checks: { database: 'database unreachable' },
      });
      assert.equal((await client(broken.url).get('/healthz')).status, 200);
      const list = await client(broken.url).get('/api/v1/issues');
      assert.equal(list.status, 503);
      assert.deepEqual(
        list.body,
        { error: 'Database unavailable, try again later' },
        'no internals in a 5xx answer',
      );
    } finally {
      await broken.stop();
    }
  });

  it('/metrics exposes requests by route, latency, issues by state and webhook outcomes', async () => {
    await api.post('/api/v1/webhooks/pipeline-failure', {
      pipelineName: 'm',
      namespace: 'metrics-ns',
      failureReason: 'x',
    });
    await api.post('/api/v1/webhooks/pipeline-failure', {
      pipelineName: 'm',
      namespace: 'metrics-ns',
      failureReason: 'x',
    });
    await api.post('/api/v1/webhooks/pipeline-failure', { namespace: 'metrics-ns' });
    await api.get(`/api/v1/issues/00000000-0000-4000-8000-00000000000${1}`);
    const answer = await api.get('/metrics');
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /text\/plain/);
    const text = answer.body as string;
    assert.match(
      text,
      /kite_http_requests_total\{method="POST",route="\/api\/v1\/webhooks\/pipeline-failure",status="201"\} 2/,
    );
    assert.match(
      text,
      /kite_http_requests_total\{method="GET",route="\/api\/v1\/issues\/:id",status="404"\} 1/,
    );
    assert.match(
      text,
      /kite_http_request_duration_seconds_bucket\{le="[^"]+",method="POST",route="\/api\/v1\/webhooks\/pipeline-failure"\}/,
    );
    assert.match(
      text,
      /kite_webhook_requests_total\{webhook="pipeline-failure",outcome="created"\} 1/,
    );
    assert.match(
      text,
      /kite_webhook_requests_total\{webhook="pipeline-failure",outcome="reported"\} 1/,
    );
    assert.match(
      text,
      /kite_webhook_requests_total\{webhook="pipeline-failure",outcome="rejected"\} 1/,
    );
    assert.match(text, /kite_issues\{state="ACTIVE"\} 1/);
    assert.doesNotMatch(text, /00000000-0000-4000/, 'ids never become label values');
  });

  it('/api/v1/openapi.json documents every route from the schemas that validate requests', async () => {
    const answer = await api.get('/api/v1/openapi.json');
    assert.equal(answer.status, 200);
    const doc = answer.body;
    assert.equal(doc.openapi, '3.0.3');
    for (const path of [
      '/api/v1/issues',
      '/api/v1/issues/counts',
      '/api/v1/issues/{id}',
      '/api/v1/issues/{id}/resolve',
      '/api/v1/issues/{id}/events',
      '/api/v1/issues/{id}/related',
      '/api/v1/issues/{id}/related/{relatedId}',
      '/api/v1/events',
      '/api/v1/webhooks/pipeline-failure',
      '/api/v1/webhooks/mintmaker-custom',
      '/api/v1/health',
    ]) {
      assert.ok(doc.paths[path], `documents ${path}`);
    }
    const create = doc.paths['/api/v1/issues'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(create.properties.severity.enum, ['info', 'minor', 'major', 'critical']);
    assert.ok(create.required.includes('title'));
  });
});

function startKite(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ child: ChildProcessWithoutNullStreams; url: string; output: () => string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', ...args],
    {
      env: { ...process.env, KITE_AUTH_MODE: 'none', ...env },
    },
  );
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kite did not start:\n${output}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, output: () => output });
      }
    });
    child.on('exit', (code) => reject(new Error(`kite exited with ${code}:\n${output}`)));
  });
}

describe('migrations', () => {
  it('kite migrate applies the schema once and then reports it up to date', async () => {
    const database = await createTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), 'kite-migrate-'));
    const env = {
      ...process.env,
      KITE_DATA_DIR: dataDir,
      ...(database.url ? { KITE_DATABASE_URL: database.url } : {}),
    };
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'migrate'], {
          env,
        });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('exit', (code) =>
          code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}`)),
        );
      });
    try {
      assert.match(
        await run(),
        /applied migrations: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16$/m,
      );
      assert.match(await run(), /database is up to date/);
    } finally {
      await database.drop();
    }
  });

  it('a database holding issues from before the search indexes gets them at the next start', async () => {
    const { openDatabase } = await import('../../src/store/database.js');
    const { migrate } = await import('../../src/store/migrations.js');
    const database = await createTestDatabase();
    const db = await openDatabase(database.url ? { url: database.url } : { dataDir: 'memory://' });
    try {
      // Bring the database back to how version 6 left it, with issues in it.
      await migrate(db);
      for (const index of ['issues_title_trgm', 'issues_description_trgm', 'issues_labels'])
        await db.query(`DROP INDEX ${index}`);
      await db.query('DROP EXTENSION pg_trgm');
      await db.query('DELETE FROM kite_migrations WHERE version = 7');
      await db.query(
        `INSERT INTO issues (namespace, issue_type, scope_type, scope_name, scope_namespace,
           title, description, severity, state, labels)
         SELECT 'old', 'build', 'component', 'c' || i, 'old', 'Build of c' || i || ' failed',
           'exit 1', 'major', 'ACTIVE', jsonb_build_object('team', 't' || (i % 3))
         FROM generate_series(1, 50) AS i`,
      );

      assert.deepEqual(await migrate(db), [7]);
      const indexes = await db.query<{ indexname: string }>(
        `SELECT indexname FROM pg_indexes WHERE tablename = 'issues'
           AND indexname IN ('issues_title_trgm', 'issues_description_trgm', 'issues_labels')
         ORDER BY indexname`,
      );
      assert.deepEqual(
        indexes.rows.map((row) => row.indexname),
        ['issues_description_trgm', 'issues_labels', 'issues_title_trgm'],
      );
      const found = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM issues WHERE title ILIKE '%c1%' AND labels @> '{"team":"t1"}'`,
      );
      // c1, c10 … c19: of those, i % 3 = 1 for 1, 10, 13, 16, 19.
      assert.equal(found.rows[0]?.n, 5);
      assert.deepEqual(await migrate(db), [], 'and only once');
    } finally {
      await db.close();
      await database.drop();
    }
  });

  it('a database holding issues from before the counts table gets them counted at the next start', async () => {
    const { openDatabase } = await import('../../src/store/database.js');
    const { migrate } = await import('../../src/store/migrations.js');
    const database = await createTestDatabase();
    const db = await openDatabase(database.url ? { url: database.url } : { dataDir: 'memory://' });
    try {
      // Bring the database back to how version 7 left it, with issues in it.
      await migrate(db);
      await db.query('DROP TABLE issue_counts, issue_count_deltas');
      await db.query(
        'DROP FUNCTION kite_count_issues, kite_count_issue_moved, kite_count_issues_truncated, kite_fold_issue_counts CASCADE',
      );
      await db.query('DELETE FROM kite_migrations WHERE version = 8');
      await db.query(
        `INSERT INTO issues (namespace, issue_type, scope_type, scope_name, scope_namespace,
           title, description, severity, state)
         SELECT 'old-' || (i % 3), 'build', 'component', 'c' || i, 'old', 't', 'd',
           CASE WHEN i % 2 = 0 THEN 'major' ELSE 'minor' END,
           CASE WHEN i % 5 = 0 THEN 'RESOLVED' ELSE 'ACTIVE' END
         FROM generate_series(1, 60) AS i`,
      );

      assert.deepEqual(await migrate(db), [8]);
      const counted = `SELECT namespace, state, severity, issue_type, sum(n)::int AS n
        FROM (SELECT * FROM issue_counts UNION ALL SELECT * FROM issue_count_deltas) c
        GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4`;
      const real = `SELECT namespace, state, severity, issue_type, count(*)::int AS n
        FROM issues GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`;
      assert.deepEqual((await db.query(counted)).rows, (await db.query(real)).rows);
      assert.equal((await db.query(real)).rows.length, 12);
      // And from now on the triggers keep them.
      await db.query(`UPDATE issues SET state = 'RESOLVED' WHERE namespace = 'old-1'`);
      assert.deepEqual((await db.query(counted)).rows, (await db.query(real)).rows);
      assert.deepEqual(await migrate(db), [], 'and only once');
    } finally {
      await db.close();
      await database.drop();
    }
  });

  it(
    'replicas starting together apply each migration exactly once',
    {
      skip:
        testDbKind() === 'embedded' &&
        'an embedded database belongs to one process: replicas need a server PostgreSQL',
    },
    async () => {
      const { openDatabase } = await import('../../src/store/database.js');
      const { migrate } = await import('../../src/store/migrations.js');
      const database = await createTestDatabase();
      const replicas = await Promise.all([1, 2, 3].map(() => openDatabase({ url: database.url })));
      try {
        const applied = await Promise.all(replicas.map((db) => migrate(db)));
        const all = applied.find((versions) => versions.length > 0) ?? [];
        assert.ok(all.length >= 2, 'a fresh database gets every migration');
        assert.deepEqual(applied.map((versions) => versions.length).sort(), [0, 0, all.length]);
      } finally {
        await Promise.all(replicas.map((db) => db.close()));
        await database.drop();
      }
    },
  );
});

describe('the kite process', () => {
  it('--demo adds the demo issues to an empty store, once', async () => {
    const database = await createTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), 'kite-demo-'));
    const env = {
      KITE_DATA_DIR: dataDir,
      ...(database.url ? { KITE_DATABASE_URL: database.url } : {}),
    };
    try {
      for (let start = 1; start <= 2; start += 1) {
        const kite = await startKite(env, ['--demo']);
        try {
          const list = await client(kite.url).get(
            '/api/v1/issues?namespace=team-alpha&namespace=team-beta',
          );
          assert.equal(list.status, 200);
          assert.equal(list.body.total, 5, `start ${start}`);
          assert.ok(
            list.body.data.every((issue: any) => issue.occurrences === 1),
            'a restart adds nothing',
          );
        } finally {
          const exited = new Promise((resolve) => kite.child.once('exit', resolve));
          kite.child.kill('SIGTERM');
          await exited;
        }
      }
    } finally {
      await database.drop();
    }
  });

  it('writes one JSON log line per request, with its request id and never the bearer token or query', async () => {
    const database = await createTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), 'kite-logs-'));
    const kite = await startKite({
      KITE_DATA_DIR: dataDir,
      ...(database.url ? { KITE_DATABASE_URL: database.url } : {}),
    });
    try {
      await client(kite.url).get('/api/v1/issues?namespace=x', {
        authorization: 'Bearer very-secret-token-123',
        'x-request-id': 'log-check-1',
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const lines = kite
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'));
      const entries = lines.map((line) => JSON.parse(line));
      const mine = entries.filter((entry) => entry.reqId === 'log-check-1');
      assert.equal(mine.length, 1, 'one log line per request');
      assert.deepEqual(
        { msg: mine[0].msg, method: mine[0].method, path: mine[0].path, status: mine[0].status },
        { msg: 'request completed', method: 'GET', path: '/api/v1/issues', status: 200 },
      );
      assert.equal(typeof mine[0].ms, 'number');
      assert.doesNotMatch(kite.output(), /very-secret-token-123/);
      assert.doesNotMatch(kite.output(), /namespace=x/);
    } finally {
      kite.child.kill('SIGTERM');
      await new Promise((resolve) => kite.child.once('exit', resolve));
      await database.drop();
    }
  });

  it('on SIGTERM it finishes the in-flight request, then exits 0', async () => {
    const database = await createTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), 'kite-term-'));
    const kite = await startKite({
      KITE_DATA_DIR: dataDir,
      ...(database.url ? { KITE_DATABASE_URL: database.url } : {}),
    });
    const exited = new Promise<number | null>((resolve) => kite.child.once('exit', resolve));
    try {
      const body = JSON.stringify({
        pipelineName: 'inflight',
        namespace: 'term-ns',
        failureReason: 'x',
      });
      const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(new URL('/api/v1/webhooks/pipeline-failure', kite.url), {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        // Half the body now, the rest after SIGTERM: the request is in flight when the signal lands.
        req.write(body.slice(0, 20));
        setTimeout(() => {
          kite.child.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(20)), 500);
        }, 300);
      });
      const result = await answer;
      assert.equal(result.status, 201);
      assert.equal(JSON.parse(result.body).issue.scope.resourceName, 'inflight');
      assert.equal(await exited, 0);
      assert.match(kite.output(), /shutting down/);
    } finally {
      kite.child.kill('SIGKILL');
      await database.drop();
    }
  });
});

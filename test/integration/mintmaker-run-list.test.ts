/**
 * Listing MintMaker runs, live and archived, through the log service on the suite's
 * database and the real Kubernetes client (against the API double): live runs go where
 * they sort among archived ones, every page is read in SQL (never the whole archive),
 * and the `status` filter is one field-named enum. Reading a run whose permission check
 * cannot be answered fails closed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { createLogArchive } from '../../src/logs/archive.js';
import { createLiveCluster } from '../../src/logs/live.js';
import { createRedactor } from '../../src/logs/redact.js';
import { createRunLogs, type RunLogs } from '../../src/logs/run-logs.js';
import { createRunOwnership } from '../../src/logs/run-ownership.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrations.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { addMintmakerPeople } from '../support/mintmaker-people.js';
import {
  client,
  createTestDatabase,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '../support/test-server.js';

const ARCHIVED = 120;
const PAGE = 7;
const minute = (n: number) => new Date(Date.UTC(2026, 10, 1, 0, n)).toISOString();

let kube: KubeApiDouble;
let database: TestDatabase;
let db: Database;
/** The most rows any one query returned since the last reset. */
let widest = 0;
let runs: RunLogs;

/** A live MintMaker PipelineRun of team-list's component `app`. */
function pipelineRun(
  name: string,
  status: { startTime?: string; completionTime?: string },
  succeeded = true,
) {
  kube.apply({
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: {
      name,
      namespace: 'mintmaker',
      uid: `uid-${name}`,
      labels: {
        'mintmaker.appstudio.redhat.com/component': 'app',
        'mintmaker.appstudio.redhat.com/namespace': 'team-list',
      },
    },
    status: {
      ...status,
      conditions: [
        {
          type: 'Succeeded',
          status: status.completionTime ? (succeeded ? 'True' : 'False') : 'Unknown',
          reason: 'x',
        },
      ],
    },
  });
}

before(async () => {
  kube = await startKubeApiDouble();
  database = await createTestDatabase();
  const opened = await openDatabase(
    database.url ? { url: database.url } : { dataDir: 'memory://' },
  );
  await migrate(opened);
  // The real database, watched: how many rows each query hands back to the process.
  db = {
    ...opened,
    connections: () => opened.connections(),
    transaction: (fn) => opened.transaction(fn),
    listen: (channel, onPayload) => opened.listen(channel, onPayload),
    close: () => opened.close(),
    async query(sql, params, name) {
      const result = await opened.query(sql, params, name);
      widest = Math.max(widest, result.rows.length);
      return result as never;
    },
  };
  const archive = createLogArchive(db);
  const config = new KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  const live = createLiveCluster(config, 'mintmaker');
  runs = createRunLogs({
    archive,
    live,
    kubearchive: undefined,
    ownership: createRunOwnership({
      archive,
      live,
      uploaders: 'anyone',
      registry: new Registry(),
    }),
    redactor: createRedactor(),
    mintmakerNamespace: 'mintmaker',
    logCapBytes: 1e6,
  });
  // Archived runs one minute apart (minutes 1..120), of two components.
  for (let n = 1; n <= ARCHIVED; n += 1) {
    await archive.saveRun({
      runNamespace: 'mintmaker',
      name: `archived-${n}`,
      uid: `uid-archived-${n}`,
      namespace: 'team-list',
      component: n % 2 ? 'app' : 'lib',
      gitHost: null,
      repository: null,
      branch: null,
      repoBranchHash: null,
      status: n % 3 ? 'Failed' : 'Succeeded',
      startTime: null,
      completionTime: minute(n),
    });
  }
  // Live: a run not yet started (first of all), one running since minute 50, one that
  // completed at minute 90 (as archived-90 did: the live one goes first), and
  // archived-33 still in the cluster, failed where the archive says it succeeded (listed
  // once, as live, its log archived).
  pipelineRun('live-pending', {});
  pipelineRun('live-running', { startTime: minute(50) });
  pipelineRun('live-done', { startTime: minute(85), completionTime: minute(90) });
  pipelineRun('archived-33', { startTime: minute(30), completionTime: minute(33) }, false);
});

after(async () => {
  await db?.close();
  await database?.drop();
  await kube?.close();
});

/** Every page of a listing, in order. */
async function allPages(query: Parameters<RunLogs['listRuns']>[0]) {
  const names: string[] = [];
  const totals = new Set<number>();
  for (let offset = 0; ; offset += PAGE) {
    const page = await runs.listRuns(query, { limit: PAGE, offset });
    totals.add(page.total);
    names.push(...page.data.map((run) => run.name));
    if (page.data.length < PAGE) break;
  }
  return { names, totals: [...totals] };
}

describe('MintMaker run listing through the log service', () => {
  it('pages of many archived runs and some live ones list each run exactly once, newest first, without reading the whole archive', async () => {
    widest = 0;
    const { names, totals } = await allPages({ namespace: 'team-list' });
    const archivedNewestFirst = Array.from({ length: ARCHIVED }, (_, i) => ARCHIVED - i);
    const expected = [
      'live-pending',
      ...archivedNewestFirst.flatMap((n) => [
        ...(n === 90 ? ['live-done'] : []),
        ...(n === 50 ? ['live-running'] : []),
        `archived-${n}`,
      ]),
    ];
    assert.deepEqual(names, expected);
    assert.equal(new Set(names).size, names.length, 'each run once');
    assert.deepEqual(totals, [ARCHIVED + 3], 'every page gives the same total');
    assert.ok(widest <= PAGE, `no query read more than a page (the widest read ${widest} rows)`);
  });

  it('a live run that is archived too is listed once, as the cluster shows it, with its archived log', async () => {
    const page = await runs.listRuns(
      { namespace: 'team-list', component: 'app' },
      { limit: 500, offset: 0 },
    );
    const listed = page.data.filter((run) => run.name === 'archived-33');
    assert.equal(listed.length, 1);
    assert.equal(listed[0]?.status, 'Failed', "the cluster's status, not the archive's");
    assert.equal(listed[0]?.archived, true);
    assert.equal(page.total, ARCHIVED / 2 + 3);
    assert.equal(page.data.length, page.total);
  });

  it('the status filter applies to live and archived runs alike', async () => {
    const { names } = await allPages({ namespace: 'team-list', status: 'Running' });
    assert.deepEqual(names, ['live-pending', 'live-running']);
    const succeeded = await allPages({ namespace: 'team-list', status: 'Succeeded' });
    assert.ok(succeeded.names.includes('live-done'), 'a live run of that status');
    assert.ok(!succeeded.names.includes('archived-33'), 'live, it has failed: the cluster wins');
    assert.equal(succeeded.names.length, ARCHIVED / 3);
  });
});

describe('MintMaker run listing over HTTP', () => {
  let server: TestServer;
  before(async () => {
    addMintmakerPeople(kube);
    kube.users.set('token-carol', { username: 'carol', groups: ['team-a-devs'] });
    server = await startTestServer({
      env: {
        KITE_AUTH_MODE: 'kubernetes',
        KUBECONFIG: kube.kubeconfig,
        KITE_KUBE_API_TIMEOUT: '500ms',
      },
    });
    const created = await client(server.url).post(
      '/api/v1/mintmaker/runs',
      {
        name: 'renovate-held',
        uid: 'uid-held',
        namespace: 'team-a',
        component: 'c',
        status: 'Failed',
      },
      { authorization: 'Bearer token-operator' },
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(async () => {
    await server?.stop();
  });

  it('a status that is not a run status is refused with 400 naming the field and its values', async () => {
    const answer = await client(server.url).get(
      '/api/v1/mintmaker/runs?namespace=team-a&status=Done',
      {
        authorization: 'Bearer token-alice',
      },
    );
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, {
      error: 'Invalid request: status must be one of: Succeeded, Failed, Running, Unknown',
      details: [
        {
          field: 'status',
          message: 'status must be one of: Succeeded, Failed, Running, Unknown',
          allowed: ['Succeeded', 'Failed', 'Running', 'Unknown'],
        },
      ],
    });
  });

  it('without a valid token, a run that exists and one that does not both answer 401', async () => {
    for (const name of ['renovate-held', 'renovate-nowhere']) {
      const answer = await fetch(`${server.url}/api/v1/mintmaker/runs/${name}/logs`, {
        headers: { authorization: 'Bearer token-nobody' },
      });
      assert.equal(answer.status, 401, name);
    }
  });

  it("a run's log whose reader cannot be checked (the access review does not answer) is a 503, never served", async () => {
    const held = kube.hold('subjectaccessreviews');
    try {
      const answer = await fetch(`${server.url}/api/v1/mintmaker/runs/renovate-held/logs`, {
        headers: { authorization: 'Bearer token-carol' },
      });
      assert.equal(answer.status, 503);
      assert.doesNotMatch(await answer.text(), /renovate-held|team-a/);
    } finally {
      held.release();
    }
  });
});

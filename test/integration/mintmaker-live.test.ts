/**
 * MintMaker run logs end to end: the run lives in the `mintmaker` namespace of the
 * Kubernetes API double (PipelineRun, TaskRun, pod and its container logs); the server
 * serves it live while the pod exists, the bridge operator archives it when it
 * completes, and after the pod is deleted the archive serves it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { resolveOperatorConfig } from '../../src/operator/operator-config.js';
import { startOperator, type RunningOperator } from '../../src/operator/operator.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { liveMintmakerRun } from '../support/mintmaker-live-run.js';
import { addMintmakerPeople } from '../support/mintmaker-people.js';
import { client, startTestServer, type TestServer } from '../support/test-server.js';

const SECRET = 'glpat-' + 'AbCdEfGhIjKlMnOpQrSt';
const RUN = 'renovate-live-1';
const POD = `${RUN}-renovate-pod`;
let kube: KubeApiDouble;
/** KubeArchive speaks the Kubernetes API's paths: a second double stands in for it. */
let kubearchive: KubeApiDouble;
let server: TestServer;
let operator: RunningOperator;

const as = (token: string) => ({ authorization: `Bearer ${token}` });

/** Reads a response body until its text so far matches `pattern`. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, pattern: RegExp) {
  const decoder = new TextDecoder();
  let text = '';
  while (!pattern.test(text)) {
    const next = await reader.read();
    if (next.done) assert.fail(`the body ended before ${String(pattern)}: ${text}`);
    text += decoder.decode(next.value, { stream: true });
  }
  return text;
}
const logs = (token: string, query = '') =>
  fetch(`${server.url}/api/v1/mintmaker/runs/${RUN}/logs${query}`, { headers: as(token) });

/** The run: team-a's, a step `prepare` ended and `renovate` running until it fails. */
const run = liveMintmakerRun({
  name: RUN,
  uid: 'uid-live-1',
  owner: 'team-a',
  repositoryLabels: true,
  task: 'renovate',
  podName: POD,
  steps: ['prepare', 'renovate'],
  startTime: '2026-11-22T04:00:00Z',
  outcome: 'Failed',
});

before(async () => {
  kube = await startKubeApiDouble();
  addMintmakerPeople(kube);
  kubearchive = await startKubeApiDouble();
  server = await startTestServer({
    env: {
      KITE_AUTH_MODE: 'kubernetes',
      KUBECONFIG: kube.kubeconfig,
      KITE_KUBEARCHIVE_URL: kubearchive.url,
    },
  });
  const tokenFile = join(await mkdtemp(join(tmpdir(), 'kite-live-')), 'token');
  await writeFile(tokenFile, 'token-operator');
  const config = await resolveOperatorConfig(
    {
      apiUrl: server.url,
      tokenFile,
      kubeconfig: kube.kubeconfig,
      host: '127.0.0.1',
      port: '0',
      leaderElect: false,
    },
    { KITE_BACKOFF_BASE: '20ms', KITE_BACKOFF_MAX: '200ms' },
    () => Promise.resolve(undefined),
  );
  operator = await startOperator(
    { ...config, controllers: { pipelineruns: { enabled: false }, releases: { enabled: false } } },
    { log: pino({ level: process.env.KITE_TEST_LOG ?? 'silent' }) },
  );
  await operator.synced;
  kube.apply(run.pod);
  kube.setPodLog(
    'mintmaker',
    POD,
    'step-prepare',
    `cloning https://oauth2:${SECRET}@gitlab.com/acme/frontend\n`,
  );
  kube.endPodLog('mintmaker', POD, 'step-prepare');
  kube.setPodLog('mintmaker', POD, 'step-renovate', '{"level":30,"msg":"Repository started"}\n');
  kube.apply(run.taskRun(false));
  kube.apply(run.pipelineRun(false));
});

after(async () => {
  await operator?.close();
  await server?.stop();
  await kube?.close();
  await kubearchive?.close();
});

describe('MintMaker run logs, live and archived', () => {
  it('a user of team-a lists the running run and reads its logs live, redacted', async () => {
    const list = await client(server.url).get(
      '/api/v1/mintmaker/runs?namespace=team-a',
      as('token-alice'),
    );
    assert.deepEqual(
      list.body.data.map((r: any) => [r.name, r.status, r.archived]),
      [[RUN, 'Running', false]],
    );
    const response = await logs('token-alice');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-kite-log-source'), 'live');
    const text = await response.text();
    assert.match(
      text,
      /==> task renovate, step prepare <==\ncloning https:\/\/oauth2:\*\*REDACTED\*\*@gitlab\.com/,
    );
    assert.match(text, /==> task renovate, step renovate <==\n\{"level":30/);
    assert.ok(!text.includes(SECRET));
  });

  it('a user of team-b gets 404 for the live run and does not see it listed', async () => {
    assert.equal((await logs('token-bob')).status, 404);
    const list = await client(server.url).get(
      '/api/v1/mintmaker/runs?namespace=team-b',
      as('token-bob'),
    );
    assert.deepEqual(list.body.data, []);
  });

  it('a client that goes away from a followed log closes its pod log connection', async () => {
    assert.equal(kube.openPodLogs(), 0);
    const response = await logs('token-alice', '?follow=true&step=renovate');
    assert.equal(response.status, 200);
    const reader = response.body?.getReader();
    assert.ok(reader);
    // The pod's own text has arrived: its log is open (the heading alone comes before).
    await readUntil(reader, /Repository started/);
    assert.equal(kube.openPodLogs(), 1);
    await reader.cancel();
    const deadline = Date.now() + 5000;
    while (kube.openPodLogs() > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(kube.openPodLogs(), 0, 'the pod log is still being read for nobody');
  });

  it('a pod log connection cut midway fails the response rather than ending it as if complete', async () => {
    const response = await logs('token-alice', '?follow=true&step=renovate');
    assert.equal(response.status, 200);
    const reader = response.body?.getReader();
    assert.ok(reader);
    await readUntil(reader, /Repository started/);
    kube.cutPodLogs();
    const outcome = await Promise.race([
      (async () => {
        try {
          while (!(await reader.read()).done);
          return 'ended as if complete';
        } catch {
          return 'failed';
        }
      })(),
      new Promise((resolve) => setTimeout(() => resolve('still hanging'), 5000)),
    ]);
    assert.equal(outcome, 'failed');
    assert.equal(kube.openPodLogs(), 0);
  });

  it(
    'follow mode delivers lines written after the request started, until the run ends',
    { timeout: 20_000 },
    async () => {
      const response = await logs('token-alice', '?follow=true&step=renovate');
      assert.equal(response.status, 200);
      const reader = response.body?.getReader();
      assert.ok(reader);
      const decoder = new TextDecoder();
      let received = '';
      const first = await reader.read();
      received += decoder.decode(first.value);
      kube.appendPodLog(
        'mintmaker',
        POD,
        'step-renovate',
        `{"level":50,"msg":"push failed with ${SECRET}"}\n`,
      );
      kube.endPodLog('mintmaker', POD, 'step-renovate');
      kube.apply(run.taskRun(true));
      kube.apply(run.pipelineRun(true));
      for (;;) {
        const next = await reader.read();
        if (next.done) break;
        received += decoder.decode(next.value);
      }
      assert.match(received, /Repository started/);
      assert.match(received, /push failed with \*\*REDACTED\*\*/);
    },
  );

  it('once the run completed the operator archives it; after the pod is deleted the archive serves it', async () => {
    await within(async () => {
      const list = await client(server.url).get(
        '/api/v1/mintmaker/runs?namespace=team-a',
        as('token-alice'),
      );
      return list.body.data[0]?.archived === true && list.body.data[0]?.logBytes > 0;
    }, 'the operator to archive the run');
    const live = await (await logs('token-alice')).text();
    kube.remove('v1', 'Pod', 'mintmaker', POD);
    const response = await logs('token-alice');
    assert.equal(response.headers.get('x-kite-log-source'), 'archive');
    const archived = await response.text();
    assert.equal(archived, live, 'the archive serves what the pod served');
    assert.ok(!archived.includes(SECRET));
    const stored = await server.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM mintmaker_log_chunks',
    );
    assert.ok((stored.rows[0]?.n ?? 0) >= 2, 'both steps are stored');
  });

  it('a run pruned from the cluster and never archived here is read from KubeArchive, for its owners only', async () => {
    const old = 'renovate-old-1';
    kubearchive.apply({
      ...run.pipelineRun(true),
      metadata: { ...run.pipelineRun(true).metadata, name: old, uid: 'uid-old-1' },
    });
    kubearchive.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'old-pod', namespace: 'mintmaker' },
      spec: { containers: [{ name: 'step-renovate' }] },
    });
    kubearchive.setPodLog('mintmaker', 'old-pod', 'step-renovate', `old run token ${SECRET}\n`);
    kubearchive.apply({
      apiVersion: 'tekton.dev/v1',
      kind: 'TaskRun',
      metadata: {
        name: `${old}-renovate`,
        namespace: 'mintmaker',
        labels: { 'tekton.dev/pipelineRun': old, 'tekton.dev/pipelineTask': 'renovate' },
      },
      status: {
        podName: 'old-pod',
        steps: [{ name: 'renovate', container: 'step-renovate', terminated: {} }],
      },
    });
    const read = (token: string) =>
      fetch(`${server.url}/api/v1/mintmaker/runs/${old}/logs`, { headers: as(token) });
    const response = await read('token-alice');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-kite-log-source'), 'kubearchive');
    assert.equal(
      await response.text(),
      '==> task renovate, step renovate <==\nold run token **REDACTED**\n',
    );
    assert.equal((await read('token-bob')).status, 404);
  });

  it('a reader of the MintMaker namespace reads it too; team-b still gets 404 from the archive', async () => {
    assert.equal((await logs('token-mm')).status, 200);
    assert.equal((await logs('token-bob')).status, 404);
  });
});

async function within(probe: () => Promise<boolean>, what: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

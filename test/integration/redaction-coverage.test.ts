/**
 * Every redaction rule's samples, planted in one MintMaker run log, never reach a reader
 * through the real server: not live from the pod (plain, gzip, `format=text`, `follow`),
 * not from the archive (plain, gzip, `format=text`), and not in what the archive stores.
 */
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { SEGMENT } from '../../src/logs/gzip-segments.js';
import { REDACTION_RULES } from '../../src/logs/redaction-rules.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { addMintmakerPeople } from '../support/mintmaker-people.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const LIVE = 'renovate-redaction-live';
const ARCHIVED = 'renovate-redaction-archived';
const POD = `${LIVE}-pod`;
const LAST = '{"level":30,"msg":"Repository finished"}';

const samples = REDACTION_RULES.flatMap((rule) =>
  rule.samples.map((sample) => ({ rule: rule.name, ...sample })),
);
/** Each sample as a line of its own, and inside a Renovate JSON line (escaped). */
const LOG = [
  '{"level":30,"msg":"Repository started"}',
  ...samples.flatMap(({ text }) => [
    text,
    JSON.stringify({ level: 20, msg: `running ${text} now`, err: { message: text } }),
  ]),
  LAST,
  '',
].join('\n');

let kube: KubeApiDouble;
let server: TestServer;
const as = (token: string) => ({ authorization: `Bearer ${token}` });

/** A GET whose body is kept as sent (fetch would decode gzip). */
function rawGet(path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; encoding: string | undefined; body: Buffer }>(
    (resolve, reject) => {
      get(`${server.url}${path}`, { headers }, (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            encoding: response.headers['content-encoding'],
            body: Buffer.concat(parts),
          }),
        );
        response.on('error', reject);
      }).on('error', reject);
    },
  );
}

/** Where a sample's secret could show: as it is, or escaped once or twice as in JSON. */
function leaked(text: string): string[] {
  return samples
    .filter(({ secret }) => {
      const once = JSON.stringify(secret).slice(1, -1);
      const twice = JSON.stringify(once).slice(1, -1);
      return [secret, once, twice].some((form) => text.includes(form));
    })
    .map(({ rule, secret }) => `${rule}: ${secret}`);
}

before(async () => {
  kube = await startKubeApiDouble();
  addMintmakerPeople(kube);
  server = await startTestServer({
    env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig },
  });
  // A run live in the cluster, its pod's log holding every sample.
  kube.apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: POD, namespace: 'mintmaker' },
    spec: { containers: [{ name: 'step-renovate' }] },
  });
  kube.setPodLog('mintmaker', POD, 'step-renovate', LOG);
  kube.endPodLog('mintmaker', POD, 'step-renovate');
  kube.apply({
    apiVersion: 'tekton.dev/v1',
    kind: 'TaskRun',
    metadata: {
      name: `${LIVE}-renovate`,
      namespace: 'mintmaker',
      labels: { 'tekton.dev/pipelineRun': LIVE, 'tekton.dev/pipelineTask': 'renovate' },
    },
    status: {
      podName: POD,
      startTime: '2026-12-03T04:00:01Z',
      steps: [{ name: 'renovate', container: 'step-renovate' }],
      conditions: [{ type: 'Succeeded', status: 'Unknown', reason: 'Running' }],
    },
  });
  kube.apply({
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: {
      name: LIVE,
      namespace: 'mintmaker',
      uid: 'uid-redaction-live',
      labels: {
        'mintmaker.appstudio.redhat.com/namespace': 'team-a',
        'mintmaker.appstudio.redhat.com/component': 'frontend',
      },
    },
    status: {
      startTime: '2026-12-03T04:00:00Z',
      childReferences: [{ apiVersion: 'tekton.dev/v1', kind: 'TaskRun', name: `${LIVE}-renovate` }],
      conditions: [{ type: 'Succeeded', status: 'Unknown', reason: 'Running' }],
    },
  });
  // A run archived by the operator's upload, the same log as its step.
  const created = await fetch(`${server.url}/api/v1/mintmaker/runs`, {
    method: 'POST',
    headers: { ...as('token-operator'), 'content-type': 'application/json' },
    body: JSON.stringify({
      name: ARCHIVED,
      uid: 'uid-redaction-archived',
      namespace: 'team-a',
      component: 'frontend',
      status: 'Failed',
      completionTime: '2026-12-03T04:05:00Z',
    }),
  });
  assert.equal(created.status, 201, await created.text());
  const uploaded = await fetch(
    `${server.url}/api/v1/mintmaker/runs/${ARCHIVED}/steps/renovate/renovate?position=0`,
    {
      method: 'PUT',
      headers: { ...as('token-operator'), 'content-type': 'text/plain' },
      body: LOG,
    },
  );
  assert.equal(uploaded.status, 200, await uploaded.text());
});

after(async () => {
  await server?.stop();
  await kube?.close();
});

describe('every redaction sample, on every read path of the real server', () => {
  it('the log planted holds every sample (the test plants what it checks)', () => {
    assert.equal(leaked(LOG).length, samples.length);
  });

  for (const [run, source] of [
    [LIVE, 'live'],
    [ARCHIVED, 'archive'],
  ] as const) {
    for (const gzip of [false, true]) {
      for (const format of ['raw', 'text'] as const) {
        it(`${source}, ${gzip ? 'gzip' : 'plain'}, format=${format}: no sample shows`, async () => {
          const response = await rawGet(
            `/api/v1/mintmaker/runs/${run}/logs${format === 'text' ? '?format=text' : ''}`,
            { ...as('token-alice'), ...(gzip ? { 'accept-encoding': 'gzip' } : {}) },
          );
          assert.equal(response.status, 200, response.body.toString('utf8'));
          assert.equal(response.encoding, gzip ? 'gzip' : undefined);
          const text = (gzip ? gunzipSync(response.body) : response.body).toString('utf8');
          assert.deepEqual(leaked(text), []);
          assert.match(text, /Repository finished/, 'the whole log was served');
          assert.ok(text.split('**REDACTED**').length > samples.length, text);
        });
      }
    }
  }

  it('live, followed: no sample shows', async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/api/v1/mintmaker/runs/${LIVE}/logs?follow=true`, {
      headers: as('token-alice'),
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    assert.ok(response.body);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    // The run goes on: read until the log's last line, then hang up.
    while (!text.includes('Repository finished')) {
      const next = await reader.read();
      if (next.done) break;
      text += decoder.decode(next.value, { stream: true });
    }
    controller.abort();
    assert.match(text, /Repository finished/);
    assert.deepEqual(leaked(text), []);
  });

  it('what the archive stores holds no sample', async () => {
    const stored = await server.db.query<{ data: Uint8Array }>(
      `SELECT data FROM mintmaker_log_chunks
       WHERE run_id = (SELECT id FROM mintmaker_runs WHERE run_name = $1)`,
      [ARCHIVED],
    );
    assert.ok(stored.rows.length > 0);
    const text = Buffer.concat(stored.rows.map((row) => inflateRawSync(row.data, SEGMENT)));
    assert.deepEqual(leaked(text.toString('utf8')), []);
  });
});

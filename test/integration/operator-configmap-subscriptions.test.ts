/**
 * Subscriptions declared in labelled ConfigMaps: the operator's real informer lists and
 * watches ConfigMaps in the Kubernetes API test double and syncs them over HTTP to a
 * recording API with the server's subscription contract, so every request the sync
 * makes (and does not make) can be counted. operator-configmap-e2e.test.ts runs the
 * same sync against the real server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningOperator } from '../../src/operator/operator.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { startTestOperator, warningsIn } from '../support/operator.js';
import { startRecordingApi, type RecordingApi } from '../support/recording-api.js';

let kube: KubeApiDouble;
let api: RecordingApi;
let operator: RunningOperator;
const logs: string[] = [];

const LABEL = { 'kite.konflux-ci.dev/subscriptions': 'true' };
const slack = (name: string, secret = 'team-slack') => ({
  name,
  match: { minSeverity: 'major' },
  receivers: [{ type: 'slack', url: { secret: { name: secret, key: 'url' } } }],
});

function configMap(
  namespace: string,
  name: string,
  document: string | unknown[],
  labels: Record<string, string> = LABEL,
) {
  const text = typeof document === 'string' ? document : JSON.stringify(document);
  return kube.apply({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { namespace, name, labels },
    data: { 'subscriptions.yaml': text },
  });
}

async function start(
  env: Record<string, string> = {},
  leaderElect = false,
): Promise<RunningOperator> {
  const started = await startTestOperator({
    apiUrl: api.url,
    kubeconfig: kube.kubeconfig,
    env,
    leaderElect,
    leaseNamespace: 'cm-lease',
    logs,
  });
  return started.operator;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(probe: () => T | undefined, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** The stored subscriptions of a namespace as `name source`, sorted. */
const storedIn = (namespace: string) =>
  [...api.subscriptions.stored.values()]
    .filter((s) => s.namespace === namespace)
    .map((s) => `${String(s.name)} ${String(s.source)}`)
    .sort();

const until = (namespace: string, expected: string[]) =>
  eventually(
    () => (JSON.stringify(storedIn(namespace)) === JSON.stringify(expected) ? true : undefined),
    `${namespace} to hold ${expected.join(', ')}`,
  );

const requestsIn = (namespace: string, method?: string) =>
  api.subscriptions.requests.filter(
    (r) => r.namespace === namespace && (method === undefined || r.method === method),
  );

/** Warnings logged, as parsed pino lines. */
const warnings = () => warningsIn(logs);

/** kite_operator_configmap_subscriptions_total for one result, in the running operator. */
const counted = async (result: string) =>
  Number(
    new RegExp(`kite_operator_configmap_subscriptions_total\\{result="${result}"\\} (\\d+)`).exec(
      await operator.metrics(),
    )?.[1],
  );

/** Waits two resyncs, so that anything the operator would still do has been done. */
const settled = async () => {
  await sleep(400);
  await operator.idle();
};

before(async () => {
  kube = await startKubeApiDouble();
  api = await startRecordingApi();
  operator = await start();
});

after(async () => {
  await operator.close();
  await api.close();
  await kube.close();
});

describe('subscriptions from a labelled ConfigMap', () => {
  it('each declared subscription is PUT once, to its name, with source configmap/<name>', async () => {
    configMap('cm-put', 'alerts', [slack('builds'), slack('releases', 'release-slack')]);
    await until('cm-put', ['builds configmap/alerts', 'releases configmap/alerts']);
    await settled();
    const puts = requestsIn('cm-put', 'PUT');
    assert.deepEqual(
      puts.map((r) => [r.name, r.body]),
      [
        ['builds', { ...slack('builds'), name: undefined, source: 'configmap/alerts' }],
        [
          'releases',
          { ...slack('releases', 'release-slack'), name: undefined, source: 'configmap/alerts' },
        ],
      ].map(([name, body]) => [name, JSON.parse(JSON.stringify(body))]),
    );
    assert.equal(requestsIn('cm-put', 'DELETE').length, 0);
    assert.ok((await counted('put')) >= 2, 'counted as put');
  });

  it('an entry removed from the ConfigMap is deleted; the one still listed stays', async () => {
    configMap('cm-edit', 'alerts', [slack('builds'), slack('releases')]);
    await until('cm-edit', ['builds configmap/alerts', 'releases configmap/alerts']);
    configMap('cm-edit', 'alerts', [slack('builds')]);
    await until('cm-edit', ['builds configmap/alerts']);
    await settled();
    assert.deepEqual(
      requestsIn('cm-edit', 'DELETE').map((r) => r.name),
      ['releases'],
    );
    assert.equal(requestsIn('cm-edit', 'PUT').length, 2, 'the kept one is not PUT again');
  });

  it('deleting or unlabelling the ConfigMap deletes every subscription of its source, and only those', async () => {
    configMap('cm-gone', 'deleted', [slack('a'), slack('b')]);
    configMap('cm-gone', 'unlabelled', [slack('c')]);
    configMap('cm-gone', 'kept', [slack('d')]);
    await until('cm-gone', [
      'a configmap/deleted',
      'b configmap/deleted',
      'c configmap/unlabelled',
      'd configmap/kept',
    ]);
    kube.remove('v1', 'ConfigMap', 'cm-gone', 'deleted');
    configMap('cm-gone', 'unlabelled', [slack('c')], { team: 'a' });
    await until('cm-gone', ['d configmap/kept']);
    assert.deepEqual(
      requestsIn('cm-gone', 'DELETE')
        .map((r) => r.name)
        .sort(),
      ['a', 'b', 'c'],
    );
  });

  it('a ConfigMap without the label is never read: nothing is sent for its namespace', async () => {
    configMap('cm-plain', 'alerts', [slack('builds')], {});
    configMap('cm-plain', 'other', [slack('builds')], {
      'kite.konflux-ci.dev/subscriptions': 'false',
    });
    await settled();
    assert.deepEqual(requestsIn('cm-plain'), []);
  });

  it('an unreadable document is a warning naming it: nothing sent, its subscriptions kept, the other ConfigMaps synced', async () => {
    configMap('cm-yaml', 'broken-later', [slack('old')]);
    await until('cm-yaml', ['old configmap/broken-later']);
    configMap('cm-yaml', 'broken', 'receivers: [unclosed');
    configMap('cm-yaml', 'broken-later', '- name: old\n  match: {');
    configMap('cm-yaml', 'good', [slack('fine')]);
    await until('cm-yaml', ['fine configmap/good', 'old configmap/broken-later']);
    await settled();
    assert.deepEqual(
      requestsIn('cm-yaml', 'PUT')
        .filter((r) => String(r.body?.source).startsWith('configmap/broken'))
        .map((r) => r.name),
      ['old'],
      'nothing sent for the unreadable documents (old: before it broke)',
    );
    assert.equal(requestsIn('cm-yaml', 'DELETE').length, 0, 'old is kept while unreadable');
    for (const name of ['broken', 'broken-later']) {
      const warned = warnings().find((w) => w.configMap === `cm-yaml/${name}`);
      assert.match(String(warned?.problem), /not valid YAML/, name);
    }
  });

  it('a 400 for one entry is a warning naming it; the other entries are still put', async () => {
    api.subscriptions.rejected.add('refused');
    configMap('cm-400', 'alerts', [slack('first'), { name: 'refused' }, slack('last')]);
    await until('cm-400', ['first configmap/alerts', 'last configmap/alerts']);
    const warned = await eventually(
      () => warnings().find((w) => w.configMap === 'cm-400/alerts' && w.entry === 'refused'),
      'the warning',
    );
    assert.equal(warned.problem, 'receivers: must have 1 to 10 items');
    assert.ok((await counted('rejected')) >= 1, 'counted as rejected');
  });

  it('entries without a DNS-1123 name are skipped with a warning; the valid ones are put', async () => {
    configMap('cm-names', 'alerts', [slack('Bad_Name'), 'text', slack('ok')]);
    await until('cm-names', ['ok configmap/alerts']);
    await settled();
    const entries = warnings()
      .filter((w) => w.configMap === 'cm-names/alerts')
      .map((w) => w.entry);
    assert.deepEqual([...new Set(entries)].sort(), ['[0]', '[1]']);
    assert.deepEqual(
      requestsIn('cm-names', 'PUT').map((r) => r.name),
      ['ok'],
    );
  });

  it('a subscription made through the API is never taken over nor deleted by a ConfigMap', async () => {
    api.subscriptions.stored.set('cm-api/builds', {
      ...slack('builds'),
      namespace: 'cm-api',
      source: 'api',
      updatedAt: '2026-12-01T00:00:00.000Z',
    });
    configMap('cm-api', 'alerts', [slack('builds'), slack('other')]);
    await until('cm-api', ['builds api', 'other configmap/alerts']);
    await settled();
    assert.deepEqual(
      requestsIn('cm-api', 'PUT').map((r) => r.name),
      ['other'],
    );
    assert.ok(warnings().some((w) => w.configMap === 'cm-api/alerts' && w.entry === 'builds'));
  });

  it('a name two ConfigMaps declare belongs to the first by name; the other is warned about, no back and forth', async () => {
    configMap('cm-twice', 'b-second', [slack('shared', 'second-slack')]);
    configMap('cm-twice', 'a-first', [slack('shared')]);
    await until('cm-twice', ['shared configmap/a-first']);
    await settled();
    const sources = requestsIn('cm-twice', 'PUT').map((r) => r.body?.source);
    assert.equal(sources.at(-1), 'configmap/a-first');
    assert.ok(sources.length <= 2, `no back and forth: ${sources.join(', ')}`);
    assert.equal(requestsIn('cm-twice', 'DELETE').length, 0);
    assert.ok(
      warnings().some(
        (w) => w.configMap === 'cm-twice/b-second' && w.declaredBy === 'cm-twice/a-first',
      ),
    );
  });

  it('a ConfigMap subscription changed through the API is put back by the next resync', async () => {
    configMap('cm-drift', 'alerts', [slack('builds')]);
    await until('cm-drift', ['builds configmap/alerts']);
    const stored = api.subscriptions.stored.get('cm-drift/builds') ?? {};
    api.subscriptions.stored.set('cm-drift/builds', {
      ...stored,
      match: { minSeverity: 'critical' },
      updatedAt: '2026-12-02T00:00:00.000Z',
    });
    await eventually(
      () => (requestsIn('cm-drift', 'PUT').length === 2 ? true : undefined),
      'the PUT back',
    );
    assert.deepEqual(api.subscriptions.stored.get('cm-drift/builds')?.match, {
      minSeverity: 'major',
    });
  });

  it('a restart resyncs: what changed while down is applied, nothing else changes', async () => {
    configMap('cm-restart', 'stays', [slack('a'), slack('b')]);
    configMap('cm-restart', 'goes', [slack('c')]);
    await until('cm-restart', ['a configmap/stays', 'b configmap/stays', 'c configmap/goes']);
    await operator.close();
    kube.remove('v1', 'ConfigMap', 'cm-restart', 'goes');
    configMap('cm-restart', 'stays', [slack('a'), slack('b'), slack('e')]);
    const before = api.subscriptions.requests.length;
    operator = await start();
    await until('cm-restart', ['a configmap/stays', 'b configmap/stays', 'e configmap/stays']);
    await settled();
    const since = api.subscriptions.requests
      .slice(before)
      .filter((r) => r.namespace === 'cm-restart' && r.method !== 'GET')
      .map((r) => `${r.method} ${r.name}`)
      .sort();
    // A new process PUTs each declared subscription once (a replace with the same spec).
    assert.deepEqual(since, ['DELETE c', 'PUT a', 'PUT b', 'PUT e']);
  });

  it('KITE_CONFIGMAP_SUBSCRIPTIONS=false: no ConfigMap is listed or watched, nothing is sent', async () => {
    await operator.close();
    const lists = kube.calls.lists.configmaps ?? 0;
    const watches = kube.calls.watches.configmaps ?? 0;
    operator = await start({ KITE_CONFIGMAP_SUBSCRIPTIONS: 'false' });
    configMap('cm-off', 'alerts', [slack('builds')]);
    await settled();
    assert.equal(kube.calls.lists.configmaps ?? 0, lists);
    assert.equal(kube.calls.watches.configmaps ?? 0, watches);
    assert.deepEqual(requestsIn('cm-off'), []);
  });

  it('only the Lease holder writes: a standby syncs nothing, and everything once it leads', async () => {
    await operator.close();
    const lease = (holderIdentity: string) =>
      kube.apply({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { namespace: 'cm-lease', name: 'kite-operator' },
        spec: { holderIdentity, leaseDurationSeconds: 60, renewTime: new Date().toISOString() },
      });
    lease('another-replica');
    operator = await start({}, true);
    configMap('cm-standby', 'alerts', [slack('builds')]);
    await settled();
    assert.equal(operator.leading, false);
    assert.deepEqual(requestsIn('cm-standby'), []);
    lease('');
    await until('cm-standby', ['builds configmap/alerts']);
    assert.equal(operator.leading, true);
  });
});

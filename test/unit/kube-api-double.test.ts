/**
 * The Kubernetes API server double's object store, driven only through the real
 * `@kubernetes/client-node`: informers (makeInformer / ListWatch over Watch), the raw Watch,
 * and the typed clients. If these pass, code under test that uses client-node sees the
 * double as it would see a real API server.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  ADD,
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DELETE,
  ERROR,
  FetchError,
  KubeConfig,
  ListWatch,
  UPDATE,
  Watch,
  makeInformer,
  type Informer,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import { startKubeApiDouble, type KubeApiDouble, type KubeObject } from '../support/kube-api.js';

const TEKTON = { group: 'tekton.dev', version: 'v1', plural: 'pipelineruns' };
const ALL_PIPELINERUNS = '/apis/tekton.dev/v1/pipelineruns';

let double: KubeApiDouble;
let kc: KubeConfig;
let custom: CustomObjectsApi;
/** What each test started and must stop so the process can exit. */
let cleanups: (() => Promise<unknown> | void)[];

beforeEach(async () => {
  double = await startKubeApiDouble();
  kc = new KubeConfig();
  kc.loadFromFile(double.kubeconfig);
  custom = kc.makeApiClient(CustomObjectsApi);
  cleanups = [];
});

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await double.close();
});

function pipelineRun(namespace: string, name: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: { namespace, name, labels },
    spec: { pipelineRef: { name: 'build' } },
  } satisfies KubeObject;
}

type Cached = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

/** Records an informer's callbacks as "verb namespace/name@resourceVersion". */
function record(informer: Cached) {
  const seen: string[] = [];
  const errors: unknown[] = [];
  const note = (verb: string) => (o: KubernetesObject) =>
    seen.push(
      `${verb} ${o.metadata?.namespace}/${o.metadata?.name}@${o.metadata?.resourceVersion}`,
    );
  informer.on(ADD, note('add'));
  informer.on(UPDATE, note('update'));
  informer.on(DELETE, note('delete'));
  informer.on(ERROR, (error) => errors.push(error));
  return { seen, errors };
}

/** A started cluster-wide PipelineRun informer, stopped after the test. */
async function pipelineRunInformer(): Promise<Cached & { seen: string[]; errors: unknown[] }> {
  const informer = makeInformer(kc, ALL_PIPELINERUNS, () => custom.listClusterCustomObject(TEKTON));
  const recorded = record(informer);
  cleanups.push(() => informer.stop());
  await within('the informer to start', informer.start());
  return Object.assign(informer, recorded);
}

/** "namespace/name@resourceVersion" of what an informer holds, sorted. */
function cached(informer: ObjectCache<KubernetesObject>): string[] {
  return informer
    .list()
    .map((o) => `${o.metadata?.namespace}/${o.metadata?.name}@${o.metadata?.resourceVersion}`)
    .sort();
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The promise's value, or a failure naming what did not happen within five seconds. */
async function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 5000);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A raw client-node Watch, recording [type, name or reason] until the stream ends. */
async function rawWatch(path: string, query: Record<string, string | number | boolean>) {
  const events: [string, string][] = [];
  const objects: any[] = [];
  let ended: (err: unknown) => void = () => {};
  const done = new Promise<unknown>((resolve) => (ended = resolve));
  const controller = await new Watch(kc).watch(
    path,
    query,
    (type, object) => {
      events.push([type, object?.metadata?.name ?? object?.reason]);
      objects.push(object);
    },
    (err) => ended(err),
  );
  cleanups.push(() => controller.abort());
  return { events, objects, done };
}

describe('the Kubernetes API double, through client-node', () => {
  it('an informer receives the initial list as add events, one per stored object of its resource', async () => {
    const a = double.apply(pipelineRun('team-a', 'pr-a'));
    const b = double.apply(pipelineRun('team-a', 'pr-b'));
    const c = double.apply(pipelineRun('team-b', 'pr-c'));
    const taskRun = double.apply({ ...pipelineRun('team-a', 'tr-a'), kind: 'TaskRun' });

    const informer = await pipelineRunInformer();

    assert.deepEqual(informer.seen.sort(), [
      `add team-a/pr-a@${a.metadata.resourceVersion}`,
      `add team-a/pr-b@${b.metadata.resourceVersion}`,
      `add team-b/pr-c@${c.metadata.resourceVersion}`,
    ]);
    assert.equal(informer.get('pr-a', 'team-a')?.kind, 'PipelineRun');
    assert.ok(informer instanceof ListWatch, 'makeInformer builds a ListWatch');
    assert.equal(
      informer.latestResourceVersion(),
      taskRun.metadata.resourceVersion,
      'the list carries the global resourceVersion',
    );
    assert.equal(double.calls.lists.pipelineruns, 1);
    assert.equal(double.calls.watches.pipelineruns, 1);
    assert.equal(double.openWatches(), 1);
    assert.deepEqual(informer.errors, []);
  });

  it('an apply to a cached object reaches the informer as an update with the new resourceVersion', async () => {
    const first = double.apply(pipelineRun('team-a', 'pr-a'));
    const informer = await pipelineRunInformer();

    const second = double.apply({ ...pipelineRun('team-a', 'pr-a'), status: { phase: 'Done' } });

    assert.ok(Number(second.metadata.resourceVersion) > Number(first.metadata.resourceVersion));
    assert.equal(second.metadata.uid, first.metadata.uid, 'a replace keeps the uid');
    await until('the update', () => informer.seen.length === 2);
    assert.deepEqual(informer.seen, [
      `add team-a/pr-a@${first.metadata.resourceVersion}`,
      `update team-a/pr-a@${second.metadata.resourceVersion}`,
    ]);
    assert.deepEqual((informer.get('pr-a', 'team-a') as any).status, { phase: 'Done' });
  });

  it('a remove reaches the informer as a delete and leaves its cache', async () => {
    double.apply(pipelineRun('team-a', 'pr-a'));
    const kept = double.apply(pipelineRun('team-a', 'pr-b'));
    const informer = await pipelineRunInformer();

    const removed = double.remove('tekton.dev/v1', 'PipelineRun', 'team-a', 'pr-a');

    assert.ok(removed);
    await until('the delete', () => informer.seen.some((s) => s.startsWith('delete')));
    assert.equal(informer.seen.at(-1), `delete team-a/pr-a@${removed.metadata.resourceVersion}`);
    assert.deepEqual(cached(informer), [`team-a/pr-b@${kept.metadata.resourceVersion}`]);
    assert.equal(double.get('tekton.dev/v1', 'PipelineRun', 'team-a', 'pr-a'), undefined);
  });

  it('a watch replays the recorded events after its resourceVersion, then streams live ones', async () => {
    const a = double.apply(pipelineRun('team-a', 'pr-a'));
    double.apply(pipelineRun('team-a', 'pr-b'));
    double.apply({ ...pipelineRun('team-a', 'pr-a'), status: { phase: 'Running' } });
    double.remove('tekton.dev/v1', 'PipelineRun', 'team-a', 'pr-b');

    const watch = await rawWatch(ALL_PIPELINERUNS, { resourceVersion: a.metadata.resourceVersion });
    double.apply({ ...pipelineRun('team-b', 'tr-x'), kind: 'TaskRun' }); // another resource
    double.apply(pipelineRun('team-b', 'pr-c'));

    await until('the live event', () => watch.events.length === 4);
    assert.deepEqual(watch.events, [
      ['ADDED', 'pr-b'],
      ['MODIFIED', 'pr-a'],
      ['DELETED', 'pr-b'],
      ['ADDED', 'pr-c'],
    ]);
    const versions = watch.objects.map((o) => Number(o.metadata.resourceVersion));
    assert.deepEqual(
      versions,
      [...versions].sort((x, y) => x - y),
      'events come in resourceVersion order',
    );
    assert.equal(watch.objects[0].kind, 'PipelineRun');
  });

  it('a watch from a compacted resourceVersion gets one ERROR 410 Expired Status, then the stream ends', async () => {
    const old = double.apply(pipelineRun('team-a', 'pr-a'));
    double.apply(pipelineRun('team-a', 'pr-b'));
    double.compact();

    const watch = await rawWatch(ALL_PIPELINERUNS, {
      resourceVersion: old.metadata.resourceVersion,
    });

    assert.equal(
      await within('the end of the stream', watch.done),
      null,
      'a clean end of the stream, not a transport error',
    );
    assert.deepEqual(watch.events, [['ERROR', 'Expired']]);
    assert.equal(watch.objects[0].kind, 'Status');
    assert.equal(watch.objects[0].code, 410);
    assert.match(watch.objects[0].message, /too old resource version/);
    assert.equal(double.openWatches(), 0);
  });

  it('after compact() and dropWatches() the informer re-lists and converges on the store', async () => {
    const a = double.apply(pipelineRun('team-a', 'pr-a'));
    double.apply(pipelineRun('team-a', 'pr-b'));
    const informer = await pipelineRunInformer();
    await until('the initial list', () => informer.seen.length === 2);

    // All in one tick: the informer's re-watch can only arrive after the compaction, from a
    // resourceVersion older than it, so it must get 410 and list again.
    double.dropWatches();
    const b = double.apply({ ...pipelineRun('team-a', 'pr-b'), status: { phase: 'Done' } });
    const c = double.apply(pipelineRun('team-b', 'pr-c'));
    double.remove('tekton.dev/v1', 'PipelineRun', 'team-a', 'pr-a');
    double.compact();

    const expected = [
      `team-a/pr-b@${b.metadata.resourceVersion}`,
      `team-b/pr-c@${c.metadata.resourceVersion}`,
    ];
    await until('the re-list', () => cached(informer).join() === expected.join());
    await until('the new watch', () => double.openWatches() === 1);
    assert.equal(double.calls.lists.pipelineruns, 2, 'listed again after the 410');
    assert.equal(double.calls.watches.pipelineruns, 3, 'watch, expired re-watch, new watch');
    assert.deepEqual(informer.seen.slice(2).sort(), [
      `add team-b/pr-c@${c.metadata.resourceVersion}`,
      `delete team-a/pr-a@${a.metadata.resourceVersion}`, // the cached copy, from the re-list
      `update team-a/pr-b@${b.metadata.resourceVersion}`,
    ]);

    // And it goes on watching from the new list.
    const d = double.apply(pipelineRun('team-b', 'pr-d'));
    await until(
      'a live add',
      () => informer.seen.at(-1) === `add team-b/pr-d@${d.metadata.resourceVersion}`,
    );
    assert.deepEqual(informer.errors, []);
  });

  it('a namespaced, label-selected informer sees only matching objects, and loses one relabelled away', async () => {
    double.apply(pipelineRun('team-a', 'web-1', { app: 'web' }));
    double.apply(pipelineRun('team-a', 'db-1', { app: 'db' }));
    double.apply(pipelineRun('team-b', 'web-2', { app: 'web' }));
    const informer = makeInformer(
      kc,
      '/apis/tekton.dev/v1/namespaces/team-a/pipelineruns',
      () =>
        custom.listNamespacedCustomObject({
          ...TEKTON,
          namespace: 'team-a',
          labelSelector: 'app=web',
        }),
      'app=web',
    );
    const { seen, errors } = record(informer);
    cleanups.push(() => informer.stop());
    await within('the informer to start', informer.start());

    double.apply(pipelineRun('team-a', 'web-3', { app: 'web', tier: 'front' }));
    double.apply(pipelineRun('team-a', 'db-2', { app: 'db' }));
    double.apply(pipelineRun('team-b', 'web-4', { app: 'web' }));
    double.apply(pipelineRun('team-a', 'web-1', { app: 'db' })); // leaves the selection
    double.apply(pipelineRun('team-a', 'nolabel'));
    double.apply(pipelineRun('team-a', 'web-5', { app: 'web' })); // the last write

    await until('the last write', () => seen.some((s) => s.includes('/web-5@')));
    assert.deepEqual(
      seen.map((s) => s.split('@')[0]),
      ['add team-a/web-1', 'add team-a/web-3', 'delete team-a/web-1', 'add team-a/web-5'],
    );
    assert.deepEqual(
      informer
        .list()
        .map((o) => o.metadata?.name)
        .sort(),
      ['web-3', 'web-5'],
    );
    assert.deepEqual(errors, []);
  });

  it('bookmarks move an informer to the current resourceVersion without touching its cache', async () => {
    // makeInformer never asks for bookmarks; a ListWatch over a Watch that does, does.
    class BookmarkWatch extends Watch {
      override watch(...[path, query, callback, done]: Parameters<Watch['watch']>) {
        return super.watch(path, { ...query, allowWatchBookmarks: true }, callback, done);
      }
    }
    const a = double.apply(pipelineRun('team-a', 'pr-a'));
    const informer = new ListWatch<KubernetesObject>(
      '/apis/tekton.dev/v1/namespaces/team-a/pipelineruns',
      new BookmarkWatch(kc),
      () => custom.listNamespacedCustomObject({ ...TEKTON, namespace: 'team-a' }),
      false,
    );
    const { seen, errors } = record(informer);
    cleanups.push(() => informer.stop());
    await within('the informer to start', informer.start());

    // Writes elsewhere move the global resourceVersion past what this informer has seen.
    double.apply(pipelineRun('team-b', 'pr-x'));
    const elsewhere = double.apply(pipelineRun('team-b', 'pr-y'));
    double.bookmark();

    const current = elsewhere.metadata.resourceVersion;
    await until('the bookmark', () => informer.latestResourceVersion() === current);
    assert.deepEqual(seen, [`add team-a/pr-a@${a.metadata.resourceVersion}`]);
    assert.deepEqual(cached(informer), [`team-a/pr-a@${a.metadata.resourceVersion}`]);

    // Resuming from the bookmark survives a compaction at that point: no 410, no re-list.
    double.compact();
    double.dropWatches();
    await until('the re-watch', () => double.calls.watches.pipelineruns === 2);
    await until('the open re-watch', () => double.openWatches() === 1);
    const b = double.apply(pipelineRun('team-a', 'pr-b'));
    await until('a live add', () => seen.length === 2);
    assert.equal(seen[1], `add team-a/pr-b@${b.metadata.resourceVersion}`);
    assert.equal(double.calls.lists.pipelineruns, 1, 'never re-listed');
    assert.deepEqual(errors, []);
  });

  it('a Lease replace with a stale resourceVersion is refused with 409 Conflict through CoordinationV1Api', async () => {
    const leases = kc.makeApiClient(CoordinationV1Api);
    const lease = (holderIdentity: string, resourceVersion?: string) => ({
      metadata: { name: 'kite-bridge', namespace: 'kite', resourceVersion },
      spec: { holderIdentity, leaseDurationSeconds: 15, renewTime: new Date() },
    });

    const created = await leases.createNamespacedLease({ namespace: 'kite', body: lease('pod-1') });
    assert.ok(created.metadata?.resourceVersion);
    assert.ok(created.metadata.uid);
    assert.ok(created.metadata.creationTimestamp instanceof Date);
    await assert.rejects(
      leases.createNamespacedLease({ namespace: 'kite', body: lease('pod-2') }),
      (e: unknown) =>
        e instanceof ApiException && e.code === 409 && /already exists/.test(String(e.body)),
    );

    const renewed = await leases.replaceNamespacedLease({
      name: 'kite-bridge',
      namespace: 'kite',
      body: lease('pod-1', created.metadata.resourceVersion),
    });
    assert.notEqual(renewed.metadata?.resourceVersion, created.metadata.resourceVersion);

    // A second candidate still holding the first version loses the race.
    await assert.rejects(
      leases.replaceNamespacedLease({
        name: 'kite-bridge',
        namespace: 'kite',
        body: lease('pod-2', created.metadata.resourceVersion),
      }),
      (e: unknown) =>
        e instanceof ApiException &&
        e.code === 409 &&
        JSON.parse(String(e.body)).reason === 'Conflict',
    );
    const read = await leases.readNamespacedLease({ name: 'kite-bridge', namespace: 'kite' });
    assert.equal(read.spec?.holderIdentity, 'pod-1');
    assert.equal(read.metadata?.resourceVersion, renewed.metadata?.resourceVersion);
    assert.equal(
      double.get('coordination.k8s.io/v1', 'Lease', 'kite', 'kite-bridge')?.kind,
      'Lease',
    );
  });

  it('typed clients list by label and field selector, page with limit and continue, and get 404 for a missing object', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const pod = (namespace: string, name: string, labels: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace, name, labels },
      spec: { containers: [{ name: 'step', image: 'busybox' }] },
    });
    double.apply(pod('team-a', 'p1', { 'tekton.dev/pipelineRun': 'pr-a' }));
    double.apply(pod('team-a', 'p2', { 'tekton.dev/pipelineRun': 'pr-b' }));
    double.apply(pod('team-a', 'p3', { 'tekton.dev/pipelineRun': 'pr-a' }));
    double.apply(pod('team-b', 'p1', {}));

    const names = (list: { items: { metadata?: { namespace?: string; name?: string } }[] }) =>
      list.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
    const byLabel = await core.listNamespacedPod({
      namespace: 'team-a',
      labelSelector: 'tekton.dev/pipelineRun=pr-a',
    });
    assert.deepEqual(names(byLabel), ['team-a/p1', 'team-a/p3']);
    assert.equal(byLabel.kind, 'PodList');
    const without = await core.listPodForAllNamespaces({
      labelSelector: '!tekton.dev/pipelineRun',
    });
    assert.deepEqual(names(without), ['team-b/p1']);
    const byField = await core.listPodForAllNamespaces({ fieldSelector: 'metadata.name=p1' });
    assert.deepEqual(names(byField), ['team-a/p1', 'team-b/p1']);
    const notB = await core.listPodForAllNamespaces({
      labelSelector: 'tekton.dev/pipelineRun!=pr-b',
      fieldSelector: 'metadata.namespace==team-a',
    });
    assert.deepEqual(names(notB), ['team-a/p1', 'team-a/p3']);

    const first = await core.listPodForAllNamespaces({ limit: 3 });
    assert.deepEqual(names(first), ['team-a/p1', 'team-a/p2', 'team-a/p3']);
    assert.ok(first.metadata?._continue, 'a continue token');
    const rest = await core.listPodForAllNamespaces({
      limit: 3,
      _continue: first.metadata._continue,
    });
    assert.deepEqual(names(rest), ['team-b/p1']);
    assert.equal(rest.metadata?._continue, undefined);
    assert.equal(rest.metadata?.resourceVersion, first.metadata.resourceVersion);

    await assert.rejects(
      custom.getNamespacedCustomObject({ ...TEKTON, namespace: 'team-a', name: 'nope' }),
      (e: unknown) => e instanceof ApiException && e.code === 404,
    );
    await assert.rejects(
      core.listPodForAllNamespaces({ labelSelector: 'a in (b' }),
      (e: unknown) => e instanceof ApiException && e.code === 400,
    );
  });

  it('a create and a delete through CustomObjectsApi are stored and reach watches as ADDED and DELETED', async () => {
    const watch = await rawWatch('/apis/tekton.dev/v1/namespaces/team-a/pipelineruns', {
      resourceVersion: '',
    });
    const created = await custom.createNamespacedCustomObject({
      ...TEKTON,
      namespace: 'team-a',
      body: pipelineRun('team-a', 'pr-a'),
    });
    assert.ok(created.metadata.uid);
    assert.deepEqual(
      double.get('tekton.dev/v1', 'PipelineRun', 'team-a', 'pr-a')?.metadata.resourceVersion,
      created.metadata.resourceVersion,
    );
    await custom.deleteNamespacedCustomObject({ ...TEKTON, namespace: 'team-a', name: 'pr-a' });
    await until('both events', () => watch.events.length === 2);
    assert.deepEqual(watch.events, [
      ['ADDED', 'pr-a'],
      ['DELETED', 'pr-a'],
    ]);
    assert.equal(double.get('tekton.dev/v1', 'PipelineRun', 'team-a', 'pr-a'), undefined);
  });

  it('a watch asking for timeoutSeconds is ended by the server after that time', async () => {
    const started = Date.now();
    const watch = await rawWatch(ALL_PIPELINERUNS, { resourceVersion: '', timeoutSeconds: 1 });
    assert.equal(double.openWatches(), 1);
    assert.equal(await within('the end of the stream', watch.done), null);
    assert.ok(Date.now() - started >= 900, 'not before the timeout');
    assert.equal(double.openWatches(), 0);
  });

  it('setting down cuts open watches at the connection; the informer reports it and stays stopped until started again', async () => {
    const a = double.apply(pipelineRun('team-a', 'pr-a'));
    const informer = await pipelineRunInformer();

    double.down = true;
    assert.equal(double.openWatches(), 0);
    await until('the informer error', () => informer.errors.length > 0);
    assert.match(String(informer.errors[0]), /Premature close/);
    await assert.rejects(
      custom.listClusterCustomObject(TEKTON),
      (e: unknown) => e instanceof FetchError && !(e instanceof ApiException),
      'a connection failure, not an HTTP status',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(
      double.calls.watches.pipelineruns,
      1,
      'client-node does not re-watch after an error',
    );

    double.down = false;
    await within('the informer to start', informer.start());
    assert.equal(double.openWatches(), 1);
    assert.equal(
      double.calls.lists.pipelineruns,
      1,
      'resumed from its resourceVersion, no re-list',
    );
    const b = double.apply(pipelineRun('team-a', 'pr-b'));
    await until('a live add', () => informer.seen.length === 2);
    assert.deepEqual(cached(informer), [
      `team-a/pr-a@${a.metadata.resourceVersion}`,
      `team-a/pr-b@${b.metadata.resourceVersion}`,
    ]);
  });
});

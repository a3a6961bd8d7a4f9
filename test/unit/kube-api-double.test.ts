/**
 * The Kubernetes API server double's object store and pod logs, driven only through the real
 * `@kubernetes/client-node`: informers (makeInformer / ListWatch over Watch), the raw Watch,
 * the typed clients, and the streaming Log. If these pass, code under test that uses client-node sees the
 * double as it would see a real API server.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
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
  Log,
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

  it('hold keeps the requests for one resource unanswered until released, and only those', async () => {
    const leases = kc.makeApiClient(CoordinationV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const held = double.hold('leases');
    let answered = false;
    const reading = leases
      .listNamespacedLease({ namespace: 'kite' })
      .then((list) => ((answered = true), list));
    await until('the lease request to wait', () => held.waiting() === 1);
    // Other resources are served meanwhile.
    await custom.listClusterCustomObject({ ...TEKTON });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(answered, false);
    held.release();
    assert.deepEqual((await within('the held request', reading)).items, []);
    assert.equal(held.waiting(), 0);
    // Once released, requests are answered at once again.
    await within('a later request', leases.listNamespacedLease({ namespace: 'kite' }));
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

/** A stored Pod with these containers (`init:` names an init container). */
function podWith(namespace: string, name: string, containers: string[]) {
  const spec = (init: boolean) =>
    containers
      .filter((c) => c.startsWith('init:') === init)
      .map((c) => ({ name: c.replace(/^init:/, ''), image: 'busybox' }));
  return double.apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name },
    spec: { initContainers: spec(true), containers: spec(false) },
  });
}

/** A Writable for Log to write into: what it received, and whether the stream finished. */
function sink() {
  const chunks: Buffer[] = [];
  let finished = false;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', () => {
      finished = true;
      resolve();
    });
    stream.on('error', reject);
  });
  return {
    stream,
    done,
    bytes: () => Buffer.concat(chunks),
    text: () => Buffer.concat(chunks).toString('utf8'),
    finished: () => finished,
  };
}

/** Starts a Log request writing into a new sink; its AbortController is aborted after the test. */
async function streamLog(
  namespace: string,
  pod: string,
  container: string,
  options: { follow?: boolean; tailLines?: number; limitBytes?: number } = {},
) {
  const into = sink();
  const controller = await new Log(kc).log(namespace, pod, container, into.stream, options);
  cleanups.push(() => controller.abort());
  return into;
}

/** For assert.rejects: typed clients reject a refusal with the API server's Status as body. */
function refusedWith(code: number, reason: string, message?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof ApiException, `an ApiException, not ${String(e)}`);
    assert.equal(e.code, code);
    const body = JSON.parse(String(e.body));
    assert.equal(body.kind, 'Status');
    assert.equal(body.reason, reason);
    if (message) assert.match(body.message, message);
    return true;
  };
}

describe('pod logs on the Kubernetes API double, through client-node', () => {
  it('readNamespacedPodLog returns the named container’s log as text/plain, and a single-container pod’s log without naming it', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    podWith('team-a', 'build', ['step-clone', 'step-build']);
    podWith('team-a', 'single', ['step-only']);
    double.setPodLog('team-a', 'build', 'step-clone', 'cloning\ndone\n');
    double.setPodLog('team-a', 'build', 'step-build', Buffer.from('compiling\n'));
    double.appendPodLog('team-a', 'build', 'step-build', 'linked ✓\n');
    double.setPodLog('team-a', 'single', 'step-only', 'first\n');
    double.setPodLog('team-a', 'single', 'step-only', 'replaced\n');

    const read = await core.readNamespacedPodLogWithHttpInfo({
      name: 'build',
      namespace: 'team-a',
      container: 'step-build',
    });
    assert.equal(read.data, 'compiling\nlinked ✓\n');
    assert.equal(read.headers['content-type'], 'text/plain');
    assert.equal(
      await core.readNamespacedPodLog({
        name: 'build',
        namespace: 'team-a',
        container: 'step-clone',
      }),
      'cloning\ndone\n',
    );
    assert.equal(
      await core.readNamespacedPodLog({ name: 'single', namespace: 'team-a' }),
      'replaced\n',
    );
    podWith('team-a', 'quiet', ['step-a']);
    assert.equal(
      await core.readNamespacedPodLog({ name: 'quiet', namespace: 'team-a' }),
      '',
      'a container that wrote nothing has an empty log',
    );
    assert.equal(double.calls.podLogs, 4);
  });

  it('a log request is refused as the API server refuses it: 400 without a container on a multi-container pod or with one not in the pod, 404 for a missing pod', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    podWith('team-a', 'build', ['init:prepare', 'step-clone', 'step-build']);

    await assert.rejects(
      core.readNamespacedPodLog({ name: 'build', namespace: 'team-a' }),
      refusedWith(
        400,
        'BadRequest',
        /^a container name must be specified for pod build, choose one of: \[step-clone step-build\] or one of the init containers: \[prepare\]$/,
      ),
    );
    await assert.rejects(
      core.readNamespacedPodLog({ name: 'build', namespace: 'team-a', container: 'step-push' }),
      refusedWith(400, 'BadRequest', /^container step-push is not valid for pod build$/),
    );
    await assert.rejects(
      core.readNamespacedPodLog({ name: 'gone', namespace: 'team-a', container: 'step-clone' }),
      refusedWith(404, 'NotFound', /^pods "gone" not found$/),
    );
    await assert.rejects(
      core.readNamespacedPodLog({ name: 'build', namespace: 'team-b', container: 'step-clone' }),
      refusedWith(404, 'NotFound'),
      'a pod of the same name in another namespace is another pod',
    );
    assert.equal(
      await core.readNamespacedPodLog({ name: 'build', namespace: 'team-a', container: 'prepare' }),
      '',
      'an init container is one of the pod’s',
    );

    // Log reports a refusal as an ApiException with the HTTP code only: it drops the Status.
    await assert.rejects(
      new Log(kc).log('team-a', 'build', '', new Writable()),
      (e: unknown) => e instanceof ApiException && e.code === 400 && e.body === undefined,
    );
    await assert.rejects(
      new Log(kc).log('team-a', 'gone', 'step-clone', new Writable()),
      (e: unknown) => e instanceof ApiException && e.code === 404,
    );
    assert.equal(double.calls.podLogs, 7);
  });

  it('tailLines keeps the last lines, limitBytes the first bytes of what tailLines kept', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    podWith('team-a', 'build', ['step']);
    const read = (options: { tailLines?: number; limitBytes?: number }) =>
      core.readNamespacedPodLog({ name: 'build', namespace: 'team-a', ...options });
    double.setPodLog('team-a', 'build', 'step', 'one\ntwo\nthree\n');

    assert.equal(await read({ tailLines: 2 }), 'two\nthree\n');
    assert.equal(await read({ tailLines: 3 }), 'one\ntwo\nthree\n');
    assert.equal(await read({ tailLines: 10 }), 'one\ntwo\nthree\n');
    assert.equal(await read({ limitBytes: 5 }), 'one\nt');
    assert.equal(await read({ tailLines: 2, limitBytes: 5 }), 'two\nt');
    await assert.rejects(read({ tailLines: -1 }), refusedWith(422, 'Invalid', /tailLines/));

    // An unfinished last line counts as a line; a line may span appends.
    double.setPodLog('team-a', 'build', 'step', `one\n${'x'.repeat(40_000)}`);
    double.appendPodLog('team-a', 'build', 'step', 'y\nthree');
    assert.equal(await read({ tailLines: 2 }), `${'x'.repeat(40_000)}y\nthree`);
    assert.equal(await read({ tailLines: 1 }), 'three');
  });

  it('a follow stream through Log gets the log, then what is appended after it started, and finishes when the container terminates', async () => {
    podWith('team-a', 'build', ['step-a', 'step-b']);
    double.setPodLog('team-a', 'build', 'step-a', 'line 1\nline 2\n');

    const follow = await streamLog('team-a', 'build', 'step-a', { follow: true, tailLines: 1 });
    await until('the existing log', () => follow.text() === 'line 2\n');
    assert.equal(double.openPodLogs(), 1);

    double.appendPodLog('team-a', 'build', 'step-a', 'line 3\n');
    double.appendPodLog('team-a', 'build', 'step-b', 'elsewhere\n');
    double.appendPodLog('team-a', 'build', 'step-a', Buffer.from('line 4\n'));
    await until('the appended lines', () => follow.text() === 'line 2\nline 3\nline 4\n');
    assert.equal(follow.finished(), false, 'still following a running container');

    double.endPodLog('team-a', 'build', 'step-a');
    await within('the end of the follow stream', follow.done);
    assert.equal(follow.text(), 'line 2\nline 3\nline 4\n');
    assert.equal(double.openPodLogs(), 0);

    // Following a terminated container's log gets it all and ends at once.
    const after = await streamLog('team-a', 'build', 'step-a', { follow: true });
    await within('the end of a follow on a terminated container', after.done);
    assert.equal(after.text(), 'line 1\nline 2\nline 3\nline 4\n');
  });

  it('deleting the pod ends the streams following its logs and forgets them', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    podWith('team-a', 'build', ['step']);
    double.setPodLog('team-a', 'build', 'step', 'before\n');
    const follow = await streamLog('team-a', 'build', 'step', { follow: true });
    await until('the existing log', () => follow.text() === 'before\n');

    assert.ok(double.remove('v1', 'Pod', 'team-a', 'build'));

    await within('the end of the follow stream', follow.done);
    assert.equal(double.openPodLogs(), 0);
    await assert.rejects(
      core.readNamespacedPodLog({ name: 'build', namespace: 'team-a' }),
      refusedWith(404, 'NotFound'),
    );
    assert.throws(() => double.appendPodLog('team-a', 'build', 'step', 'x'), /no pod/);
    podWith('team-a', 'build', ['step']);
    assert.equal(
      await core.readNamespacedPodLog({ name: 'build', namespace: 'team-a' }),
      '',
      'a new pod of the same name starts with no log',
    );
  });

  it('setting down cuts a follow stream at the connection', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    podWith('team-a', 'build', ['step']);
    const reading = core.readNamespacedPodLog({ name: 'build', namespace: 'team-a', follow: true });
    await until('the open follow stream', () => double.openPodLogs() === 1);

    double.down = true;

    await assert.rejects(
      within('the follow request to fail', reading),
      (e: unknown) => e instanceof FetchError && /Premature close/.test(e.message),
    );
    assert.equal(double.openPodLogs(), 0);
  });

  it('cutPodLogs cuts the log responses at the connection and nothing else', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    podWith('team-a', 'build', ['step']);
    const reading = core.readNamespacedPodLog({ name: 'build', namespace: 'team-a', follow: true });
    await until('the open follow stream', () => double.openPodLogs() === 1);

    double.cutPodLogs();

    await assert.rejects(
      within('the follow request to fail', reading),
      (e: unknown) => e instanceof FetchError && /Premature close/.test(e.message),
    );
    assert.equal(double.openPodLogs(), 0);
    // The API server itself still answers.
    assert.equal(
      (await core.readNamespacedPod({ name: 'build', namespace: 'team-a' })).metadata?.name,
      'build',
    );
  });

  it('a 5 MB log arrives intact: byte for byte through Log, as the same text through readNamespacedPodLog', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    podWith('team-a', 'build', ['binary', 'text']);
    const bytes = randomBytes(5 * 1024 * 1024);
    double.setPodLog('team-a', 'build', 'binary', bytes);
    const lines = Array.from(
      { length: 80_000 },
      (_, i) => `${String(i).padStart(6, '0')} ${'.'.repeat(58)}\n`,
    );
    for (const line of lines.slice(0, 40_000)) double.appendPodLog('team-a', 'build', 'text', line);
    double.appendPodLog('team-a', 'build', 'text', lines.slice(40_000).join(''));
    const text = lines.join('');
    assert.ok(text.length >= 5 * 1024 * 1024);

    const log = await streamLog('team-a', 'build', 'binary');
    await within('the whole log', log.done);
    assert.equal(log.bytes().length, bytes.length);
    assert.ok(log.bytes().equals(bytes), 'the same bytes');

    const read = await core.readNamespacedPodLog({
      name: 'build',
      namespace: 'team-a',
      container: 'text',
    });
    assert.equal(read.length, text.length);
    assert.ok(read === text, 'the same text');
  });
});

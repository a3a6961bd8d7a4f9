/**
 * A Kubernetes API server test double for the parts KITE uses: TokenReview,
 * SubjectAccessReview, listing namespaces, the version, and an object store (list, watch, get, create,
 * replace, delete) for the resources in RESOURCES below, and the pod log subresource (plain,
 * tailLines, limitBytes, follow). It speaks the real HTTP API, so the
 * real `@kubernetes/client-node` (typed clients, Watch, informers) is exercised end to end
 * through a kubeconfig that points at it. The API server cannot run on these machines; this
 * is the only double in the suite.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DoubleUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** An RBAC-like grant: who (user or group), what (verb on group/resource[/name]), where. */
export interface Grant {
  user?: string;
  group?: string;
  verb: string;
  apiGroup: string;
  resource: string;
  name?: string;
  /** Omitted: every namespace (a ClusterRoleBinding). */
  namespace?: string;
}

export interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  name?: string;
}

export const SERVICE_ACCOUNT_TOKEN = 'kite-server-service-account-token';

/** One kind of object the double stores. Add a row to RESOURCES to serve another. */
export interface DoubleResource {
  /** '' for the core group, which is served under /api/v1. */
  group: string;
  version: string;
  plural: string;
  kind: string;
}

/** What the object store serves, each at the paths a real API server uses; all namespaced. */
export const RESOURCES: readonly DoubleResource[] = [
  { group: 'tekton.dev', version: 'v1', plural: 'pipelineruns', kind: 'PipelineRun' },
  { group: 'tekton.dev', version: 'v1', plural: 'taskruns', kind: 'TaskRun' },
  { group: 'appstudio.redhat.com', version: 'v1alpha1', plural: 'releases', kind: 'Release' },
  {
    group: 'appstudio.redhat.com',
    version: 'v1alpha1',
    plural: 'releaseplans',
    kind: 'ReleasePlan',
  },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease' },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod' },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap' },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret' },
];

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  resourceVersion?: string;
  uid?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  [field: string]: unknown;
}

/** An object as sent to the double: metadata is read, every other field is kept as is. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** An object as the double stores and serves it, with the fields the server assigns. */
export interface StoredObject extends KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & {
    name: string;
    namespace: string;
    resourceVersion: string;
    uid: string;
    creationTimestamp: string;
  };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface KubeApiDouble {
  url: string;
  kubeconfig: string;
  users: Map<string, DoubleUser>;
  grants: Grant[];
  namespaces: string[];
  /** Requests served; `lists` and `watches` are keyed by plural (e.g. `pipelineruns`). */
  calls: {
    tokenReviews: number;
    subjectAccessReviews: number;
    namespaceLists: number;
    lists: Record<string, number>;
    watches: Record<string, number>;
    /** Requests for `/api/v1/namespaces/{ns}/pods/{name}/log`, answered or refused. */
    podLogs: number;
  };
  /**
   * While true every request fails at the connection, as an unreachable API server.
   * Setting it cuts the open watch and pod log streams too.
   */
  down: boolean;
  /** The SubjectAccessReviews received, for assertions on what was asked. */
  reviews: { user: string; groups: string[]; attributes: ResourceAttributes }[];
  /**
   * Creates or replaces the object named by apiVersion, kind, metadata.namespace and
   * metadata.name (whatever resourceVersion it carries), emitting ADDED or MODIFIED.
   */
  apply(object: KubeObject): StoredObject;
  /**
   * Deletes an object, emitting DELETED; the deleted object, or undefined if absent. Deleting
   * a Pod forgets its logs and ends the log streams following them.
   */
  remove(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): StoredObject | undefined;
  get(apiVersion: string, kind: string, namespace: string, name: string): StoredObject | undefined;
  /** Forgets the event history: a watch resuming from an older resourceVersion gets 410. */
  compact(): void;
  /** Sends a BOOKMARK at the current resourceVersion on every watch that allowed them. */
  bookmark(): void;
  /** Ends every open watch stream, as an API server restart does: clients must re-watch. */
  dropWatches(): void;
  openWatches(): number;
  /**
   * Replaces the log of a container of a stored Pod (one of its containers, initContainers or
   * ephemeralContainers; it throws otherwise). Streams already following the container are
   * not sent the replacement: they go on with what is appended after it.
   */
  setPodLog(namespace: string, pod: string, container: string, text: string | Buffer): void;
  /** Appends to a container's log and sends the text to the streams following it. */
  appendPodLog(namespace: string, pod: string, container: string, text: string | Buffer): void;
  /**
   * The container terminated: the streams following its log end once they have sent it all,
   * and later `follow` requests get the log and an immediate end.
   */
  endPodLog(namespace: string, pod: string, container: string): void;
  /** Log responses being sent, following or not. */
  openPodLogs(): number;
  /** The connections of every log response break, as when the API server becomes unreachable. */
  cutPodLogs(): void;
  /**
   * Holds the requests for objects of `plural` (e.g. `leases`) unanswered, as a slow API
   * server would, until `release`; `waiting` counts those held now. Also `tokenreviews`,
   * `subjectaccessreviews`, `namespaces` (the list) and `pods/log`.
   */
  hold(plural: string): { waiting(): number; release(): void };
  close(): Promise<void>;
}

/** Past this many recorded events the oldest half is compacted away. */
const HISTORY_LIMIT = 200_000;

/** A write, as recorded for watches; the object carries the write's resourceVersion. */
interface RecordedEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: DoubleResource;
  object: StoredObject;
  /** For MODIFIED, the object before: a label change can move it in or out of a selector. */
  previous: StoredObject | undefined;
}

interface OpenWatch {
  resource: DoubleResource;
  namespace: string | undefined;
  matches: Matcher;
  bookmarks: boolean;
  res: ServerResponse;
  timer: NodeJS.Timeout | undefined;
}

type Matcher = (object: KubeObject) => boolean;

/** The log of one container: its text, whether it terminated, the streams following it. */
interface ContainerLog {
  text: LogText;
  terminated: boolean;
  followers: Set<LogStream>;
}

/** A pod log response being sent: what is left to write, written as the socket takes it. */
interface LogStream {
  res: ServerResponse;
  /** Unsent views of stored log text (never changed once stored); sent from `next` on. */
  queue: Buffer[];
  next: number;
  /** What limitBytes still allows. */
  budget: number;
  /** End the response once the queue is written. */
  ending: boolean;
  /** Waiting for 'drain' after a write that the socket did not take at once. */
  blocked: boolean;
  /** The log this stream follows (follow=true, container not terminated), if any. */
  following: ContainerLog | undefined;
}

/** Log text goes out in writes of at most this many bytes, to let backpressure act. */
const LOG_WRITE = 64 * 1024;

/**
 * Append-only log text in blocks, so that 50 MB written a line at a time is neither one
 * growing string nor a million small Buffers. Stored bytes never change, so views of them
 * (a snapshot for a response, an appended piece for followers) stay valid without copies.
 */
class LogText {
  private sealed: Buffer[] = [];
  private block: Buffer | undefined;
  private used = 0;

  /** Stores a copy of the bytes; returns the stored view of them. */
  append(bytes: Buffer): Buffer {
    if (bytes.length >= LOG_WRITE / 2) {
      this.seal();
      const copy = Buffer.from(bytes);
      this.sealed.push(copy);
      return copy;
    }
    if (!this.block || this.used + bytes.length > this.block.length) {
      this.seal();
      this.block = Buffer.allocUnsafe(LOG_WRITE);
    }
    const start = this.used;
    this.used += bytes.copy(this.block, start);
    return this.block.subarray(start, this.used);
  }

  /** The text now, as views that later appends leave as they are. */
  snapshot(): Buffer[] {
    const open = this.block && this.used > 0 ? [this.block.subarray(0, this.used)] : [];
    return [...this.sealed, ...open];
  }

  private seal(): void {
    if (this.block && this.used > 0) this.sealed.push(this.block.subarray(0, this.used));
    this.block = undefined;
    this.used = 0;
  }
}

/** A failure answered with a Status of this code and reason. */
class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startKubeApiDouble(): Promise<KubeApiDouble> {
  // The object store: one map per resource keyed "namespace/name", one global revision
  // counter (the resourceVersion), and the events since the last compaction.
  const stores = new Map(RESOURCES.map((r) => [r, new Map<string, StoredObject>()]));
  let revision = 1;
  let compactedAt = 1;
  let history: RecordedEvent[] = [];
  const watches = new Set<OpenWatch>();
  // Pod logs: "namespace/pod" -> container -> log; and every log response being sent.
  const logs = new Map<string, Map<string, ContainerLog>>();
  const logStreams = new Set<LogStream>();
  let down = false;
  /** Resources whose requests wait, by plural. */
  const holds = new Map<string, { released: Promise<void>; waiting: number; release(): void }>();

  const double: Omit<
    KubeApiDouble,
    | 'url'
    | 'kubeconfig'
    | 'close'
    | 'apply'
    | 'remove'
    | 'get'
    | 'compact'
    | 'bookmark'
    | 'dropWatches'
    | 'openWatches'
    | 'setPodLog'
    | 'appendPodLog'
    | 'endPodLog'
    | 'openPodLogs'
    | 'cutPodLogs'
    | 'hold'
  > = {
    users: new Map(),
    grants: [],
    namespaces: [],
    calls: {
      tokenReviews: 0,
      subjectAccessReviews: 0,
      namespaceLists: 0,
      lists: Object.fromEntries(RESOURCES.map((r) => [r.plural, 0])),
      watches: Object.fromEntries(RESOURCES.map((r) => [r.plural, 0])),
      podLogs: 0,
    },
    get down() {
      return down;
    },
    set down(value: boolean) {
      down = value;
      if (!value) return;
      for (const w of [...watches]) cut(w);
      for (const s of [...logStreams]) {
        dropLogStream(s);
        s.res.destroy();
      }
    },
    reviews: [],
  };

  const allowed = (user: string, groups: string[], a: ResourceAttributes) =>
    double.grants.some(
      (g) =>
        (g.user === user || (g.group !== undefined && groups.includes(g.group))) &&
        (g.verb === '*' || g.verb === a.verb) &&
        (g.apiGroup === '*' || g.apiGroup === (a.group ?? '')) &&
        (g.resource === '*' || g.resource === a.resource) &&
        (g.name === undefined || g.name === a.name) &&
        (g.namespace === undefined || g.namespace === (a.namespace ?? '')),
    );

  const server = createServer((req, res) => {
    if (double.down) {
      req.socket.destroy();
      return;
    }
    void handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
      } else if (error instanceof HttpError) {
        send(res, error.code, status(error.code, error.reason, error.message));
      } else {
        send(res, 500, status(500, 'InternalError', 'double failed'));
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.authorization !== `Bearer ${SERVICE_ACCOUNT_TOKEN}`) {
      return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    }
    const url = new URL(req.url ?? '/', 'http://double');
    const reviewOrList = REVIEW_AND_LIST_PATHS[url.pathname];
    const heldReview = reviewOrList && holds.get(reviewOrList);
    if (heldReview) {
      heldReview.waiting += 1;
      await heldReview.released;
      heldReview.waiting -= 1;
    }
    if (req.method === 'POST' && url.pathname === '/apis/authentication.k8s.io/v1/tokenreviews') {
      double.calls.tokenReviews += 1;
      const review = (await body(req)) as { spec?: { token?: string } };
      const user = double.users.get(review.spec?.token ?? '');
      return send(res, 201, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        metadata: {},
        spec: review.spec,
        status: user
          ? {
              authenticated: true,
              user: {
                username: user.username,
                uid: user.uid,
                groups: user.groups ?? [],
                extra: user.extra,
              },
            }
          : { authenticated: false, error: 'invalid bearer token' },
      });
    }
    if (
      req.method === 'POST' &&
      url.pathname === '/apis/authorization.k8s.io/v1/subjectaccessreviews'
    ) {
      double.calls.subjectAccessReviews += 1;
      const review = (await body(req)) as {
        spec: { user?: string; groups?: string[]; resourceAttributes?: ResourceAttributes };
      };
      const user = review.spec.user ?? '';
      const groups = review.spec.groups ?? [];
      const attributes = review.spec.resourceAttributes ?? {};
      double.reviews.push({ user, groups, attributes });
      const ok = allowed(user, groups, attributes);
      return send(res, 201, {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        metadata: {},
        spec: review.spec,
        status: { allowed: ok, ...(ok ? { reason: 'granted by test double' } : {}) },
      });
    }
    if (req.method === 'GET' && (url.pathname === '/version' || url.pathname === '/version/')) {
      return send(res, 200, {
        major: '1',
        minor: '31',
        gitVersion: 'v1.31.0-kite-double',
        platform: 'linux/amd64',
      });
    }
    if (req.method === 'GET' && url.pathname === '/api/v1/namespaces') {
      double.calls.namespaceLists += 1;
      return send(res, 200, {
        apiVersion: 'v1',
        kind: 'NamespaceList',
        metadata: { resourceVersion: '1' },
        items: double.namespaces.map((name) => ({ metadata: { name } })),
      });
    }
    const log = LOG_PATH.exec(url.pathname);
    const heldLog = log && holds.get('pods/log');
    if (heldLog) {
      heldLog.waiting += 1;
      await heldLog.released;
      heldLog.waiting -= 1;
    }
    if (log) {
      const [, namespace = '', pod = ''] = log.map(decodeURIComponent);
      return serveLog(req, res, namespace, pod, url.searchParams);
    }
    const route = routeOf(url.pathname);
    const held = route && holds.get(route.resource.plural);
    if (held) {
      held.waiting += 1;
      await held.released;
      held.waiting -= 1;
    }
    if (route) return serveObjects(req, res, url, route);
    send(
      res,
      404,
      status(404, 'NotFound', `the double does not serve ${req.method} ${url.pathname}`),
    );
  }

  // ---- The object store over HTTP -------------------------------------------------------

  async function serveObjects(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    { resource, namespace, name }: Route,
  ): Promise<void> {
    const store = storeOf(resource);
    if (name === undefined) {
      if (req.method === 'GET') {
        const matches = selectorOf(url.searchParams);
        const watch = url.searchParams.get('watch');
        if (watch === 'true' || watch === '1') {
          return openWatch(res, resource, namespace, matches, url.searchParams);
        }
        return list(res, resource, namespace, matches, url.searchParams);
      }
      if (req.method === 'POST' && namespace !== undefined) {
        const object = await objectBody(req, resource, namespace);
        const meta = object.metadata;
        const named = meta.name ?? (meta.generateName ? meta.generateName + suffix() : undefined);
        if (!named) throw new HttpError(422, 'Invalid', 'name or generateName is required');
        if (store.has(`${namespace}/${named}`)) {
          throw new HttpError(
            409,
            'AlreadyExists',
            `${qualified(resource)} "${named}" already exists`,
          );
        }
        // The server, not the client, assigns uid and creationTimestamp on create.
        const metadata = { ...meta, name: named, uid: randomUUID(), creationTimestamp: now() };
        return send(
          res,
          201,
          commit('ADDED', resource, prepare(resource, { ...object, metadata })),
        );
      }
    } else if (namespace !== undefined) {
      const existing = store.get(`${namespace}/${name}`);
      const notFound = () =>
        send(res, 404, {
          ...status(404, 'NotFound', `${qualified(resource)} "${name}" not found`),
          details: { name, group: resource.group, kind: resource.plural },
        });
      if (req.method === 'GET') return existing ? send(res, 200, existing) : notFound();
      if (req.method === 'DELETE') {
        return existing ? send(res, 200, commit('DELETED', resource, existing)) : notFound();
      }
      if (req.method === 'PUT') {
        const object = await objectBody(req, resource, namespace);
        if (object.metadata?.name !== name) {
          throw new HttpError(400, 'BadRequest', `the name of the object does not match "${name}"`);
        }
        if (!existing) return notFound();
        const sent = object.metadata.resourceVersion;
        if (sent && sent !== existing.metadata.resourceVersion) {
          // Optimistic concurrency: what leader election's Lease renewals rely on.
          throw new HttpError(
            409,
            'Conflict',
            `Operation cannot be fulfilled on ${qualified(resource)} "${name}": the object has ` +
              'been modified; please apply your changes to the latest version and try again',
          );
        }
        return send(res, 200, commit('MODIFIED', resource, prepare(resource, object, existing)));
      }
    }
    send(res, 405, status(405, 'MethodNotAllowed', `${req.method} is not supported here`));
  }

  /** A LIST, sorted by namespace/name, paged by `limit` and an opaque `continue` token. */
  function list(
    res: ServerResponse,
    resource: DoubleResource,
    namespace: string | undefined,
    matches: Matcher,
    query: URLSearchParams,
  ): void {
    double.calls.lists[resource.plural] = (double.calls.lists[resource.plural] ?? 0) + 1;
    const items = [...storeOf(resource).entries()]
      .filter(
        ([, o]) => (namespace === undefined || o.metadata.namespace === namespace) && matches(o),
      )
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    // Every page reports the first page's resourceVersion, as a real server does; later pages
    // read the live store rather than a snapshot (a watch from that version replays the overlap).
    let start = 0;
    let listedAt = String(revision);
    const token = query.get('continue');
    if (token) {
      const { rv, after } = readContinue(token);
      if (Number(rv) < compactedAt) {
        throw new HttpError(410, 'Expired', 'The provided continue parameter is too old');
      }
      listedAt = rv;
      start = items.findIndex(([key]) => key > after);
      if (start < 0) start = items.length;
    }
    const limit = Number(query.get('limit') ?? 0);
    const end = limit > 0 ? Math.min(start + limit, items.length) : items.length;
    const last = items[end - 1];
    const more = end < items.length && last !== undefined;
    send(res, 200, {
      apiVersion: apiVersionOf(resource),
      kind: `${resource.kind}List`,
      metadata: {
        resourceVersion: listedAt,
        ...(more
          ? {
              continue: Buffer.from(JSON.stringify({ rv: listedAt, after: last[0] })).toString(
                'base64url',
              ),
              remainingItemCount: items.length - end,
            }
          : {}),
      },
      items: items.slice(start, end).map(([, o]) => o),
    });
  }

  /**
   * A WATCH: headers at once (client-node waits for them), then newline-delimited events:
   * the recorded ones after the requested resourceVersion (or the current objects as ADDED
   * when none was given), then live ones, until the client leaves or the double ends it.
   */
  function openWatch(
    res: ServerResponse,
    resource: DoubleResource,
    namespace: string | undefined,
    matches: Matcher,
    query: URLSearchParams,
  ): void {
    double.calls.watches[resource.plural] = (double.calls.watches[resource.plural] ?? 0) + 1;
    const from = query.get('resourceVersion') ?? '';
    if (!/^\d*$/.test(from)) {
      throw new HttpError(400, 'BadRequest', `invalid resourceVersion "${from}"`);
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    const since = Number(from || 0);
    if (since > 0 && since < compactedAt) {
      writeEvent(res, 'ERROR', status(410, 'Expired', `too old resource version: ${since}`));
      res.end();
      return;
    }
    const w: OpenWatch = {
      resource,
      namespace,
      matches,
      bookmarks: query.get('allowWatchBookmarks') === 'true',
      res,
      timer: undefined,
    };
    if (since === 0) {
      const current = [...storeOf(resource).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
      for (const [, object] of current) {
        deliver(w, { type: 'ADDED', resource, object, previous: undefined });
      }
    } else {
      for (const event of history) {
        if (Number(event.object.metadata.resourceVersion) > since) deliver(w, event);
      }
    }
    watches.add(w);
    res.on('close', () => forget(w));
    const timeout = Number(query.get('timeoutSeconds') ?? 0);
    if (timeout > 0) w.timer = setTimeout(() => end(w), timeout * 1000);
  }

  // ---- Pod logs ---------------------------------------------------------------------------

  /**
   * `GET .../pods/{name}/log`, checked in the API server's order (options, pod, container):
   * `text/plain`, the log (its last `tailLines` lines, at most `limitBytes` bytes); with
   * `follow`, headers at once, then what is appended until the container terminates, the pod
   * is deleted or the double ends. `timestamps`, `sinceSeconds`, `sinceTime`, `stream` and
   * `pretty` are accepted and ignored (the double keeps no times); `previous` finds nothing.
   */
  function serveLog(
    req: IncomingMessage,
    res: ServerResponse,
    namespace: string,
    name: string,
    query: URLSearchParams,
  ): void {
    double.calls.podLogs += 1;
    if (req.method !== 'GET') {
      throw new HttpError(405, 'MethodNotAllowed', `${req.method} is not supported here`);
    }
    const follow = booleanParam(query, 'follow');
    const previous = booleanParam(query, 'previous');
    booleanParam(query, 'timestamps');
    const tailLines = integerParam(query, 'tailLines', name, 0);
    const limitBytes = integerParam(query, 'limitBytes', name, 1);
    const sinceSeconds = integerParam(query, 'sinceSeconds', name, 1);
    if (sinceSeconds !== undefined && query.get('sinceTime')) {
      throw invalidLogOptions(
        name,
        'at most one of `sinceTime` or `sinceSeconds` may be specified',
      );
    }
    const pod = storeOf(POD).get(`${namespace}/${name}`);
    if (!pod) {
      return send(res, 404, {
        ...status(404, 'NotFound', `pods "${name}" not found`),
        details: { name, kind: 'pods' },
      });
    }
    const container = containerOf(pod, query.get('container') ?? '');
    if (previous) {
      // The double keeps no restarts, so there is never a previous instance.
      throw new HttpError(
        400,
        'BadRequest',
        `previous terminated container "${container}" in pod "${name}" not found`,
      );
    }
    const log = logOf(namespace, name, container);

    res.writeHead(200, { 'content-type': 'text/plain' });
    if (follow) res.flushHeaders();
    const stream: LogStream = {
      res,
      queue: [],
      next: 0,
      budget: limitBytes ?? Infinity,
      ending: false,
      blocked: false,
      following: undefined,
    };
    logStreams.add(stream);
    res.on('close', () => dropLogStream(stream));
    const text = log.text.snapshot();
    for (const piece of tailLines === undefined ? text : lastLines(text, tailLines)) {
      sendLog(stream, piece);
    }
    if (follow && !log.terminated && !stream.ending) {
      stream.following = log;
      log.followers.add(stream);
    } else {
      finishLog(stream);
    }
  }

  /** The log of a container, created empty on first use. */
  function logOf(namespace: string, pod: string, container: string): ContainerLog {
    const key = `${namespace}/${pod}`;
    let containers = logs.get(key);
    if (!containers) logs.set(key, (containers = new Map()));
    let log = containers.get(container);
    if (!log) {
      log = { text: new LogText(), terminated: false, followers: new Set() };
      containers.set(container, log);
    }
    return log;
  }

  /** The log of a container of a stored pod, for the programmatic controls. */
  function storedLogOf(namespace: string, pod: string, container: string): ContainerLog {
    const stored = storeOf(POD).get(`${namespace}/${pod}`);
    if (!stored) throw new Error(`the double stores no pod ${namespace}/${pod}`);
    if (!containerNames(stored).all.includes(container)) {
      throw new Error(`pod ${namespace}/${pod} has no container ${container}`);
    }
    return logOf(namespace, pod, container);
  }

  /** A deleted pod's logs are gone; the streams following them end. */
  function forgetLogs(namespace: string, pod: string): void {
    const key = `${namespace}/${pod}`;
    for (const log of logs.get(key)?.values() ?? []) {
      for (const stream of [...log.followers]) finishLog(stream);
    }
    logs.delete(key);
  }

  /** Queues log bytes on a response, within its limitBytes, and writes what the socket takes. */
  function sendLog(stream: LogStream, bytes: Buffer): void {
    if (stream.ending || bytes.length === 0) return;
    const piece = bytes.length > stream.budget ? bytes.subarray(0, stream.budget) : bytes;
    stream.budget -= piece.length;
    stream.queue.push(piece);
    if (stream.budget <= 0) finishLog(stream);
    else pumpLog(stream);
  }

  /** Nothing more is queued on this response: it ends once the queue is written. */
  function finishLog(stream: LogStream): void {
    stream.ending = true;
    stream.following?.followers.delete(stream);
    stream.following = undefined;
    pumpLog(stream);
  }

  /** Writes the queue in LOG_WRITE pieces, pausing whenever `res.write` says to wait for 'drain'. */
  function pumpLog(stream: LogStream): void {
    const { res } = stream;
    if (stream.blocked || res.destroyed || res.writableEnded) return;
    while (stream.next < stream.queue.length) {
      const head = stream.queue[stream.next] as Buffer;
      let piece = head;
      if (head.length > LOG_WRITE) {
        piece = head.subarray(0, LOG_WRITE);
        stream.queue[stream.next] = head.subarray(LOG_WRITE);
      } else {
        stream.next += 1;
      }
      if (!res.write(piece)) {
        stream.blocked = true;
        res.once('drain', () => {
          stream.blocked = false;
          pumpLog(stream);
        });
        return;
      }
    }
    stream.queue = [];
    stream.next = 0;
    if (stream.ending) {
      dropLogStream(stream);
      res.end();
    }
  }

  function dropLogStream(stream: LogStream): void {
    logStreams.delete(stream);
    stream.following?.followers.delete(stream);
    stream.following = undefined;
  }

  // ---- Writes, history and watch delivery -----------------------------------------------

  function storeOf(resource: DoubleResource): Map<string, StoredObject> {
    const store = stores.get(resource);
    if (!store) throw new Error(`not a resource of the double: ${resource.plural}`);
    return store;
  }

  /** Takes the next resourceVersion, stores (or deletes), records and broadcasts a write. */
  function commit(
    type: RecordedEvent['type'],
    resource: DoubleResource,
    object: StoredObject,
  ): StoredObject {
    revision += 1;
    const stored: StoredObject = {
      ...object,
      metadata: { ...object.metadata, resourceVersion: String(revision) },
    };
    const store = storeOf(resource);
    const key = `${stored.metadata.namespace}/${stored.metadata.name}`;
    const event: RecordedEvent = { type, resource, object: stored, previous: store.get(key) };
    if (type === 'DELETED') store.delete(key);
    else store.set(key, stored);
    if (type === 'DELETED' && resource === POD) {
      forgetLogs(stored.metadata.namespace, stored.metadata.name);
    }
    history.push(event);
    if (history.length > HISTORY_LIMIT) {
      history = history.slice(HISTORY_LIMIT / 2);
      compactedAt = Number(history[0]?.object.metadata.resourceVersion ?? revision) - 1;
    }
    for (const w of watches) deliver(w, event);
    return stored;
  }

  /** Sends an event to a watch if it concerns it, as the watch sees it through its selector. */
  function deliver(w: OpenWatch, event: RecordedEvent): void {
    const { object, previous } = event;
    if (event.resource !== w.resource) return;
    if (w.namespace !== undefined && object.metadata.namespace !== w.namespace) return;
    const now = w.matches(object);
    const before = previous !== undefined && w.matches(previous);
    let type: WatchEventType | undefined = now ? event.type : undefined;
    if (event.type === 'MODIFIED') {
      // A label change moves the object into or out of a selected watch.
      type = now ? (before ? 'MODIFIED' : 'ADDED') : before ? 'DELETED' : undefined;
    }
    if (type) writeEvent(w.res, type, object);
  }

  /** The server ends a watch (timeout, dropWatches, close): the client sees a clean end. */
  function end(w: OpenWatch): void {
    forget(w);
    w.res.end();
  }

  /** The connection of a watch breaks, as when the API server becomes unreachable. */
  function cut(w: OpenWatch): void {
    forget(w);
    w.res.destroy();
  }

  function forget(w: OpenWatch): void {
    watches.delete(w);
    clearTimeout(w.timer);
  }

  function resourceOf(apiVersion: string | undefined, kind: string | undefined): DoubleResource {
    const resource = RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
    if (!resource) throw new Error(`the double stores no ${apiVersion} ${kind}`);
    return resource;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const dir = await mkdtemp(join(tmpdir(), 'kite-kubeconfig-'));
  const kubeconfig = join(dir, 'config');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: double',
      '  cluster:',
      `    server: ${url}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: kite',
      '  user:',
      `    token: ${SERVICE_ACCOUNT_TOKEN}`,
      'contexts:',
      '- name: double',
      '  context: { cluster: double, user: kite }',
      'current-context: double',
      '',
    ].join('\n'),
  );
  return Object.assign(double, {
    url,
    kubeconfig,
    apply(object: KubeObject): StoredObject {
      const resource = resourceOf(object.apiVersion, object.kind);
      const { namespace, name } = object.metadata ?? {};
      if (!namespace || !name) throw new Error('apply needs metadata.namespace and metadata.name');
      const existing = storeOf(resource).get(`${namespace}/${name}`);
      const type = existing ? 'MODIFIED' : 'ADDED';
      return clone(commit(type, resource, prepare(resource, object, existing)));
    },
    remove(apiVersion: string, kind: string, namespace: string, name: string) {
      const resource = resourceOf(apiVersion, kind);
      const existing = storeOf(resource).get(`${namespace}/${name}`);
      return existing && clone(commit('DELETED', resource, existing));
    },
    get(apiVersion: string, kind: string, namespace: string, name: string) {
      const existing = storeOf(resourceOf(apiVersion, kind)).get(`${namespace}/${name}`);
      return existing && clone(existing);
    },
    compact() {
      history = [];
      compactedAt = revision;
    },
    bookmark() {
      for (const w of watches) {
        if (!w.bookmarks) continue;
        writeEvent(w.res, 'BOOKMARK', {
          apiVersion: apiVersionOf(w.resource),
          kind: w.resource.kind,
          metadata: { resourceVersion: String(revision) },
        });
      }
    },
    dropWatches() {
      for (const w of [...watches]) end(w);
    },
    openWatches: () => watches.size,
    setPodLog(namespace: string, pod: string, container: string, text: string | Buffer) {
      const log = storedLogOf(namespace, pod, container);
      log.text = new LogText();
      log.text.append(bytesOf(text));
    },
    appendPodLog(namespace: string, pod: string, container: string, text: string | Buffer) {
      const log = storedLogOf(namespace, pod, container);
      const stored = log.text.append(bytesOf(text));
      for (const stream of [...log.followers]) sendLog(stream, stored);
    },
    endPodLog(namespace: string, pod: string, container: string) {
      const log = storedLogOf(namespace, pod, container);
      log.terminated = true;
      for (const stream of [...log.followers]) finishLog(stream);
    },
    openPodLogs: () => logStreams.size,
    cutPodLogs() {
      for (const stream of [...logStreams]) {
        dropLogStream(stream);
        stream.res.destroy();
      }
    },
    hold(plural: string) {
      let open: () => void = () => undefined;
      const held = {
        released: new Promise<void>((resolve) => (open = resolve)),
        waiting: 0,
        release: () => {
          if (holds.get(plural) === held) holds.delete(plural);
          open();
        },
      };
      holds.set(plural, held);
      return { waiting: () => held.waiting, release: held.release };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const held of [...holds.values()]) held.release();
        for (const w of [...watches]) end(w);
        for (const s of [...logStreams]) {
          dropLogStream(s);
          s.res.end();
        }
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

const POD = RESOURCES.find((r) => r.group === '' && r.kind === 'Pod') as DoubleResource;

/** `/api/v1/namespaces/{ns}/pods/{name}/log`: the pod log subresource. */
/** `hold` names for the paths outside the object store: reviews and the namespace list. */
const REVIEW_AND_LIST_PATHS: Record<string, string> = {
  '/apis/authentication.k8s.io/v1/tokenreviews': 'tokenreviews',
  '/apis/authorization.k8s.io/v1/subjectaccessreviews': 'subjectaccessreviews',
  '/api/v1/namespaces': 'namespaces',
};

const LOG_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/;

interface Route {
  resource: DoubleResource;
  /** Undefined: across all namespaces. */
  namespace: string | undefined;
  /** Undefined: the collection. */
  name: string | undefined;
}

/**
 * `/api/v1/[namespaces/{ns}/]{plural}[/{name}]` for the core group,
 * `/apis/{group}/{version}/[namespaces/{ns}/]{plural}[/{name}]` for the others.
 */
function routeOf(pathname: string): Route | undefined {
  const parts = pathname.split('/').slice(1).map(decodeURIComponent);
  let group: string | undefined;
  let version: string | undefined;
  let rest: string[];
  if (parts[0] === 'api') {
    [group, version, rest] = ['', parts[1], parts.slice(2)];
  } else if (parts[0] === 'apis') {
    [group, version, rest] = [parts[1], parts[2], parts.slice(3)];
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) [, namespace, ...rest] = rest;
  if (rest.length < 1 || rest.length > 2 || (rest.length === 2 && namespace === undefined)) {
    return undefined;
  }
  const [plural, name] = rest;
  const resource = RESOURCES.find(
    (r) => r.group === group && r.version === version && r.plural === plural,
  );
  return resource && { resource, namespace, name };
}

function apiVersionOf(resource: DoubleResource): string {
  return resource.group ? `${resource.group}/${resource.version}` : resource.version;
}

/** `pipelineruns.tekton.dev`, `pods`: how the API server names a resource in messages. */
function qualified(resource: DoubleResource): string {
  return resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
}

/** A copy of an object as stored: apiVersion and kind set, server fields kept or assigned. */
function prepare(
  resource: DoubleResource,
  object: KubeObject,
  existing?: StoredObject,
): StoredObject {
  const copy = clone(object);
  const meta = copy.metadata ?? {};
  return {
    ...copy,
    apiVersion: apiVersionOf(resource),
    kind: resource.kind,
    metadata: {
      ...meta,
      name: meta.name ?? '',
      namespace: meta.namespace ?? '',
      resourceVersion: '',
      uid: existing?.metadata.uid ?? meta.uid ?? randomUUID(),
      creationTimestamp: existing?.metadata.creationTimestamp ?? meta.creationTimestamp ?? now(),
    },
  };
}

/** A JSON copy, as the object would travel on the wire (Dates become strings). */
function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A timestamp as the API server writes one: RFC 3339 in whole seconds. */
function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function suffix(): string {
  return randomUUID().slice(0, 5);
}

/** Reads a written object; its kind, apiVersion and namespace must fit the request path. */
async function objectBody(
  req: IncomingMessage,
  resource: DoubleResource,
  namespace: string,
): Promise<KubeObject & { metadata: ObjectMeta }> {
  const value = await body(req).catch(() => undefined);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'BadRequest', 'the body is not a JSON object');
  }
  const object = value as KubeObject;
  const meta = object.metadata ?? {};
  if (object.kind !== undefined && object.kind !== resource.kind) {
    throw new HttpError(400, 'BadRequest', `kind ${object.kind} does not match ${resource.kind}`);
  }
  if (object.apiVersion !== undefined && object.apiVersion !== apiVersionOf(resource)) {
    throw new HttpError(400, 'BadRequest', `apiVersion ${object.apiVersion} does not match`);
  }
  if (meta.namespace !== undefined && meta.namespace !== namespace) {
    throw new HttpError(
      400,
      'BadRequest',
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  return { ...object, metadata: { ...meta, namespace } };
}

function readContinue(token: string): { rv: string; after: string } {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    const { rv, after } = value as { rv?: unknown; after?: unknown };
    if (typeof rv === 'string' && typeof after === 'string') return { rv, after };
  } catch {
    // answered below
  }
  throw new HttpError(400, 'BadRequest', 'invalid continue token');
}

/**
 * `labelSelector` (comma-separated `k=v`, `k==v`, `k!=v`, `k`, `!k`) and `fieldSelector`
 * (`metadata.name` and `metadata.namespace`, and pods' `status.podIP` and `status.phase`,
 * with `=`, `==`, `!=`) as one predicate.
 */
function selectorOf(query: URLSearchParams): Matcher {
  const tests: Matcher[] = [];
  for (const term of terms(query.get('labelSelector'))) {
    const m = /^(!?)([A-Za-z0-9][A-Za-z0-9._/-]*)(?:\s*(==|!=|=)\s*([A-Za-z0-9._-]*))?$/.exec(term);
    if (!m || (m[1] && m[3])) {
      throw new HttpError(400, 'BadRequest', `unable to parse requirement: "${term}"`);
    }
    const [, not, key = '', op, value] = m;
    const label = (o: KubeObject) => o.metadata?.labels?.[key];
    if (not) tests.push((o) => label(o) === undefined);
    else if (op === undefined) tests.push((o) => label(o) !== undefined);
    else if (op === '!=') tests.push((o) => label(o) !== value);
    else tests.push((o) => label(o) === value);
  }
  for (const term of terms(query.get('fieldSelector'))) {
    const status = /^status\.(podIP|phase)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (status) {
      // Pods' own field selectors, as the API server offers them for pods.
      const [, field = '', op, value] = status;
      const read = (o: KubeObject) => (o.status as Record<string, unknown> | undefined)?.[field];
      tests.push(op === '!=' ? (o) => read(o) !== value : (o) => read(o) === value);
      continue;
    }
    const m = /^metadata\.(name|namespace)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (!m) throw new HttpError(400, 'BadRequest', `field label not supported: "${term}"`);
    const [, field, op, value] = m;
    const read = (o: KubeObject) => (field === 'name' ? o.metadata?.name : o.metadata?.namespace);
    tests.push(op === '!=' ? (o) => read(o) !== value : (o) => read(o) === value);
  }
  return (o) => tests.every((test) => test(o));
}

function terms(selector: string | null): string[] {
  return (selector ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** The names of a pod's containers: `main` from spec.containers, `all` with init and ephemeral. */
function containerNames(pod: StoredObject) {
  const spec = (pod.spec ?? {}) as Record<string, { name?: unknown }[] | undefined>;
  const names = (field: string) =>
    (Array.isArray(spec[field]) ? (spec[field] ?? []) : [])
      .map((c) => c.name)
      .filter((n): n is string => typeof n === 'string');
  const main = names('containers');
  const init = names('initContainers');
  const ephemeral = names('ephemeralContainers');
  return { main, init, ephemeral, all: [...init, ...main, ...ephemeral] };
}

/**
 * The container a log request names, or the pod's only container when it names none, as
 * the API server chooses it; a 400 BadRequest with the API server's messages otherwise.
 */
function containerOf(pod: StoredObject, requested: string): string {
  const name = pod.metadata.name;
  const { main, init, ephemeral, all } = containerNames(pod);
  if (requested !== '') {
    if (!all.includes(requested)) {
      throw new HttpError(400, 'BadRequest', `container ${requested} is not valid for pod ${name}`);
    }
    return requested;
  }
  if (main.length === 1) return main[0] as string;
  let message = `a container name must be specified for pod ${name}`;
  if (main.length > 0) {
    message += `, choose one of: [${main.join(' ')}]`;
    if (init.length > 0) message += ` or one of the init containers: [${init.join(' ')}]`;
    if (ephemeral.length > 0) {
      message += ` or one of the ephemeral containers: [${ephemeral.join(' ')}]`;
    }
  }
  throw new HttpError(400, 'BadRequest', message);
}

/** The last `count` lines of log text (a final newline ends the last line), as views. */
function lastLines(text: Buffer[], count: number): Buffer[] {
  if (count === 0) return [];
  const NEWLINE = 0x0a;
  let atEnd = true;
  let found = 0;
  for (let i = text.length - 1; i >= 0; i -= 1) {
    const piece = text[i] as Buffer;
    let from = piece.length - 1;
    if (atEnd && from >= 0) {
      if (piece[from] === NEWLINE) from -= 1;
      atEnd = false;
    }
    // lastIndexOf takes a negative offset as counted from the end: stop at -1 ourselves.
    while (from >= 0) {
      const at = piece.lastIndexOf(NEWLINE, from);
      if (at < 0) break;
      found += 1;
      if (found === count) return [piece.subarray(at + 1), ...text.slice(i + 1)];
      from = at - 1;
    }
  }
  return text;
}

/** A boolean query parameter as the API server parses it (Go's strconv.ParseBool). */
function booleanParam(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name);
  if (raw === null || raw === '') return false;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(raw)) return false;
  throw new HttpError(400, 'BadRequest', `invalid boolean value for ${name}: "${raw}"`);
}

/** An integer query parameter of PodLogOptions: 400 if not one, 422 if below `min`. */
function integerParam(
  query: URLSearchParams,
  name: string,
  pod: string,
  min: number,
): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^[+-]?\d+$/.test(raw)) {
    throw new HttpError(400, 'BadRequest', `invalid integer value for ${name}: "${raw}"`);
  }
  const value = Number(raw);
  if (value < min) {
    const bound = min === 0 ? 'greater than or equal to 0' : `greater than ${min - 1}`;
    throw invalidLogOptions(pod, `${name}: Invalid value: ${value}: must be ${bound}`);
  }
  return value;
}

function invalidLogOptions(pod: string, detail: string): HttpError {
  return new HttpError(422, 'Invalid', `PodLogOptions "${pod}" is invalid: ${detail}`);
}

function bytesOf(text: string | Buffer): Buffer {
  return typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
}

function writeEvent(res: ServerResponse, type: WatchEventType, object: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  res.write(`${JSON.stringify({ type, object })}\n`);
}

function status(code: number, reason: string, message: string) {
  return { apiVersion: 'v1', kind: 'Status', status: 'Failure', code, reason, message };
}

function send(res: ServerResponse, code: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

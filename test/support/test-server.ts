/**
 * Starts the real API server for a test on the database the suite runs against:
 * `KITE_TEST_DB=embedded` (default) uses an in-memory PGlite; `KITE_TEST_DB=postgres`
 * creates a fresh database on the server at `KITE_TEST_DATABASE_URL` (default: the local
 * PostgreSQL) and drops it afterwards, so test files never see each other's data.
 */
import { after, before } from 'node:test';
import type { AccessControl } from '../../src/auth/access.js';
import { resolveServeConfig, type ServeConfig } from '../../src/config.js';
import { startServer, type NotifyOptions, type RunningServer } from '../../src/server.js';
import { createScratchDatabase } from './scratch-database.js';

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function testDbKind(): 'embedded' | 'postgres' {
  return process.env.KITE_TEST_DB === 'postgres' ? 'postgres' : 'embedded';
}

export interface TestDatabase {
  url: string | undefined;
  drop(): Promise<void>;
}

/** A fresh, empty database for one test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (testDbKind() === 'embedded') return { url: undefined, drop: () => Promise.resolve() };
  const adminUrl = process.env.KITE_TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  return createScratchDatabase(adminUrl, 'kite_test');
}

export interface TestServer extends RunningServer {
  config: ServeConfig;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  access?: AccessControl;
  database?: TestDatabase;
  /** Default: any free port. */
  port?: number;
  /** The embedded database's folder, for a test that restarts on it; default: in memory. */
  dataDir?: string;
  /** The built dashboard to serve at `/` (default: dist/web when built). */
  webRoot?: string;
  /** The notification dispatcher's timings and `muted` (src/notify/dispatcher.ts). */
  notify?: NotifyOptions;
  /** pino's output, to assert what is logged; default: nothing logged. */
  logStream?: NodeJS.WritableStream;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const config = resolveServeConfig(
    {
      port: String(options.port ?? 0),
      dataDir: options.dataDir ?? 'memory://',
      ...(database.url ? { databaseUrl: database.url } : {}),
    },
    // Root-cause groups add `group` to issues that share a cause, and the tests of other
    // rules seed many identical failures: off unless a test turns it on.
    {
      KITE_PRUNE_INTERVAL: '1h',
      KITE_AUTH_MODE: 'none',
      KITE_ROOT_CAUSE_GROUPS: 'off',
      ...options.env,
    },
  );
  const server = await startServer(config, {
    ...(options.logStream ? { logStream: options.logStream } : { logger: false }),
    ...(options.access ? { access: options.access } : {}),
    ...(options.webRoot ? { webRoot: options.webRoot } : {}),
    ...(options.notify ? { notify: options.notify } : {}),
  });
  let stopped = false;
  return {
    ...server,
    config,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
      if (!options.database) await database.drop();
    },
  };
}

/**
 * One server for the tests of a file (or of the `describe` it is called in): started
 * before the first, stopped after the last. `options` may be a function, for settings
 * that exist only once something else has started (a Kubernetes API double's kubeconfig).
 *
 * `server` and `api` can be named at module level, before the server exists: they reach
 * the running server when used, inside tests and hooks. Data to seed goes in `onStart`
 * callbacks, not in another top-level `before`: Node 20 runs top-level `before` hooks
 * together, so a second one would not wait for the server.
 */
export function useTestServer(
  options: TestServerOptions | (() => TestServerOptions | Promise<TestServerOptions>) = {},
): { server: TestServer; api: ApiClient; onStart: (setUp: () => Promise<void> | void) => void } {
  let running: TestServer | undefined;
  const setUps: (() => Promise<void> | void)[] = [];
  before(async () => {
    running = await startTestServer(typeof options === 'function' ? await options() : options);
    for (const setUp of setUps) await setUp();
  });
  after(() => running?.stop());
  const current = (): TestServer => {
    if (!running) throw new Error('the test server starts in before(): use it in tests and hooks');
    return running;
  };
  const server = new Proxy<TestServer>(Object.create(null), {
    get: (_target, key) => Reflect.get(current(), key),
  });
  return {
    server,
    api: client(() => current().url),
    onStart: (setUp) => void setUps.push(setUp),
  };
}

export type ApiClient = ReturnType<typeof client>;

export interface Answer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small JSON client for the API under test (at `baseUrl`, or where it says when called). */
export function client(baseUrl: string | (() => string)) {
  const call = async <T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer<T>> => {
    const base = typeof baseUrl === 'string' ? baseUrl : baseUrl();
    const response = await fetch(new URL(path, base), {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    if (response.headers.get('content-type')?.includes('application/json'))
      parsed = JSON.parse(text);
    return { status: response.status, body: parsed as T, headers: response.headers };
  };
  return {
    get: <T = any>(path: string, headers?: Record<string, string>) =>
      call<T>('GET', path, undefined, headers),
    post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) =>
      call<T>('POST', path, body ?? {}, headers),
    put: <T = any>(path: string, body: unknown) => call<T>('PUT', path, body),
    delete: <T = any>(path: string) => call<T>('DELETE', path),
    call,
  };
}

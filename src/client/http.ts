/**
 * The client's one way to make a request: base URL, bearer token (re-read on every
 * attempt, so a rotated projected token is picked up), a per-attempt timeout, and
 * retries only where a repeat cannot do anything twice:
 * - any method when the server answered 429 or 503 (it did not act on the request),
 *   after its `Retry-After` or an exponential backoff;
 * - GET also after a timeout, a network error, 502 or 504 (reading twice is harmless).
 * A POST/PUT/DELETE whose connection failed is never repeated: it may have been applied.
 * One call may set its own timeout (or none: a streamed upload lasts as long as its source)
 * and its own retries (0: a caller with its own retry queue, such as the operator).
 */
import { KiteApiError, KiteTransportError } from './errors.js';

export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

export interface HttpOptions {
  /** The server's base URL, e.g. `http://kite.kite.svc:8080`. */
  baseUrl: string;
  /** A bearer token, or a function read before every attempt. */
  token?: TokenSource;
  /** How long one attempt may wait for the answer (for streams: for the headers). Default 30 s. */
  timeoutMs?: number;
  /** Further attempts after the first, where a retry is safe. Default 2. */
  retries?: number;
  /** The first backoff; doubled each retry, with jitter. Default 250 ms. */
  backoffMs?: number;
  /** The longest wait between attempts, whatever `Retry-After` says. Default 30 s. */
  maxBackoffMs?: number;
  /** For tests and instrumentation; default: the global fetch. */
  fetch?: typeof fetch;
  /** Headers sent with every request (the operator's `X-Kite-Cluster`); never authorization. */
  headers?: Record<string, string>;
}

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Query;
  /** JSON-encoded unless it is a string or a stream (sent as text/plain). */
  json?: unknown;
  text?: string | ReadableStream<Uint8Array>;
  /** Keep the body open for the caller (streams): the timeout stops at the headers. */
  stream?: boolean;
  signal?: AbortSignal;
  /** Extra request headers (e.g. `Last-Event-ID`); never the authorization header. */
  headers?: Record<string, string>;
  /**
   * This call's timeout per attempt, instead of the client's; `null`: none. Default for a
   * streamed request body: none, since the upload takes as long as its source.
   */
  timeoutMs?: number | null;
  /** This call's further attempts where a retry is safe, instead of the client's. */
  retries?: number;
}

const RETRY_ANY_METHOD = new Set([429, 503]);
const RETRY_GET = new Set([502, 504]);

export class Http {
  /** How long one attempt may wait for its answer, unless a call sets its own. */
  readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: HttpOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 2;
    this.backoffMs = options.backoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** The answer of a successful request (2xx); a KiteApiError or KiteTransportError otherwise. */
  async request(spec: RequestSpec): Promise<Response> {
    const url = this.url(spec.path, spec.query);
    // A streamed body can be sent once only.
    const replayable = !(spec.text instanceof ReadableStream);
    const retries = spec.retries ?? this.retries;
    for (let attempt = 0; ; attempt++) {
      const canRetry = replayable && attempt < retries;
      let response: Response;
      try {
        response = await this.attempt(url, spec);
      } catch (error) {
        if (spec.signal?.aborted) throw error;
        if (canRetry && spec.method === 'GET') {
          await this.pause(this.backoff(attempt), spec.signal);
          continue;
        }
        throw error;
      }
      if (response.ok) return response;
      const retryable =
        RETRY_ANY_METHOD.has(response.status) ||
        (spec.method === 'GET' && RETRY_GET.has(response.status));
      if (canRetry && retryable) {
        await response.body?.cancel();
        const wait = retryAfterMs(response.headers.get('retry-after')) ?? this.backoff(attempt);
        await this.pause(Math.min(wait, this.maxBackoffMs), spec.signal);
        continue;
      }
      throw await apiError(response, spec);
    }
  }

  /** A JSON answer (`undefined` for 204). */
  async json<T>(spec: RequestSpec): Promise<T> {
    const response = await this.request(spec);
    if (response.status === 204) {
      await response.body?.cancel();
      return undefined as T;
    }
    return (await response.json()) as T;
  }

  private async attempt(url: URL, spec: RequestSpec): Promise<Response> {
    const controller = new AbortController();
    let handedOver = false;
    const timeoutMs =
      spec.timeoutMs !== undefined
        ? spec.timeoutMs
        : spec.text instanceof ReadableStream
          ? null
          : this.timeoutMs;
    const deadline = abortAfter(controller, timeoutMs);
    const onAbort = () => controller.abort();
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    const headers = new Headers({
      ...this.options.headers,
      ...spec.headers,
      accept: spec.stream ? '*/*' : 'application/json',
    });
    const token = await this.token();
    if (token) headers.set('authorization', `Bearer ${token}`);
    let body: RequestInit['body'];
    if (spec.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(spec.json);
    } else if (spec.text !== undefined) {
      headers.set('content-type', 'text/plain');
      body = spec.text;
    }
    try {
      const response = await this.fetchImpl(url, {
        method: spec.method,
        headers,
        body,
        signal: controller.signal,
        // Node's fetch needs this to send a stream as the body.
        ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
      });
      if (spec.stream && response.ok) {
        // The caller reads as long as it likes; its own signal still ends the stream.
        handedOver = true;
        return response;
      }
      // Buffer the body inside the timeout, so a server that stalls mid-answer is caught too.
      const buffered = await response.arrayBuffer();
      return new Response(response.status === 204 ? null : buffered, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } catch (error) {
      if (spec.signal?.aborted) throw error;
      const what = `${spec.method} ${spec.path}`;
      if (deadline.fired()) {
        throw new KiteTransportError(
          'timeout',
          `${what}: no answer within ${timeoutMs} ms`,
          spec.method,
          spec.path,
          { cause: error },
        );
      }
      throw new KiteTransportError(
        'network',
        `${what}: ${error instanceof Error ? error.message : String(error)}`,
        spec.method,
        spec.path,
        { cause: error },
      );
    } finally {
      // Also for a stream: the timeout covered the wait for its headers.
      deadline.clear();
      if (!handedOver) spec.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async token(): Promise<string | undefined> {
    const source = this.options.token;
    return typeof source === 'function' ? await source() : source;
  }

  private url(path: string, query: Query | undefined): URL {
    const url = new URL(path, this.options.baseUrl.replace(/\/*$/, '/'));
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) {
        url.searchParams.append(key, String(item));
      }
    }
    return url;
  }

  private backoff(attempt: number): number {
    const exponential = Math.min(this.backoffMs * 2 ** attempt, this.maxBackoffMs);
    return exponential / 2 + Math.random() * (exponential / 2);
  }

  private pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', stop);
        resolve();
      }, ms);
      const stop = () => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', stop, { once: true });
    });
  }
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or bad. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

async function apiError(response: Response, spec: RequestSpec): Promise<KiteApiError> {
  const text = await response.text().catch(() => '');
  let message = response.statusText || `HTTP ${response.status}`;
  let details: unknown;
  try {
    const parsed = JSON.parse(text) as { error?: unknown; details?: unknown };
    if (typeof parsed.error === 'string') message = parsed.error;
    details = parsed.details;
  } catch {
    // Not JSON (a proxy's page): the status text says enough.
  }
  return new KiteApiError(response.status, message, details, spec.method, spec.path);
}

/** Aborts `controller` after `ms` (never when null); `fired()` says whether it did. */
export function abortAfter(controller: AbortController, ms: number | null) {
  let fired = false;
  const timer =
    ms === null
      ? undefined
      : setTimeout(() => {
          fired = true;
          controller.abort();
        }, ms);
  return { fired: () => fired, clear: () => clearTimeout(timer) };
}

/**
 * The subscription API as the recording API (recording-api.ts) serves it: list (with
 * `?source=`), PUT (201 created / 200 replaced), DELETE (204, 404 when absent), in
 * memory, each request recorded. Names in `rejected` get a 400 on PUT, as the server
 * answers a spec it refuses. Enough to test the operator's ConfigMap sync over real HTTP
 * before the server's own routes exist on this branch.
 */
export interface SubscriptionRequest {
  method: string;
  namespace: string;
  name?: string;
  source?: string | null;
  body?: Record<string, unknown>;
}

export interface RecordedSubscriptions {
  /** Stored subscriptions by `namespace/name`. */
  stored: Map<string, Record<string, unknown>>;
  requests: SubscriptionRequest[];
  /** Subscription names whose PUT is answered 400. */
  rejected: Set<string>;
  /** Answers one request, or returns undefined when the path is not the subscription API. */
  handle(method: string, url: URL, body: string): { status: number; json?: unknown } | undefined;
}

const PATH = /^\/api\/v1\/namespaces\/([^/]+)\/subscriptions(?:\/([^/]+))?$/;

export function recordedSubscriptions(): RecordedSubscriptions {
  const stored = new Map<string, Record<string, unknown>>();
  const requests: SubscriptionRequest[] = [];
  const rejected = new Set<string>();
  let clock = 0;
  return {
    stored,
    requests,
    rejected,
    handle(method, url, text) {
      const match = PATH.exec(url.pathname);
      if (!match?.[1]) return undefined;
      const namespace = decodeURIComponent(match[1]);
      const name = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
      const key = `${namespace}/${name}`;
      if (method === 'GET' && name === undefined) {
        const source = url.searchParams.get('source');
        requests.push({ method, namespace, source });
        const items = [...stored.values()].filter(
          (s) => s.namespace === namespace && (source === null || s.source === source),
        );
        return { status: 200, json: { items } };
      }
      if (method === 'PUT' && name !== undefined) {
        const body = JSON.parse(text) as Record<string, unknown>;
        requests.push({ method, namespace, name, body });
        if (rejected.has(name)) {
          return { status: 400, json: { error: 'receivers: must have 1 to 10 items' } };
        }
        const before = stored.get(key);
        const updatedAt = new Date(Date.UTC(2026, 11, 3) + ++clock * 1000).toISOString();
        const saved = {
          ...body,
          source: body.source ?? 'api',
          name,
          namespace,
          createdAt: before?.createdAt ?? updatedAt,
          updatedAt,
        };
        stored.set(key, saved);
        return { status: before ? 200 : 201, json: saved };
      }
      if (method === 'DELETE' && name !== undefined) {
        requests.push({ method, namespace, name });
        return stored.delete(key) ? { status: 204 } : { status: 404, json: { error: 'not found' } };
      }
      return { status: 405, json: { error: 'method not allowed' } };
    },
  };
}

/**
 * A Kubernetes API server test double for the parts KITE uses: TokenReview,
 * SubjectAccessReview and listing namespaces. It speaks the real HTTP API, so the real
 * `@kubernetes/client-node` is exercised end to end through a kubeconfig that points at
 * it. The API server cannot run on these machines; this is the only double in the suite.
 */
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

export interface KubeApiDouble {
  url: string;
  kubeconfig: string;
  users: Map<string, DoubleUser>;
  grants: Grant[];
  namespaces: string[];
  calls: { tokenReviews: number; subjectAccessReviews: number; namespaceLists: number };
  /** While true every request fails at the connection, as an unreachable API server. */
  down: boolean;
  /** The SubjectAccessReviews received, for assertions on what was asked. */
  reviews: { user: string; groups: string[]; attributes: ResourceAttributes }[];
  close(): Promise<void>;
}

export async function startKubeApiDouble(): Promise<KubeApiDouble> {
  const double: Omit<KubeApiDouble, 'url' | 'kubeconfig' | 'close'> = {
    users: new Map(),
    grants: [],
    namespaces: [],
    calls: { tokenReviews: 0, subjectAccessReviews: 0, namespaceLists: 0 },
    down: false,
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
    void handle(req, res).catch(() =>
      send(res, 500, status(500, 'InternalError', 'double failed')),
    );
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.authorization !== `Bearer ${SERVICE_ACCOUNT_TOKEN}`) {
      return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    }
    const url = new URL(req.url ?? '/', 'http://double');
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
    if (req.method === 'GET' && url.pathname === '/api/v1/namespaces') {
      double.calls.namespaceLists += 1;
      return send(res, 200, {
        apiVersion: 'v1',
        kind: 'NamespaceList',
        metadata: { resourceVersion: '1' },
        items: double.namespaces.map((name) => ({ metadata: { name } })),
      });
    }
    send(
      res,
      404,
      status(404, 'NotFound', `the double does not serve ${req.method} ${url.pathname}`),
    );
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
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

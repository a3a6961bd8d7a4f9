/**
 * A `kite serve` in kubernetes auth mode against the Kubernetes API double, with a
 * `reporter` (token `token-reporter`) who may create issues: the setup the event stream
 * tests share. Readers and their grants stay with each test, which shapes them.
 */
import { startKubeApiDouble, type KubeApiDouble } from './kube-api.js';
import { startTestServer, type TestServer } from './test-server.js';

/** The RBAC resource of issues, for grants. */
export const ISSUES_RBAC = { apiGroup: 'kite.konflux-ci.dev', resource: 'issues' };

export interface KubeAuthServer {
  kube: KubeApiDouble;
  server: TestServer;
  stop(): Promise<void>;
}

export async function startKubeAuthServer(options: {
  namespaces: string[];
  cacheTtlMs: number;
  streamsPerCaller: number;
}): Promise<KubeAuthServer> {
  const kube = await startKubeApiDouble();
  kube.namespaces.push(...options.namespaces);
  kube.users.set('token-reporter', { username: 'reporter', groups: [] });
  kube.grants.push({ user: 'reporter', verb: 'create', ...ISSUES_RBAC });
  const server = await startTestServer({
    env: {
      KITE_AUTH_MODE: 'kubernetes',
      KUBECONFIG: kube.kubeconfig,
      KITE_AUTH_CACHE_TTL: `${options.cacheTtlMs}ms`,
      KITE_AUTH_NEGATIVE_CACHE_TTL: '50ms',
      KITE_EVENT_STREAMS_PER_CALLER: String(options.streamsPerCaller),
    },
  });
  return {
    kube,
    server,
    async stop() {
      await server.stop();
      await kube.close();
    },
  };
}

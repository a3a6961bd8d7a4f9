/**
 * What `/readyz` checks: every dependency the server needs in its mode. Each check
 * answers `undefined` when ready, or a short reason (never a credential or an internal
 * error text) when not; a check that does not answer in time counts as failed.
 */
import { VersionApi, type KubeConfig } from '@kubernetes/client-node';
import type { Database } from '../store/database.js';

export interface ReadinessCheck {
  /** The name `/readyz` reports it under, e.g. `database`. */
  name: string;
  check(): Promise<string | undefined>;
}

const TIMEOUT_MS = 2000;

/** `probe` within the time limit: undefined when it resolved, else `failed` or "did not answer in time". */
async function timed(
  probe: () => Promise<unknown>,
  what: string,
  failed: string,
): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = Symbol('late');
  try {
    const answer = await Promise.race([
      probe().then(() => undefined),
      new Promise<typeof late>((resolve) => {
        timer = setTimeout(() => resolve(late), TIMEOUT_MS);
      }),
    ]);
    return answer === late ? `${what} did not answer in time` : undefined;
  } catch {
    return failed;
  } finally {
    clearTimeout(timer);
  }
}

export function databaseReadiness(db: Database): ReadinessCheck {
  return {
    name: 'database',
    check: () => timed(() => db.query('SELECT 1'), 'database', 'database unreachable'),
  };
}

/**
 * The Kubernetes API, asked for its version (public to every client): in `kubernetes`
 * auth mode no protected request can be answered without it.
 */
export function kubernetesReadiness(kubeConfig: KubeConfig): ReadinessCheck {
  const api = kubeConfig.makeApiClient(VersionApi);
  return {
    name: 'kubernetes',
    check: () => timed(() => api.getCode(), 'Kubernetes API', 'Kubernetes API unreachable'),
  };
}

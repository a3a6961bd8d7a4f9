/**
 * Picks the access control `kite serve` runs with, at start-up. `none` serves every
 * caller as anonymous and therefore refuses to listen anywhere but on loopback. In
 * `kubernetes` mode, `KITE_POD_REPORTERS=true` adds tokenless reports from MintMaker
 * run pods (pod-reporters.ts).
 */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { ServeConfig } from '../config.js';
import { InputError } from '../domain/errors.js';
import { allowAll, type AccessControl } from './access.js';
import { withMemberClusters } from './cluster-access.js';
import { createKubernetesAccess, type KubernetesAccessOptions } from './kubernetes-access.js';
import { memberKubeConfig, readMembersFile } from './member-clusters.js';
import { withPodReporters } from './pod-reporters.js';

export interface ChosenAccess {
  access: AccessControl;
  mode: 'kubernetes' | 'none';
  warning?: string;
  /** The cluster configuration, in kubernetes mode (the server also reads runs with it). */
  kubeConfig?: KubeConfig;
}

/**
 * `places`: every place key holding data (the store's namespaces), for callers who may
 * read a whole member cluster; asked only when member clusters are configured.
 */
export function chooseAccess(
  config: ServeConfig,
  env: Readonly<Record<string, string | undefined>>,
  places: () => Promise<string[]> = () => Promise.resolve([]),
): ChosenAccess {
  const clusterFound =
    Boolean(env.KUBERNETES_SERVICE_HOST) ||
    (config.kubeconfig !== undefined && existsSync(config.kubeconfig)) ||
    existsSync(join(env.HOME ?? homedir(), '.kube', 'config'));
  const mode =
    config.authMode === 'auto' ? (clusterFound ? 'kubernetes' : 'none') : config.authMode;
  if (mode === 'none') {
    if (config.clustersFile) {
      throw new InputError(
        'KITE_CLUSTERS_FILE needs KITE_AUTH_MODE=kubernetes: member clusters are checked by their own RBAC',
      );
    }
    if (!isLoopback(config.host)) {
      throw new InputError(
        `KITE_AUTH_MODE=none lets anyone read and change every issue; it only listens on loopback, not on ${config.host}`,
      );
    }
    return {
      access: allowAll(),
      mode,
      ...(config.authMode === 'auto'
        ? {
            warning:
              'no Kubernetes configuration found: serving without authentication (development mode, loopback only)',
          }
        : {}),
    };
  }
  const kubeConfig = new KubeConfig();
  if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
  else kubeConfig.loadFromDefault();
  const reviews: Omit<KubernetesAccessOptions, 'kubeConfig'> = {
    rbac: {
      group: config.rbacGroup,
      resource: config.rbacResource,
      verbs: {
        read: config.rbacReadVerb,
        write: config.rbacWriteVerb,
        report: config.rbacReportVerb,
        manage: config.rbacManageVerb,
      },
    },
    cacheTtlMs: config.authCacheTtlMs,
    negativeCacheTtlMs: config.authNegativeCacheTtlMs,
    cacheSize: config.authCacheSize,
    timeoutMs: config.kubeApiTimeoutMs,
  };
  const access = createKubernetesAccess({ kubeConfig, ...reviews });
  const local = config.podReporters
    ? withPodReporters(access, {
        kubeConfig,
        namespace: config.podReportersNamespace,
        webhooks: config.podReporterWebhooks,
        cacheTtlMs: config.podReporterCacheTtlMs,
        trustedProxies: config.trustedProxies,
        timeoutMs: config.kubeApiTimeoutMs,
      })
    : access;
  if (!config.clustersFile) return { mode, kubeConfig, access: local };
  const members = readMembersFile(config.clustersFile, config.clusterName);
  return {
    mode,
    kubeConfig,
    access: withMemberClusters({
      names: { local: config.clusterName, members: members.map((member) => member.name) },
      local,
      members: new Map(
        members.map((member) => [
          member.name,
          createKubernetesAccess({ kubeConfig: memberKubeConfig(member), ...reviews }),
        ]),
      ),
      places,
    }),
  };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

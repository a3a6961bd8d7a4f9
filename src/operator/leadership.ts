/**
 * Who reports: with leader election, the replica holding the Lease (leader.ts), told
 * through `onChange` whenever that changes; without it (`--no-leader-elect`, one
 * replica), this one, at once.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { LeaderElector } from './leader.js';
import type { OperatorConfig } from './operator-config.js';

export interface Leadership {
  /** Gives up the Lease (if held) and stops competing for it. */
  stop(): Promise<void>;
}

type LeaseSettings = Pick<
  OperatorConfig,
  'leaderElection' | 'leaseNamespace' | 'leaseName' | 'leaseDurationSeconds' | 'leaseRetryMs'
>;

export function startLeadership(
  kc: KubeConfig,
  config: LeaseSettings,
  log: Logger,
  onChange: (leading: boolean) => void,
): Leadership {
  if (!config.leaderElection) {
    onChange(true);
    return { stop: () => Promise.resolve() };
  }
  const elector = new LeaderElector(kc.makeApiClient(CoordinationV1Api), {
    namespace: config.leaseNamespace,
    name: config.leaseName,
    // Unique per process: two replicas on one node (or a restart) are two candidates.
    identity: `${hostname()}-${randomBytes(4).toString('hex')}`,
    leaseDurationSeconds: config.leaseDurationSeconds,
    retryPeriodMs: config.leaseRetryMs,
    log,
    onChange,
  });
  elector.start();
  return { stop: () => elector.stop() };
}

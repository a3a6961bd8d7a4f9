/**
 * Leader election through a `coordination.k8s.io/v1` Lease, as client-go does it: the
 * holder renews `renewTime` every few seconds; another replica takes the lease over only
 * after `leaseDurationSeconds` without renewal. Every write carries the resourceVersion
 * it read, so two replicas racing for an expired lease cannot both win (409 Conflict).
 * A leader that cannot renew before the lease would expire steps down first.
 */
import {
  ApiException,
  V1MicroTime,
  type CoordinationV1Api,
  type V1Lease,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  /** How often the holder renews and a candidate retries. */
  retryPeriodMs: number;
  log: Logger;
  onChange(leading: boolean): void;
}

export class LeaderElector {
  private timer: NodeJS.Timeout | undefined;
  /** The round of acquiring or renewing under way, if any. */
  private round: Promise<void> | undefined;
  private leading = false;
  private lastRenewed = 0;
  private stopped = false;

  constructor(
    private readonly api: CoordinationV1Api,
    private readonly options: LeaderElectionOptions,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    this.round = this.tick();
  }

  /**
   * Stops campaigning; a leader gives the lease up so another replica takes over at once.
   * A round under way is waited for first (for a retry period at most: the API may hang):
   * it may just have taken the lease, which is then given up too. A lease taken after
   * stop() is never reported as leadership.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([
      this.round,
      new Promise((resolve) => (waited = setTimeout(resolve, this.options.retryPeriodMs))),
    ]);
    clearTimeout(waited);
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.options.identity) {
        lease.spec.holderIdentity = undefined;
        lease.spec.renewTime = undefined;
        await this.api.replaceNamespacedLease({ ...this.ref(), body: lease });
      }
    } catch (error) {
      this.options.log.warn({ err: describe(error) }, 'could not release the lease');
    }
  }

  private async tick(): Promise<void> {
    try {
      await this.tryAcquireOrRenew();
    } catch (error) {
      this.options.log.warn({ err: describe(error) }, 'leader election: the API did not answer');
    }
    // A leader that could not renew in time must assume another replica took over.
    const deadline = this.lastRenewed + this.options.leaseDurationSeconds * 1000 * (2 / 3);
    if (this.leading && Date.now() > deadline) this.setLeading(false);
    if (!this.stopped) {
      this.timer = setTimeout(() => {
        this.round = this.tick();
      }, this.options.retryPeriodMs);
    }
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = new V1MicroTime();
    const lease = await this.read();
    if (!lease) {
      await this.api
        .createNamespacedLease({
          namespace: this.options.namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.options.name, namespace: this.options.namespace },
            spec: {
              holderIdentity: this.options.identity,
              leaseDurationSeconds: this.options.leaseDurationSeconds,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
        })
        .then(
          () => this.renewed(),
          (error: unknown) => {
            if (!isConflict(error)) throw error;
          },
        );
      return;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity;
    const renewedAt = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const duration = (spec.leaseDurationSeconds ?? this.options.leaseDurationSeconds) * 1000;
    const mine = holder === this.options.identity;
    if (!mine && holder && renewedAt + duration > Date.now()) {
      if (this.leading) this.setLeading(false);
      return;
    }
    lease.spec = {
      ...spec,
      holderIdentity: this.options.identity,
      leaseDurationSeconds: this.options.leaseDurationSeconds,
      renewTime: now,
      ...(mine ? {} : { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
    };
    try {
      await this.api.replaceNamespacedLease({ ...this.ref(), body: lease });
      this.renewed();
    } catch (error) {
      if (!isConflict(error)) throw error;
      // Someone else wrote the lease since we read it: they won this round.
      if (this.leading) this.setLeading(false);
    }
  }

  private renewed(): void {
    this.lastRenewed = Date.now();
    if (!this.leading) this.setLeading(true);
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    // A lease taken by a round that ended after stop() is only held to be given up.
    if (leading && this.stopped) return;
    this.options.log.info(
      { identity: this.options.identity, lease: `${this.options.namespace}/${this.options.name}` },
      leading ? 'became the leader: reporting' : 'not the leader: standing by',
    );
    this.options.onChange(leading);
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease(this.ref());
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  private ref() {
    return { name: this.options.name, namespace: this.options.namespace };
  }
}

function isConflict(error: unknown): boolean {
  return error instanceof ApiException && (error.code === 409 || error.code === 422);
}

/** An API error without its body or headers (which can carry request details). */
export function describe(error: unknown): string {
  if (error instanceof ApiException) return `HTTP ${error.code}`;
  return error instanceof Error ? error.message : String(error);
}

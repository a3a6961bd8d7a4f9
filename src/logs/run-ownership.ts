/**
 * Whose a MintMaker run is, from the cluster rather than from a client. Threat: a caller
 * allowed to report in one namespace registers another tenant's run as its own and
 * uploads text for it; after the pod is pruned the real owner would read the planted
 * text as the run's log, the operator's real upload would be refused, and once the
 * PipelineRun is gone the run would be the intruder's.
 *
 * The rules (docs/mintmaker-logs.md, "Who may archive a run"):
 * - only the configured uploaders (the bridge operator's identity) may register runs and
 *   upload steps; in development mode (`--auth-mode none`) anyone may;
 * - a registration is checked against the live PipelineRun of that name: another owner
 *   or another run (uid) is a 409 and nothing is stored; the cluster's component is stored;
 * - a run registered while the cluster has no such run is kept as claimed; should a
 *   live run of that name appear with another owner, the live owner wins: the stored
 *   run and its logs are dropped wherever the mismatch is seen (registration, upload,
 *   read), logged and counted (`kite_mintmaker_run_owner_mismatches_total`);
 * - the cluster not answering is a 503: ownership is never assumed.
 */
import type { FastifyBaseLogger } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { Caller } from '../auth/access.js';
import { ConflictError, NotAllowedError, UnavailableError } from '../domain/errors.js';
import { judgeRunClaim } from '../domain/mintmaker.js';
import type { ArchivedRun, LogArchive } from './archive.js';
import type { LiveCluster, LiveRun } from './live.js';

/** Who may upload archived logs: anyone (development mode) or these user names. */
export type Uploaders = 'anyone' | ReadonlySet<string>;

export interface RunOwnershipOptions {
  archive: LogArchive;
  /** The cluster; without one (no Kubernetes configuration) no run is ever live. */
  live: LiveCluster | undefined;
  uploaders: Uploaders;
  registry: Registry;
}

/** Where a mismatch between a stored owner and the live owner was found. */
type SeenOn = 'registration' | 'upload' | 'read';

export interface RunOwnership {
  /** 403 unless `caller` may upload archived logs. */
  requireUploader(caller: Caller): void;
  /** The live run of that name, if any; 503 when the cluster cannot be asked. */
  liveRun(runNamespace: string, name: string): Promise<LiveRun | undefined>;
  /**
   * Checks a registration against the live run (409 when the cluster says otherwise)
   * and clears a stored run of that name the cluster contradicts. Returns the live run.
   */
  checkRegistration(
    claim: { runNamespace: string; name: string; uid: string; namespace: string },
    log: FastifyBaseLogger,
  ): Promise<LiveRun | undefined>;
  /**
   * The stored run, unless the live run of its name belongs to another namespace: then
   * the stored run is dropped (with its logs) and undefined returned.
   */
  reconcile(
    stored: ArchivedRun | undefined,
    live: LiveRun | undefined,
    seenOn: SeenOn,
    log: FastifyBaseLogger,
  ): Promise<ArchivedRun | undefined>;
}

const CLUSTER_UNAVAILABLE =
  'Cannot check who owns the run: the Kubernetes API did not answer (try again)';

export function createRunOwnership(options: RunOwnershipOptions): RunOwnership {
  const mismatches = new Counter({
    name: 'kite_mintmaker_run_owner_mismatches_total',
    help: 'Archived MintMaker runs whose recorded owner namespace the live PipelineRun contradicted (the stored run was dropped), by where it was seen',
    labelNames: ['seen_on'] as const,
    registers: [options.registry],
  });
  const refused = new Counter({
    name: 'kite_mintmaker_run_claims_refused_total',
    help: 'MintMaker run registrations refused because the live PipelineRun has another owner or uid',
    registers: [options.registry],
  });

  const liveRun: RunOwnership['liveRun'] = async (runNamespace, name) => {
    if (!options.live) return undefined;
    try {
      return await options.live.findRun(runNamespace, name);
    } catch {
      // Fail closed: never store or serve a run whose owner could not be checked.
      throw new UnavailableError(CLUSTER_UNAVAILABLE);
    }
  };

  const reconcile: RunOwnership['reconcile'] = async (stored, live, seenOn, log) => {
    if (!stored || judgeRunClaim(stored, live) !== 'other-owner') return stored;
    await options.archive.dropRun(stored.id, stored.namespace);
    mismatches.inc({ seen_on: seenOn });
    log.warn(
      {
        run: stored.name,
        runNamespace: stored.runNamespace,
        recordedNamespace: stored.namespace,
        liveNamespace: live?.namespace,
        seenOn,
      },
      'archived MintMaker run recorded for another namespace than its live PipelineRun: dropped it',
    );
    return undefined;
  };

  return {
    requireUploader(caller) {
      if (options.uploaders === 'anyone' || options.uploaders.has(caller.name)) return;
      throw new NotAllowedError(
        'Not allowed to archive MintMaker runs: only the bridge operator uploads run logs (KITE_LOG_UPLOADERS)',
      );
    },
    liveRun,
    async checkRegistration(claim, log) {
      const live = await liveRun(claim.runNamespace, claim.name);
      const verdict = judgeRunClaim(claim, live);
      if (verdict === 'other-owner' || verdict === 'other-run') {
        refused.inc();
        log.warn(
          {
            run: claim.name,
            runNamespace: claim.runNamespace,
            claimedNamespace: claim.namespace,
            verdict,
          },
          'refused a MintMaker run registration the cluster contradicts',
        );
        // The owner is not named: the caller may not be allowed to know it.
        throw new ConflictError(
          verdict === 'other-owner'
            ? `Run ${claim.name} in the cluster belongs to another namespace than ${claim.namespace}`
            : `Run ${claim.name} in the cluster is another run (its uid is not ${claim.uid})`,
        );
      }
      if (live) {
        await reconcile(
          await options.archive.findRun(claim.runNamespace, claim.name),
          live,
          'registration',
          log,
        );
      }
      return live;
    },
    reconcile,
  };
}

/**
 * Carries out the clean-run rule (src/domain/mintmaker-clean-run.ts): finds when the run
 * started (given, or looked up by its PipelineRun name in the cluster, then in the log
 * archive) and resolves the pipeline's `mintmaker-<category>` issues whose state was
 * decided before that start. A run that cannot be found clears nothing.
 */
import {
  clearedSummary,
  MINTMAKER_CATEGORIES,
  mintmakerScopeType,
  type CleanRun,
} from '../domain/mintmaker-clean-run.js';
import type { LogArchive } from '../logs/archive.js';
import type { LiveCluster } from '../logs/live.js';
import { repoBranchHash } from '../logs/run-links.js';
import type { IssueStore } from '../store/issue-store.js';

export interface CleanRunDeps {
  store: IssueStore;
  archive: LogArchive;
  live: LiveCluster | undefined;
  mintmakerNamespace: string;
}

/** At most this many active issues per category are scanned for a pipeline's hash. */
const SCAN_LIMIT = 1000;

/** Resolves what the run cleared; the number of issues resolved. */
export function createCleanRuns(deps: CleanRunDeps): (run: CleanRun) => Promise<number> {
  async function startOf(run: CleanRun): Promise<string | undefined> {
    if (run.startedAt) return run.startedAt;
    if (!run.runId) return undefined;
    const live = await deps.live
      ?.findRun(deps.mintmakerNamespace, run.runId)
      .catch(() => undefined);
    if (live) return live.namespace === run.namespace ? (live.startTime ?? undefined) : undefined;
    const archived = await deps.archive.findRun(deps.mintmakerNamespace, run.runId);
    return archived?.namespace === run.namespace ? (archived.startTime ?? undefined) : undefined;
  }

  async function pipelineIds(run: CleanRun): Promise<string[]> {
    if ('id' in run.pipeline) return [run.pipeline.id];
    const { hash } = run.pipeline;
    const names = new Set<string>();
    for (const category of MINTMAKER_CATEGORIES) {
      const page = await deps.store.list(
        {
          namespaces: [run.namespace],
          state: 'ACTIVE',
          resourceType: mintmakerScopeType(category),
        },
        { limit: SCAN_LIMIT, offset: 0 },
      );
      for (const issue of page.data) {
        if (repoBranchHash(issue.scope.resourceName) === hash) names.add(issue.scope.resourceName);
      }
    }
    return [...names];
  }

  return async (run) => {
    const startedAt = await startOf(run);
    if (!startedAt) return 0;
    const summary = clearedSummary(run, startedAt);
    let resolved = 0;
    for (const id of await pipelineIds(run)) {
      for (const category of MINTMAKER_CATEGORIES) {
        resolved += await deps.store.resolveScope(
          {
            namespace: run.namespace,
            scope: {
              resourceType: mintmakerScopeType(category),
              resourceName: id,
              resourceNamespace: run.namespace,
            },
          },
          'dependency',
          { occurredAt: startedAt, summary, ...(run.runId ? { runId: run.runId } : {}) },
        );
      }
    }
    return resolved;
  };
}

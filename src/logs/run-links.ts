/**
 * Links from MintMaker issues to their run's logs. MintMaker's Renovate log analyzer
 * reports through the `mintmaker-custom` webhook with `pipelineId` =
 * `<git host>/<repository>@<branch>`, and MintMaker labels each run with
 * `mintmaker.appstudio.redhat.com/repo-branch-hash` = the first 12 hex characters of the
 * SHA-256 of exactly that string: the latest run of the namespace with that hash is the
 * run the report is about.
 *
 * Links are relative to the API unless a public base URL is configured (`KITE_PUBLIC_URL`,
 * e.g. the console proxy's prefix `https://console.example.com/api/k8s/plugins/kite`):
 * a browser resolves a relative link against the console's origin, where the API's
 * paths do not exist.
 */
import { createHash } from 'node:crypto';
import type { IssueReport } from '../domain/issue.js';
import { runTime } from '../domain/mintmaker-run.js';
import type { LogArchive } from './archive.js';
import type { LiveCluster } from './live.js';

export const PIPELINE_ID_LABEL = 'mintmaker.appstudio.redhat.com/pipeline-id';
export const LOGS_LINK_TITLE = 'MintMaker run logs';

export function repoBranchHash(pipelineId: string): string {
  return createHash('sha256').update(pipelineId).digest('hex').slice(0, 12);
}

/** The API path of a run's logs (relative: the dashboard and CLI resolve it against the API). */
export function runLogsPath(runName: string, runNamespace: string, mintmakerNamespace: string) {
  const where =
    runNamespace === mintmakerNamespace ? '' : `?runNamespace=${encodeURIComponent(runNamespace)}`;
  return `/api/v1/mintmaker/runs/${encodeURIComponent(runName)}/logs${where}`;
}

/** A link KITE creates: absolute under `publicUrl` when one is set, else as given. */
export function publicLink(publicUrl: string | undefined, path: string): string {
  return publicUrl && path.startsWith('/') ? `${publicUrl}${path}` : path;
}

export function createRunLinker(deps: {
  archive: LogArchive;
  live: LiveCluster | undefined;
  mintmakerNamespace: string;
  /** KITE_PUBLIC_URL, without a trailing slash. */
  publicUrl?: string | undefined;
}): (report: IssueReport) => Promise<IssueReport> {
  return async (report) => {
    const pipelineId = report.labels?.[PIPELINE_ID_LABEL];
    if (!pipelineId || report.links?.some((l) => l.title === LOGS_LINK_TITLE)) return report;
    const hash = repoBranchHash(pipelineId);
    const [archived, live] = await Promise.all([
      deps.archive.listRuns(
        { namespaces: [report.namespace], repoBranchHash: hash },
        { limit: 1, offset: 0 },
      ),
      deps.live
        ?.listRuns(deps.mintmakerNamespace, report.namespace)
        .then((runs) => runs.filter((run) => run.repoBranchHash === hash))
        .catch(() => []) ?? Promise.resolve([]),
    ]);
    // Newest first, a run not yet dated (running) before every dated one.
    const candidates = [...live, ...archived.data].sort(
      (a, b) => (runTime(b) ?? Infinity) - (runTime(a) ?? Infinity),
    );
    const latest = candidates[0];
    if (!latest) return report;
    return {
      ...report,
      links: [
        ...(report.links ?? []),
        {
          title: LOGS_LINK_TITLE,
          url: publicLink(
            deps.publicUrl,
            runLogsPath(latest.name, latest.runNamespace, deps.mintmakerNamespace),
          ),
        },
      ],
    };
  };
}

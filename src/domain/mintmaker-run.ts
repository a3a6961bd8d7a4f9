/**
 * A MintMaker run, one shape wherever it comes from: the cluster (src/logs/live.ts), a
 * registration by the bridge operator (`POST /api/v1/mintmaker/runs`) or the archive
 * (src/logs/archive.ts adds what it stores about the log). Its status list is declared
 * here once: the TypeBox schemas, the code and the SQL CHECK of `mintmaker_runs.status`
 * (checked by test/unit/mintmaker-run.test.ts) all use it.
 */

/** A run's status as the log endpoints show it; Tekton's `Succeeded` condition mapped. */
export const MINTMAKER_RUN_STATUSES = ['Succeeded', 'Failed', 'Running', 'Unknown'] as const;
export type MintmakerRunStatus = (typeof MINTMAKER_RUN_STATUSES)[number];

export interface MintmakerRun {
  /** The PipelineRun's name. */
  name: string;
  /** Where the PipelineRun runs (the MintMaker namespace, as a rule). */
  runNamespace: string;
  uid: string;
  /** The component's namespace: who may read the run is decided here. */
  namespace: string;
  component: string;
  gitHost: string | null;
  repository: string | null;
  branch: string | null;
  repoBranchHash: string | null;
  status: MintmakerRunStatus;
  startTime: string | null;
  completionTime: string | null;
}

/** What the archive holds of a run's log, for a listing. */
export interface ArchivedLogFacts {
  logBytes: number;
  truncated: boolean;
}

/** A run as the API lists it: the run, and whether (and how much of) its log is archived. */
export interface MintmakerRunView {
  name: string;
  runNamespace: string;
  namespace: string;
  component: string;
  gitHost: string | null;
  repository: string | null;
  branch: string | null;
  status: MintmakerRunStatus;
  startTime: string | null;
  completionTime: string | null;
  archived: boolean;
  logBytes: number;
  truncated: boolean;
}

/** The one mapping from a run (live or archived) to what the API lists. */
export function viewRun(
  run: MintmakerRun,
  archived: ArchivedLogFacts | undefined,
): MintmakerRunView {
  return {
    name: run.name,
    runNamespace: run.runNamespace,
    namespace: run.namespace,
    component: run.component,
    gitHost: run.gitHost,
    repository: run.repository,
    branch: run.branch,
    status: run.status,
    startTime: run.startTime,
    completionTime: run.completionTime,
    archived: archived !== undefined,
    logBytes: archived?.logBytes ?? 0,
    truncated: archived?.truncated ?? false,
  };
}

/** A registration as the API accepts it: the run, with its optional facts left out. */
export interface RunRegistration {
  name: string;
  runNamespace?: string | undefined;
  uid: string;
  namespace: string;
  component: string;
  gitHost?: string | undefined;
  repository?: string | undefined;
  branch?: string | undefined;
  repoBranchHash?: string | undefined;
  status: MintmakerRunStatus;
  startTime?: string | undefined;
  completionTime?: string | undefined;
}

/** A registration as a run; an empty optional text is the same as none. */
export function runOfRegistration(
  body: RunRegistration,
  defaultRunNamespace: string,
): MintmakerRun {
  return {
    name: body.name,
    runNamespace: body.runNamespace ?? defaultRunNamespace,
    uid: body.uid,
    namespace: body.namespace,
    component: body.component,
    gitHost: body.gitHost || null,
    repository: body.repository || null,
    branch: body.branch || null,
    repoBranchHash: body.repoBranchHash || null,
    status: body.status,
    startTime: body.startTime || null,
    completionTime: body.completionTime || null,
  };
}

/**
 * A run as a registration sends it (what the bridge operator posts): the inverse of
 * `runOfRegistration`, absent facts left out rather than sent as null.
 */
export function registrationOf(run: MintmakerRun): RunRegistration {
  const facts = {
    gitHost: run.gitHost,
    repository: run.repository,
    branch: run.branch,
    repoBranchHash: run.repoBranchHash,
    startTime: run.startTime,
    completionTime: run.completionTime,
  };
  return {
    name: run.name,
    runNamespace: run.runNamespace,
    uid: run.uid,
    namespace: run.namespace,
    component: run.component,
    status: run.status,
    ...Object.fromEntries(Object.entries(facts).filter(([, value]) => value)),
  };
}

/**
 * Where a run sorts in a listing, newest first: its completion, else its start; a run
 * with neither sorts before every dated one (it is running). Milliseconds, or null.
 */
export function runTime(run: Pick<MintmakerRun, 'startTime' | 'completionTime'>): number | null {
  const text = run.completionTime ?? run.startTime;
  if (text === null) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : at;
}

/**
 * From a component's latest runs and the acceptable bundles to what is sent: per task
 * the component uses, a `task-update` report (outdated: due date, severity from the
 * clock, migration) or a `task-current` one (resolves). Pure: the clock and the data are
 * arguments, so window crossings are tested by moving a date.
 */
import type { Severity } from '../../domain/issue.js';
import { labelOf, type KubeObject } from '../controller.js';
import { eventTypeOf, pipelineNameOf } from '../controllers/pipelinerun.js';
import { completion } from '../controllers/run-failure.js';
import { KONFLUX } from '../run-labels.js';
import { compareVersions, judgeBundle, type BundleData } from './bundle-data.js';
import { taskBundlesOf } from './bundle-refs.js';

export interface TaskUpdateSettings {
  /** Major (instead of minor) once the expiry is this close. */
  majorWithinMs: number;
  /** Where the task directories are: `<base>/<task>/<version>/MIGRATION.md`. */
  migrationBaseUrl: string;
  /** The task versions that have a MIGRATION.md, as `<task>/<version>` (`buildah/0.4`). */
  migrations: ReadonlySet<string>;
}

export interface TaskReport {
  task: string;
  webhook: 'task-update' | 'task-current';
  body: { namespace: string } & Record<string, unknown>;
}

/** Runs of components that tell which bundles a component builds and tests with. */
const JUDGED_TYPES = new Set(['build', 'test']);

/** `namespace/component` of a run that counts, else undefined. */
export function componentOf(run: KubeObject): string | undefined {
  const component = labelOf(run, KONFLUX.component);
  const type = labelOf(run, KONFLUX.pipelineType);
  if (!component || !type || !JUDGED_TYPES.has(type)) return undefined;
  // A pull request's runs are not what the component ships (yet): a MintMaker pull
  // request that bumps a digest must not resolve anything before it merges.
  if (eventTypeOf(run) === 'pull_request') return undefined;
  return `${run.metadata.namespace}/${component}`;
}

/**
 * The latest completed run of each pipeline of the component (its push build, each
 * integration test scenario): together, every task the component currently runs.
 */
export function latestRuns(runs: readonly KubeObject[]): KubeObject[] {
  const latest = new Map<string, { run: KubeObject; at: string }>();
  for (const run of runs) {
    const done = completion(run);
    if (!done) continue;
    const type = labelOf(run, KONFLUX.pipelineType) ?? '';
    const key = `${type}/${labelOf(run, KONFLUX.scenario) ?? pipelineNameOf(run)}`;
    const seen = latest.get(key);
    if (!seen || seen.at < done.at) latest.set(key, { run, at: done.at });
  }
  return [...latest.values()].map((l) => l.run);
}

export function severityAt(dueAt: string, now: Date, majorWithinMs: number): Severity {
  const left = Date.parse(dueAt) - now.getTime();
  if (left <= 0) return 'critical';
  return left <= majorWithinMs ? 'major' : 'minor';
}

/**
 * The reports of one component from its latest runs, and every task they use; a task
 * used by several of them is judged by its most urgent use. A bundle the data does not
 * know gives no report.
 */
export function judgeComponent(
  runs: readonly KubeObject[],
  taskRunsOf: (run: KubeObject) => readonly KubeObject[],
  data: BundleData,
  settings: TaskUpdateSettings,
  now: Date,
): { reports: TaskReport[]; used: Set<string> } {
  const reports = new Map<string, TaskReport & { dueAt?: string }>();
  const used = new Set<string>();
  for (const run of runs) {
    const component = labelOf(run, KONFLUX.component) ?? '';
    const application = labelOf(run, KONFLUX.application);
    const base = {
      namespace: run.metadata.namespace,
      component,
      runId: run.metadata.uid ?? `${run.metadata.namespace}/${run.metadata.name}`,
    };
    for (const { task, bundle } of taskBundlesOf(run, () => taskRunsOf(run))) {
      used.add(task);
      const verdict = judgeBundle(data, bundle);
      if (verdict.state === 'unknown') continue;
      const known = reports.get(task);
      if (verdict.state === 'current') {
        if (!known) reports.set(task, { task, webhook: 'task-current', body: { ...base, task } });
        continue;
      }
      if (known?.dueAt !== undefined && known.dueAt <= verdict.dueAt) continue;
      const { version, newVersion, dueAt } = verdict;
      reports.set(task, {
        task,
        webhook: 'task-update',
        dueAt,
        body: {
          ...base,
          ...(application ? { application } : {}),
          task,
          bundle,
          ...(version ? { version } : {}),
          ...(newVersion ? { newVersion } : {}),
          dueAt,
          ...migrationOf(task, version, newVersion, settings),
          severity: severityAt(dueAt, now, settings.majorWithinMs),
        },
      });
    }
  }
  return {
    reports: [...reports.values()].map(({ task, webhook, body }) => ({ task, webhook, body })),
    used,
  };
}

/**
 * Moving from `version` to `newVersion` needs a migration when a version after the one in
 * use, up to the new one, has a MIGRATION.md; the link is the first such: the first step.
 */
function migrationOf(
  task: string,
  version: string | undefined,
  newVersion: string | undefined,
  settings: TaskUpdateSettings,
): { migrationRequired?: 'true' | 'false'; migrationUrl?: string } {
  if (!version || !newVersion) return {};
  const steps = [...settings.migrations]
    .filter((entry) => entry.startsWith(`${task}/`))
    .map((entry) => entry.slice(task.length + 1))
    .filter((v) => compareVersions(v, version) > 0 && compareVersions(v, newVersion) <= 0)
    .sort(compareVersions);
  const first = steps[0];
  if (first === undefined) return { migrationRequired: 'false' };
  const base = settings.migrationBaseUrl.replace(/\/+$/, '');
  return { migrationRequired: 'true', migrationUrl: `${base}/${task}/${first}/MIGRATION.md` };
}

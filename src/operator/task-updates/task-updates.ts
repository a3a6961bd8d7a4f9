/**
 * The `task-updates` controller: it judges components, not runs. Whenever a build or
 * test run of a component changes, on every resync (so a due date coming closer is
 * reported without any run changing) and whenever the acceptable bundles data changes,
 * the component's latest runs are judged (judge.ts) and one delivery per component and
 * task is queued on the operator's reporter: `task-update` while the task is outdated,
 * `task-current` once the latest runs use a current digest or no longer use the task.
 * Nothing is judged without data, and what the data does not know is left alone.
 */
import { PIPELINE_RUNS, TASK_RUNS, type Controller, type KubeObject } from '../controller.js';
import type { Watched } from '../informers.js';
import type { Delivery } from '../reporter.js';
import { TEKTON } from '../run-labels.js';
import type { BundleSource } from './bundle-source.js';
import { componentOf, judgeComponent, latestRuns, type TaskUpdateSettings } from './judge.js';

export const TASK_UPDATES = 'task-updates';

/**
 * What the informer plan needs of the controller (its kind, its details, its name under
 * `controllers:`). It never judges a single run: `observe` says nothing.
 */
export const taskUpdatesWatch: Controller = {
  name: TASK_UPDATES,
  watches: PIPELINE_RUNS,
  details: [TASK_RUNS],
  observe: () => undefined,
};

export interface TaskUpdatesOptions {
  source: BundleSource;
  settings: TaskUpdateSettings;
  /** How often the data is read again. */
  refreshMs: number;
  /** The cached TaskRuns of a namespace (read where a run has no pipeline spec). */
  taskRuns(namespace: string): readonly KubeObject[];
  enqueue(delivery: Delivery): void;
  now(): Date;
}

export class TaskUpdates {
  private readonly watched: { informer: Watched; covers: (namespace: string) => boolean }[] = [];
  /** Tasks reported outdated, by component, to resolve once no latest run uses them. */
  private readonly outdated = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: TaskUpdatesOptions) {}

  /** Reads the data now and then every refresh; judges everything when it changed. */
  async start(): Promise<void> {
    const refresh = async () => {
      if ((await this.options.source.refresh()) === 'loaded') this.evaluateAll();
    };
    await refresh();
    if (!this.stopped) this.timer = setInterval(() => void refresh(), this.options.refreshMs);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** Judges the components of a PipelineRun informer's runs as they change. */
  watch(informer: Watched, covers: (namespace: string) => boolean): void {
    this.watched.push({ informer, covers });
    const changed = (run: KubeObject) => {
      if (run.metadata?.namespace && covers(run.metadata.namespace)) this.evaluateOf(run);
    };
    informer.on('add', changed);
    informer.on('update', changed);
    informer.on('delete', changed);
  }

  /** Judges every component again (a resync: the clock moved). */
  evaluateAll(): void {
    const components = new Map<string, KubeObject[]>();
    for (const { informer, covers } of this.watched) {
      for (const run of informer.list()) {
        const key = covers(run.metadata.namespace) ? componentOf(run) : undefined;
        if (!key) continue;
        const runs = components.get(key);
        if (runs) runs.push(run);
        else components.set(key, [run]);
      }
    }
    for (const [key, runs] of components) this.evaluate(key, runs);
  }

  private evaluateOf(run: KubeObject): void {
    const key = componentOf(run);
    if (!key) return;
    const runs = this.watched.flatMap(({ informer }) =>
      informer.list(run.metadata.namespace).filter((r) => componentOf(r) === key),
    );
    this.evaluate(key, runs);
  }

  private evaluate(key: string, runs: readonly KubeObject[]): void {
    const data = this.options.source.data;
    const latest = latestRuns(runs);
    // No data, or no completed run left (pruned): nothing is known, nothing changes.
    if (!data || latest.length === 0) return;
    const taskRuns = (run: KubeObject) =>
      this.options
        .taskRuns(run.metadata.namespace)
        .filter((t) => t.metadata.labels?.[TEKTON.pipelineRun] === run.metadata.name);
    const { reports, used } = judgeComponent(
      latest,
      taskRuns,
      data,
      this.options.settings,
      this.options.now(),
    );
    const outdated = this.outdated.get(key) ?? new Set<string>();
    const newest = latest.reduce((a, b) => (runOrder(a) >= runOrder(b) ? a : b));
    for (const task of outdated) {
      if (used.has(task)) continue;
      reports.push({
        task,
        webhook: 'task-current',
        body: {
          namespace: newest.metadata.namespace,
          component: key.slice(key.indexOf('/') + 1),
          task,
          runId: newest.metadata.uid ?? `${newest.metadata.namespace}/${newest.metadata.name}`,
        },
      });
    }
    for (const { task, webhook, body } of reports) {
      if (webhook === 'task-update') outdated.add(task);
      else outdated.delete(task);
      // What is sent again only when it changed (a new run alone changes nothing).
      this.options.enqueue({
        key: `${TASK_UPDATES}/${key}/${task}`,
        version: JSON.stringify([webhook, { ...body, runId: undefined }]),
        request: () => ({ webhook, body }),
      });
    }
    if (outdated.size > 0) this.outdated.set(key, outdated);
    else this.outdated.delete(key);
  }
}

const runOrder = (run: KubeObject) =>
  typeof run.status?.completionTime === 'string' ? run.status.completionTime : '';

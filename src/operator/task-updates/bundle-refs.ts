/**
 * The task bundles a PipelineRun used. Tekton copies the pipeline it ran into
 * `status.pipelineSpec` (Pipelines as Code runs also carry it inlined in
 * `spec.pipelineSpec`); each task there names its bundle either through the bundles
 * resolver (`taskRef: { resolver: bundles, params: [bundle, name, kind] }`) or, in pipelines
 * written before remote resolution, as `taskRef: { bundle, name }`. Where no spec is
 * recorded (a pipeline resolved remotely whose status has not been written), the run's
 * TaskRuns say it: labelled `tekton.dev/pipelineRun` with the run's name and
 * `tekton.dev/task` with the task's, they record the resolved bundle in
 * `status.provenance.refSource` (`uri`, `digest.sha256`, `entryPoint`).
 */
import { labelOf, stringAt, type KubeObject } from '../controller.js';
import { TEKTON } from '../run-labels.js';
import { parseBundleRef } from './bundle-data.js';

export interface TaskBundle {
  /** The task's name (`buildah`), as the bundle's entry names it. */
  task: string;
  /** The full reference: `quay.io/…/task-buildah:0.4@sha256:…`. */
  bundle: string;
}

type Record_ = Record<string, unknown>;
const asRecord = (value: unknown): Record_ | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record_)
    : undefined;
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/**
 * Bundles from the run's pipeline spec, else from its TaskRuns (read only then); one per
 * task name.
 */
export function taskBundlesOf(
  run: KubeObject,
  taskRuns: () => readonly KubeObject[],
): TaskBundle[] {
  const spec =
    asRecord(run.status?.pipelineSpec) ?? asRecord(asRecord(run.spec)?.pipelineSpec) ?? undefined;
  const found = spec
    ? [...asList(spec.tasks), ...asList(spec.finally)].flatMap((task) => {
        const bundle = fromTaskRef(asRecord(asRecord(task)?.taskRef));
        return bundle ? [bundle] : [];
      })
    : fromTaskRuns(run, taskRuns());
  const byTask = new Map<string, TaskBundle>();
  for (const bundle of found) if (!byTask.has(bundle.task)) byTask.set(bundle.task, bundle);
  return [...byTask.values()];
}

function fromTaskRef(ref: Record_ | undefined): TaskBundle | undefined {
  if (!ref) return undefined;
  // The older form: the bundle beside the task's name.
  const direct = stringAt(ref, 'bundle');
  if (direct) return named(stringAt(ref, 'name'), direct);
  if (ref.resolver !== 'bundles') return undefined;
  const params = new Map<string, string>();
  for (const param of asList(ref.params)) {
    const p = asRecord(param);
    const name = stringAt(p, 'name');
    const value = stringAt(p, 'value');
    if (name && value) params.set(name, value);
  }
  const kind = params.get('kind');
  if (kind !== undefined && kind.toLowerCase() !== 'task') return undefined;
  const bundle = params.get('bundle');
  return bundle ? named(params.get('name'), bundle) : undefined;
}

function fromTaskRuns(run: KubeObject, taskRuns: readonly KubeObject[]): TaskBundle[] {
  return taskRuns.flatMap((taskRun) => {
    if (labelOf(taskRun, TEKTON.pipelineRun) !== run.metadata.name) return [];
    const source = asRecord(asRecord(taskRun.status?.provenance)?.refSource);
    const uri = stringAt(source, 'uri')?.replace(/^oci:\/\//, '');
    if (!uri) return [];
    const sha = stringAt(asRecord(source?.digest), 'sha256');
    const bundle = uri.includes('@') || !sha ? uri : `${uri}@sha256:${sha}`;
    const task = stringAt(source, 'entryPoint') ?? labelOf(taskRun, TEKTON.task);
    const found = named(task, bundle);
    return found ? [found] : [];
  });
}

/** The task's name, else the repository's last part without `task-` (`task-buildah`). */
function named(name: string | undefined, bundle: string): TaskBundle | undefined {
  const repository = parseBundleRef(bundle).repository;
  const task =
    name ??
    repository
      .split('/')
      .at(-1)
      ?.replace(/^task-/, '');
  return task ? { task, bundle } : undefined;
}

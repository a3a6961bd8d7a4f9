/**
 * Corpus causes from Tekton: the operator's reasons for failed build, integration and
 * release PipelineRuns, built from Tekton's condition messages
 * (`pkg/apis/pipeline/v1/pipelinerun_types.go`, `pkg/reconciler/taskrun`).
 */
import type { Cause, Variant } from './failure-corpus.js';
import {
  duration,
  failedTask,
  pipelineRun,
  stepExited,
  taskRun,
  tasksCompleted,
} from './failure-corpus.js';

const BUILDAH = 'quay.io/konflux-ci/buildah-task';
const build = (v: Variant, ...lines: string[]) => ({
  issueType: 'build' as const,
  title: `Pipeline run failed: ${pipelineRun(v)}`,
  description: [tasksCompleted(v), ...lines].join('\n'),
});
const neverStarted = (v: Variant, why: string) => ({
  issueType: 'build' as const,
  title: `Pipeline run failed: ${pipelineRun(v)}`,
  description: `The pipeline never started: ${why}`,
});
const release = (v: Variant, phase: string, detail: string, task?: string) => ({
  issueType: 'release' as const,
  title: `Release failed for application ${v.component} during ${phase}`,
  description: [
    `Release ${v.release} failed during ${phase}: ${detail}`,
    ...(task ? [task] : []),
    `Release pipeline run: managed-${v.suffix}`,
    `Snapshot: ${v.snapshot}`,
  ].join('\n'),
});

export const TEKTON_CAUSES: Cause[] = [
  {
    name: 'build-container: step build exited 1',
    failureClass: 'build-error',
    report: (v) =>
      build(
        v,
        failedTask(v, 'build-container', stepExited(v, 'build-container', 'build', 1, BUILDAH)),
      ),
  },
  {
    name: 'build-container: step build OOMKilled',
    failureClass: 'out-of-memory',
    report: (v) =>
      build(
        v,
        failedTask(
          v,
          'build-container',
          `Failed: "step-build" exited with code 137: OOMKilled (image: "${BUILDAH}@sha256:${v.digest}"); for logs run: kubectl -n ${v.namespace} logs ${taskRun(v, 'build-container')}-pod -c step-build`,
        ),
      ),
  },
  {
    name: 'build-container: step push exited 1',
    failureClass: 'build-error',
    report: (v) =>
      build(
        v,
        failedTask(v, 'build-container', stepExited(v, 'build-container', 'push', 1, BUILDAH)),
      ),
  },
  {
    name: 'build-container: TaskRun timeout',
    failureClass: 'timeout',
    report: (v) =>
      build(
        v,
        failedTask(
          v,
          'build-container',
          `TaskRunTimeout: TaskRun "${taskRun(v, 'build-container')}" failed to finish within "${duration(v)}"`,
        ),
      ),
  },
  {
    name: 'clair-scan: TaskRun timeout',
    failureClass: 'timeout',
    report: (v) =>
      build(
        v,
        failedTask(
          v,
          'clair-scan',
          `TaskRunTimeout: TaskRun "${taskRun(v, 'clair-scan')}" failed to finish within "${duration(v)}"`,
        ),
      ),
  },
  {
    name: 'sast-snyk-check: step exited 1',
    failureClass: 'build-error',
    report: (v) =>
      build(
        v,
        failedTask(
          v,
          'sast-snyk-check',
          stepExited(v, 'sast-snyk-check', 'sast-snyk-check', 1, 'quay.io/konflux-ci/snyk'),
        ),
      ),
  },
  {
    name: 'prefetch-dependencies: step exited 2',
    failureClass: 'build-error',
    report: (v) =>
      build(
        v,
        failedTask(
          v,
          'prefetch-dependencies',
          stepExited(
            v,
            'prefetch-dependencies',
            'prefetch-dependencies',
            2,
            'quay.io/konflux-ci/hermeto',
          ),
        ),
      ),
  },
  {
    name: 'build-container: step image failed to pull',
    failureClass: 'build-error',
    report: (v) =>
      build(
        v,
        failedTask(
          v,
          'build-container',
          `TaskRunImagePullFailed: the step "build" in TaskRun "${taskRun(v, 'build-container')}" failed to pull the image "${BUILDAH}@sha256:${v.digest}". The pod errored with the message: "Back-off pulling image "${BUILDAH}@sha256:${v.digest}"."`,
        ),
      ),
  },
  {
    name: 'build-container: pod over the namespace quota',
    failureClass: 'build-error',
    report: (v) =>
      build(
        v,
        failedTask(
          v,
          'build-container',
          `PodCreationFailed: failed to create task run pod "${taskRun(v, 'build-container')}": pods "${taskRun(v, 'build-container')}-pod" is forbidden: exceeded quota: compute-resources, requested: limits.memory=${v.hours + 4}Gi, used: limits.memory=${v.completed + 20}Gi, limited: limits.memory=32Gi. Maybe missing or invalid Task ${v.namespace}/buildah`,
        ),
      ),
  },
  {
    name: 'never started: pipeline not found',
    failureClass: 'config-error',
    report: (v) =>
      neverStarted(
        v,
        `CouldntGetPipeline: Error retrieving pipeline for pipelinerun ${v.namespace}/${pipelineRun(v)}: pipelines.tekton.dev "docker-build" not found`,
      ),
  },
  {
    name: 'never started: missing parameter git-url',
    failureClass: 'config-error',
    report: (v) =>
      neverStarted(
        v,
        `ParameterMissing: PipelineRun ${v.namespace}/${pipelineRun(v)} parameters is missing some parameters required by Pipeline ${v.namespace}/${pipelineRun(v)}'s parameters: PipelineRun missing parameters: [git-url]`,
      ),
  },
  {
    name: 'never started: workspace not bound',
    failureClass: 'config-error',
    report: (v) =>
      neverStarted(
        v,
        `InvalidWorkspaceBindings: PipelineRun ${v.namespace}/${pipelineRun(v)} doesn't bind Pipeline ${v.namespace}/${pipelineRun(v)}'s Workspaces correctly: pipeline requires workspace with name "git-auth" be provided by pipelinerun`,
      ),
  },
  {
    name: 'never started: task bundle manifest unknown',
    failureClass: 'config-error',
    report: (v) =>
      neverStarted(
        v,
        `CouldntGetTask: Pipeline ${v.namespace}/${pipelineRun(v)} can't be Run; it contains Tasks that don't exist: Couldn't retrieve Task "buildah": error requesting remote resource: error getting "bundleresolver" "${v.namespace}/bundles-${v.uuid}": cannot retrieve the oci image: GET https://quay.io/v2/konflux-ci/tekton-catalog/task-buildah/manifests/sha256:${v.digest}: MANIFEST_UNKNOWN: manifest unknown`,
      ),
  },
  {
    name: 'pipeline run timeout',
    failureClass: 'timeout',
    report: (v) => ({
      issueType: 'build',
      title: `Pipeline run failed: ${pipelineRun(v)}`,
      description: `PipelineRun "${pipelineRun(v)}" failed to finish within "${duration(v)}"`,
    }),
  },
  {
    name: 'integration: ec policy violations',
    failureClass: 'test-failure',
    report: (v) => ({
      issueType: 'test',
      title: `Integration test ${v.component}-enterprise-contract failed for ${v.component}`,
      description: `Integration test scenario ${v.component}-enterprise-contract failed for component ${v.component}: ${v.completed + 1} violations found: cve.cve_blockers, image ${'quay.io/redhat-user-workloads'}/${v.namespace}/${v.component}@sha256:${v.digest} has critical vulnerabilities`,
    }),
  },
  {
    name: 'integration: e2e step exited 1',
    failureClass: 'test-failure',
    report: (v) => ({
      issueType: 'test',
      title: `Integration test e2e failed for ${v.component}`,
      description: [
        tasksCompleted(v),
        failedTask(
          v,
          'run-e2e-tests',
          stepExited(v, 'run-e2e-tests', 'e2e', 1, 'quay.io/acme/e2e-runner'),
        ),
      ].join('\n'),
    }),
  },
  {
    name: 'release: push-snapshot exited 1',
    failureClass: 'build-error',
    report: (v) =>
      release(
        v,
        'ManagedProcessing',
        `Failed: Release processing failed on managed pipelineRun managed-${v.suffix}`,
        `Failed task: push-snapshot (step push-snapshot): "step-push-snapshot" exited with code 1`,
      ),
  },
  {
    name: 'release: verify-conforma violations',
    failureClass: 'test-failure',
    report: (v) =>
      release(
        v,
        'ManagedProcessing',
        `Failed: Release processing failed on managed pipelineRun managed-${v.suffix}`,
        `Failed task: verify-conforma (step assert): policy violations found in ${v.completed + 1} image(s)`,
      ),
  },
  {
    name: 'release: no ReleasePlanAdmission',
    failureClass: 'config-error',
    report: (v) =>
      release(
        v,
        'Validation',
        `ReleaseValidationFailed: invalid configuration: no ReleasePlanAdmission found in namespace ${v.namespace}-managed for ReleasePlan ${v.component}-release-plan`,
      ),
  },
];

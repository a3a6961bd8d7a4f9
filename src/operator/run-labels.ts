/**
 * The labels Konflux, Pipelines as Code, Tekton, the integration and release services and
 * MintMaker put on runs, and the labels the operator puts on issues. One place, so
 * controllers and tests agree.
 */
export const KONFLUX = {
  component: 'appstudio.openshift.io/component',
  application: 'appstudio.openshift.io/application',
  pipelineType: 'pipelines.appstudio.openshift.io/type',
  scenario: 'test.appstudio.openshift.io/scenario',
  eventType: 'pipelinesascode.tekton.dev/event-type',
  pullRequest: 'pipelinesascode.tekton.dev/pull-request',
  originalRunName: 'pipelinesascode.tekton.dev/original-prname',
  /**
   * The integration service copies Pipelines as Code labels onto integration test runs
   * under its own prefix: these are what a real test run carries.
   */
  testEventType: 'pac.test.appstudio.openshift.io/event-type',
  testPullRequest: 'pac.test.appstudio.openshift.io/pull-request',
} as const;

/** What the release service puts on Releases (its webhook) and on its PipelineRuns. */
export const RELEASE = {
  /** On a release pipeline run: the Release it runs for, and that Release's namespace. */
  name: 'release.appstudio.openshift.io/name',
  namespace: 'release.appstudio.openshift.io/namespace',
  /** On a Release: copies of `spec.releasePlan` and `spec.snapshot`. */
  releasePlan: 'release.appstudio.openshift.io/releasePlan',
  snapshot: 'release.appstudio.openshift.io/snapshot',
} as const;

export const TEKTON = {
  pipeline: 'tekton.dev/pipeline',
  pipelineRun: 'tekton.dev/pipelineRun',
  pipelineTask: 'tekton.dev/pipelineTask',
  task: 'tekton.dev/task',
} as const;

/** Set on every issue the operator reports when it runs with `--cluster-name`. */
export const CLUSTER_LABEL = 'kite.konflux-ci.dev/cluster';

/**
 * The labels Konflux, Pipelines as Code, Tekton and MintMaker put on runs, and the
 * labels the operator puts on issues. One place, so controllers and tests agree.
 */
export const KONFLUX = {
  component: 'appstudio.openshift.io/component',
  application: 'appstudio.openshift.io/application',
  pipelineType: 'pipelines.appstudio.openshift.io/type',
  scenario: 'test.appstudio.openshift.io/scenario',
  eventType: 'pipelinesascode.tekton.dev/event-type',
  originalRunName: 'pipelinesascode.tekton.dev/original-prname',
  releaseName: 'release.appstudio.openshift.io/name',
} as const;

export const TEKTON = {
  pipeline: 'tekton.dev/pipeline',
  pipelineRun: 'tekton.dev/pipelineRun',
  pipelineTask: 'tekton.dev/pipelineTask',
} as const;

/** Set on every issue the operator reports when it runs with `--cluster-name`. */
export const CLUSTER_LABEL = 'kite.konflux-ci.dev/cluster';
/** The event that started the run, normalised: `push` or `pull_request`. */
export const EVENT_TYPE_LABEL = KONFLUX.eventType;

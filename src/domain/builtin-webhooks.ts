/**
 * The built-in webhooks, written in the same declarative format operators use for their
 * own (see webhook-definition.ts). The first five are the v1 contract that existing
 * clients (the bridge operator, MintMaker's Renovate log analyzer, release tooling) send.
 * `run-failure` and `run-success` are what this project's bridge operator sends: one
 * pair for every kind of run, the issue type and scope chosen by the operator.
 * `task-update` and `task-current` are its task-updates controller's: a component
 * builds with a Tekton task bundle that stops being acceptable at a due date
 * (docs/decisions/0051-task-updates.md).
 */
import { ISSUE_TYPES, SEVERITIES } from './issue.js';
import type { FieldSpec, WebhookDefinition } from './webhook-definition.js';

const severityField: FieldSpec = {
  type: 'enum',
  values: [...SEVERITIES],
  description: 'defaults to major',
};
const severityFromPayload = { field: 'severity', default: 'major' } as const;

/** The start of the run a completion is about: MintMaker issues it did not report are cleared. */
const runStartedAtField: FieldSpec = {
  type: 'string',
  description:
    "RFC 3339: when the run started; a MintMaker run's completion resolves the pipeline's mintmaker-* issues not reported since",
};

/**
 * What an operator-reported issue is about: the thing a person recognises, never a run.
 * `pull-request` is a component's (or application's) pull request, named
 * `<component>#<number>`; `release-plan` is the ReleasePlan a Release ran through.
 */
export const RUN_SCOPES = [
  'component',
  'application',
  'pipeline',
  'repository',
  'pull-request',
  'release-plan',
] as const;

export const BUILTIN_WEBHOOKS: readonly WebhookDefinition[] = [
  {
    name: 'pipeline-failure',
    description: 'A pipeline run failed: open (or update, or reopen) the issue of that pipeline.',
    fields: {
      pipelineName: { type: 'string', required: true },
      failureReason: { type: 'string', required: true },
      severity: severityField,
      runId: { type: 'string' },
      logsUrl: { type: 'string' },
      runStartedAt: runStartedAtField,
    },
    scope: { resourceType: 'pipelinerun', resourceName: '{{pipelineName}}' },
    report: {
      issueType: 'pipeline',
      severity: severityFromPayload,
      title: 'Pipeline run failed: {{pipelineName}}',
      description: 'The pipeline run {{pipelineName}} failed with reason: {{failureReason}}',
      runId: '{{runId}}',
      links: [
        {
          title: 'Pipeline Run Logs',
          url: ['{{logsUrl}}', '{{settings.pipelineRunLogsBaseUrl}}{{runId}}'],
        },
      ],
    },
  },
  {
    name: 'pipeline-success',
    description: 'A pipeline run succeeded: resolve the active issues of that pipeline.',
    fields: {
      pipelineName: { type: 'string', required: true },
      runId: { type: 'string' },
      runStartedAt: runStartedAtField,
    },
    scope: { resourceType: 'pipelinerun', resourceName: '{{pipelineName}}' },
    resolve: {
      runId: '{{runId}}',
      message: 'Resolved {{resolved}} issue(s) for pipeline {{pipelineName}}',
    },
  },
  {
    name: 'mintmaker-custom',
    description: "MintMaker's Renovate log analyzer: one call per non-empty log category of a run.",
    fields: {
      pipelineId: {
        type: 'string',
        required: true,
        description: '<git host>/<repository>@<branch>',
      },
      type: { type: 'enum', required: true, values: ['error', 'warning', 'info'] },
      logs: { type: 'string[]' },
    },
    scope: { resourceType: 'mintmaker-{{type}}', resourceName: '{{pipelineId}}' },
    skipWhenEmpty: {
      field: 'logs',
      info: 'No {{type}} logs for {{pipelineId}}: nothing to report',
    },
    report: {
      issueType: 'dependency',
      severity: { field: 'type', map: { error: 'major', warning: 'minor' }, default: 'info' },
      title: 'MintMaker {{type}}: {{logs|count}} log line(s) for {{pipelineId}}',
      description: '{{logs|join}}',
      labels: { 'mintmaker.appstudio.redhat.com/pipeline-id': '{{pipelineId}}' },
    },
  },
  {
    name: 'release-failure',
    description: 'A release failed: open the release issue of the application.',
    fields: {
      application: { type: 'string', required: true },
      failurePhase: { type: 'string', required: true },
      release: { type: 'string', required: true },
      severity: severityField,
      pipelineRunUrl: { type: 'string' },
    },
    scope: { resourceType: 'application', resourceName: '{{application}}' },
    report: {
      issueType: 'release',
      severity: severityFromPayload,
      title: 'Release {{release}} failed for application {{application}}',
      description:
        'Release {{release}} of application {{application}} failed during {{failurePhase}}',
      runId: '{{release}}',
      links: [{ title: 'Release Pipeline Run', url: ['{{pipelineRunUrl}}'] }],
      labels: { 'appstudio.openshift.io/application': '{{application}}' },
    },
  },
  {
    name: 'release-success',
    description: 'A release succeeded: resolve the release issues of the application.',
    fields: { application: { type: 'string', required: true } },
    scope: { resourceType: 'application', resourceName: '{{application}}' },
    resolve: {
      issueType: 'release',
      message: 'Resolved {{resolved}} issue(s) for application {{application}}',
    },
  },
  {
    name: 'build-failure',
    description: 'A component build failed.',
    fields: {
      componentName: { type: 'string', required: true },
      errorMessage: { type: 'string', required: true },
      buildId: { type: 'string' },
      buildLogsUrl: { type: 'string' },
      severity: severityField,
    },
    scope: { resourceType: 'component', resourceName: '{{componentName}}' },
    report: {
      issueType: 'build',
      severity: severityFromPayload,
      title: 'Build failed: {{componentName}}',
      description: 'The build of component {{componentName}} failed: {{errorMessage}}',
      runId: '{{buildId}}',
      links: [{ title: 'Build Logs', url: ['{{buildLogsUrl}}'] }],
      labels: { 'appstudio.openshift.io/component': '{{componentName}}' },
    },
  },
  {
    name: 'build-success',
    description: 'A component build succeeded: resolve its build issues.',
    fields: { componentName: { type: 'string', required: true } },
    scope: { resourceType: 'component', resourceName: '{{componentName}}' },
    resolve: {
      issueType: 'build',
      message: 'Resolved {{resolved}} build issue(s) for component {{componentName}}',
    },
  },
  {
    name: 'test-failure',
    description: 'An integration test scenario failed for a component.',
    fields: {
      componentName: { type: 'string', required: true },
      scenario: { type: 'string', required: true },
      failureReason: { type: 'string', required: true },
      logsUrl: { type: 'string' },
      severity: severityField,
    },
    scope: { resourceType: 'component', resourceName: '{{componentName}}' },
    report: {
      issueType: 'test',
      severity: severityFromPayload,
      title: 'Integration test {{scenario}} failed for {{componentName}}',
      description:
        'Integration test scenario {{scenario}} failed for component {{componentName}}: {{failureReason}}',
      links: [{ title: 'Test Logs', url: ['{{logsUrl}}'] }],
      labels: {
        'appstudio.openshift.io/component': '{{componentName}}',
        'test.appstudio.openshift.io/scenario': '{{scenario}}',
      },
    },
  },
  {
    name: 'test-success',
    description: 'Integration tests passed for a component: resolve its test issues.',
    fields: { componentName: { type: 'string', required: true }, scenario: { type: 'string' } },
    scope: { resourceType: 'component', resourceName: '{{componentName}}' },
    resolve: {
      issueType: 'test',
      message: 'Resolved {{resolved}} test issue(s) for component {{componentName}}',
    },
  },
  {
    name: 'run-failure',
    description:
      'A CI run (build, test, release, dependency update or any pipeline) failed: the bridge operator reports it.',
    fields: {
      issueType: { type: 'enum', required: true, values: [...ISSUE_TYPES] },
      scopeType: { type: 'enum', required: true, values: [...RUN_SCOPES] },
      scopeName: { type: 'string', required: true },
      title: { type: 'string', required: true },
      reason: { type: 'string', required: true },
      runId: { type: 'string', description: 'a run reported twice is counted once' },
      logsUrl: { type: 'string' },
      severity: severityField,
      runStartedAt: runStartedAtField,
    },
    scope: { resourceType: '{{scopeType}}', resourceName: '{{scopeName}}' },
    report: {
      issueType: { field: 'issueType' },
      severity: severityFromPayload,
      title: '{{title}}',
      description: '{{reason}}',
      runId: '{{runId}}',
      links: [{ title: 'Run logs', url: ['{{logsUrl}}'] }],
    },
  },
  {
    name: 'run-success',
    description: 'A CI run succeeded: resolve the active issues of that type in its scope.',
    fields: {
      issueType: { type: 'enum', required: true, values: [...ISSUE_TYPES] },
      scopeType: { type: 'enum', required: true, values: [...RUN_SCOPES] },
      scopeName: { type: 'string', required: true },
      runId: { type: 'string' },
      runStartedAt: runStartedAtField,
    },
    scope: { resourceType: '{{scopeType}}', resourceName: '{{scopeName}}' },
    resolve: {
      issueType: { field: 'issueType' },
      runId: '{{runId}}',
      message: 'Resolved {{resolved}} {{issueType}} issue(s) for {{scopeType}} {{scopeName}}',
    },
  },
  {
    name: 'task-update',
    description:
      'A component builds with an outdated Tekton task bundle: one issue per component and task, due when the bundle stops being acceptable.',
    fields: {
      component: { type: 'string', required: true },
      application: { type: 'string' },
      task: { type: 'string', required: true, description: 'the task name, e.g. buildah' },
      bundle: { type: 'string', required: true, description: 'the bundle reference in use' },
      version: { type: 'string', description: 'the task version in use, e.g. 0.4' },
      newVersion: { type: 'string', description: 'the newest acceptable version, e.g. 0.5' },
      dueAt: {
        type: 'string',
        required: true,
        format: 'date-time',
        description: 'RFC 3339: when the bundle in use stops being acceptable',
      },
      migrationRequired: {
        type: 'enum',
        values: ['true', 'false'],
        description: 'whether moving to the new version needs pipeline changes',
      },
      migrationUrl: {
        type: 'string',
        format: 'http-url',
        description: "the new version's MIGRATION.md",
      },
      severity: severityField,
      runId: {
        type: 'string',
        description:
          'the PipelineRun the bundle was seen in; named in the description, not used to drop repeats (the same run is reported again as its due date nears)',
      },
    },
    scope: { resourceType: 'component-task', resourceName: '{{component}}/{{task}}' },
    report: {
      issueType: 'task-update',
      severity: severityFromPayload,
      title: [
        'Task {{task}} {{version}} in component {{component}} is outdated: update by {{dueAt|date}}',
        'Task {{task}} in component {{component}} is outdated: update by {{dueAt|date}}',
      ],
      description: [
        'Component {{component}} builds with task bundle {{bundle}} (seen in {{runId}}), acceptable until {{dueAt}}. Update it to version {{newVersion}}.',
        'Component {{component}} builds with task bundle {{bundle}} (seen in {{runId}}), acceptable until {{dueAt}}. Update it to a current bundle.',
        'Component {{component}} builds with task bundle {{bundle}}, acceptable until {{dueAt}}. Update it to version {{newVersion}}.',
        'Component {{component}} builds with task bundle {{bundle}}, acceptable until {{dueAt}}. Update it to a current bundle.',
      ],
      dueAt: '{{dueAt}}',
      migration: { required: '{{migrationRequired}}', url: '{{migrationUrl}}' },
      links: [{ title: 'Migration guide', url: ['{{migrationUrl}}'] }],
      labels: {
        'appstudio.openshift.io/component': '{{component}}',
        'appstudio.openshift.io/application': '{{application}}',
        'kite.konflux-ci.dev/task': '{{task}}',
      },
    },
  },
  {
    name: 'task-current',
    description:
      "A component's build uses a current bundle of a task: resolve its task-update issue.",
    fields: {
      component: { type: 'string', required: true },
      task: { type: 'string', required: true },
      runId: { type: 'string', description: 'the PipelineRun that used a current bundle' },
    },
    scope: { resourceType: 'component-task', resourceName: '{{component}}/{{task}}' },
    resolve: {
      issueType: 'task-update',
      runId: '{{runId}}',
      message:
        'Resolved {{resolved}} task-update issue(s) for task {{task}} in component {{component}}',
    },
  },
];

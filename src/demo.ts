/**
 * A few realistic issues for `kite serve --demo`, reported through the same path as real
 * reports. Seeded only into an empty store, so restarts do not inflate the counts.
 */
import type { IssueReport } from './domain/issue.js';
import type { Database } from './store/database.js';
import type { IssueStore } from './store/issue-store.js';

const DEMO_REPORTS: IssueReport[] = [
  {
    namespace: 'team-alpha',
    issueType: 'build',
    scope: { resourceType: 'component', resourceName: 'frontend', resourceNamespace: 'team-alpha' },
    title: 'Build failed: frontend',
    description:
      'Task buildah failed: step build exited with code 1: npm ERR! Cannot find module "react-dom/client"',
    severity: 'major',
    links: [
      {
        title: 'Pipeline Run Logs',
        url: 'https://konflux.example.com/ns/team-alpha/pipelinerun/frontend-on-push-x7k2p/logs',
      },
    ],
    labels: {
      'appstudio.openshift.io/component': 'frontend',
      'appstudio.openshift.io/application': 'storefront',
      'pipelinesascode.tekton.dev/event-type': 'push',
    },
  },
  {
    namespace: 'team-alpha',
    issueType: 'test',
    scope: {
      resourceType: 'component',
      resourceName: 'checkout-api',
      resourceNamespace: 'team-alpha',
    },
    title: 'Integration test e2e-smoke failed for checkout-api',
    description:
      'Integration test scenario e2e-smoke failed for component checkout-api: 2 of 48 tests failed (payment timeout)',
    severity: 'minor',
    links: [
      {
        title: 'Test Logs',
        url: 'https://konflux.example.com/ns/team-alpha/pipelinerun/e2e-smoke-9qv4d/logs',
      },
    ],
    labels: {
      'appstudio.openshift.io/component': 'checkout-api',
      'test.appstudio.openshift.io/scenario': 'e2e-smoke',
    },
  },
  {
    namespace: 'team-alpha',
    issueType: 'release',
    scope: {
      resourceType: 'application',
      resourceName: 'storefront',
      resourceNamespace: 'team-alpha',
    },
    title: 'Release storefront-2026-11-21 failed for application storefront',
    description:
      'Release storefront-2026-11-21 of application storefront failed during ManagedPipelineProcessing: verify-enterprise-contract reported 3 violations',
    severity: 'critical',
    labels: { 'appstudio.openshift.io/application': 'storefront' },
  },
  {
    namespace: 'team-beta',
    issueType: 'dependency',
    scope: {
      resourceType: 'mintmaker-error',
      resourceName: 'github.com/example/payments@main',
      resourceNamespace: 'team-beta',
    },
    title: 'MintMaker error: 1 log line(s) for github.com/example/payments@main',
    description:
      'Authentication failure: the GitHub App installation token for github.com/example/payments expired',
    severity: 'major',
    labels: { 'mintmaker.appstudio.redhat.com/pipeline-id': 'github.com/example/payments@main' },
  },
  {
    namespace: 'team-beta',
    issueType: 'pipeline',
    scope: {
      resourceType: 'pipelinerun',
      resourceName: 'docs-site-on-pull-request',
      resourceNamespace: 'team-beta',
    },
    title: 'Pipeline run failed: docs-site-on-pull-request',
    description:
      'The pipeline run docs-site-on-pull-request failed with reason: CouldntGetPipeline: pipeline "docker-build-oci-ta" not found',
    severity: 'info',
    labels: { 'pipelinesascode.tekton.dev/event-type': 'pull_request' },
  },
];

export async function seedDemo(db: Database, store: IssueStore): Promise<number> {
  const existing = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM issues');
  if ((existing.rows[0]?.n ?? 0) > 0) return 0;
  for (const report of DEMO_REPORTS) await store.report(report);
  return DEMO_REPORTS.length;
}

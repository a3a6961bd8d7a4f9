/**
 * Corpus causes from MintMaker: the operator's reason for a failed Renovate run, and the
 * renovate-log-analyzer's reports (`mintmaker-custom` webhook: the description is the
 * joined log lines, some as Renovate's messages, some as its JSON log lines).
 */
import type { Cause, Variant } from './failure-corpus.js';
import { duration, failedTask, stepExited, taskRun, tasksCompleted } from './failure-corpus.js';

const repo = (v: Variant) => `github.com/acme/${v.component}@main`;
const analyzer = (v: Variant, ...logs: string[]) => ({
  issueType: 'dependency' as const,
  title: `MintMaker error: ${logs.length} log line(s) for ${repo(v)}`,
  description: logs.join('\n'),
  labels: { 'mintmaker.appstudio.redhat.com/pipeline-id': repo(v) },
});
const json = (v: Variant, msg: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    name: 'renovate',
    hostname: `renovate-${v.suffix}`,
    pid: v.line,
    level: 50,
    logContext: v.uuid,
    repository: `acme/${v.component}`,
    time: v.time,
    msg,
    ...extra,
  });
const mintmakerRun = (v: Variant, line: string) => ({
  issueType: 'dependency' as const,
  title: `Dependency update (MintMaker) failed for component ${v.component} (github.com/acme/${v.component}, branch main)`,
  description: [
    `MintMaker run mintmaker-${v.component}-${v.suffix} failed.`,
    tasksCompleted(v),
    line,
  ].join('\n'),
});

export const RENOVATE_CAUSES: Cause[] = [
  {
    name: 'mintmaker: renovate step exited 1',
    failureClass: 'build-error',
    report: (v) =>
      mintmakerRun(
        v,
        failedTask(
          v,
          'renovate',
          stepExited(v, 'renovate', 'renovate', 1, 'quay.io/konflux-ci/mintmaker-renovate-image'),
        ),
      ),
  },
  {
    name: 'mintmaker: renovate TaskRun timeout',
    failureClass: 'timeout',
    report: (v) =>
      mintmakerRun(
        v,
        failedTask(
          v,
          'renovate',
          `TaskRunTimeout: TaskRun "${taskRun(v, 'renovate')}" failed to finish within "${duration(v)}"`,
        ),
      ),
  },
  {
    name: 'renovate: platform authentication failure',
    failureClass: 'token-expired',
    report: (v) =>
      analyzer(
        v,
        json(v, 'Authentication failure', {
          err: {
            message: 'Authentication failure',
            stack: `Error: Authentication failure\n    at ${v.root}/lib/util/http/github.ts:${v.line}:11`,
          },
        }),
      ),
  },
  {
    name: 'renovate: installation token expired',
    failureClass: 'token-expired',
    report: (v) =>
      analyzer(
        v,
        `GitHub API error: 401 Bad credentials (request id ${v.uuid.slice(0, 4).toUpperCase()}:1A2B:${v.line}0C3D:${v.line}4E5F:${v.commit.slice(0, 8).toUpperCase()}): the installation token has expired`,
      ),
  },
  {
    name: 'renovate: app not installed on the repository',
    failureClass: 'missing-app-installation',
    report: (v) =>
      analyzer(
        v,
        `Cannot find a GitHub App installation for repository acme/${v.component}: the app is not installed on the repository`,
        `Repository ${v.component} skipped`,
      ),
  },
  {
    name: 'renovate: config validation (packageRules)',
    failureClass: 'config-error',
    report: (v) =>
      analyzer(
        v,
        json(v, 'Repository has invalid config', {
          configFile: 'renovate.json',
          error: {
            validationError: `config-validation: Invalid configuration option: packageRules[${v.completed % 3}].matchPackagePatterns`,
            validationSource: 'renovate.json',
          },
        }),
        `Config validation error: packageRules: matchPackagePatterns is not allowed`,
      ),
  },
  {
    name: 'renovate: unknown preset',
    failureClass: 'config-error',
    report: (v) =>
      analyzer(
        v,
        `config-validation: Cannot find preset's package (github>acme/renovate-config) for repository acme/${v.component}`,
      ),
  },
  {
    name: 'renovate: lookup of quay.io/acme/base-image unauthorized',
    failureClass: 'registry-auth',
    report: (v) =>
      analyzer(
        v,
        `Failed to look up docker package quay.io/acme/base-image: unauthorized: authentication required (time ${v.time})`,
      ),
  },
  {
    name: 'renovate: lookup of quay.io/acme/builder unauthorized',
    failureClass: 'registry-auth',
    report: (v) =>
      analyzer(
        v,
        `Failed to look up docker package quay.io/acme/builder: unauthorized: authentication required (time ${v.time})`,
      ),
  },
  {
    name: 'renovate: lookup of a Go module with an unknown revision',
    failureClass: 'build-error',
    report: (v) =>
      analyzer(
        v,
        json(v, 'Failed to look up go package github.com/acme/internal-lib', {
          err: { message: `unknown revision v${v.version.replace(/^v/, '')}` },
        }),
      ),
  },
  {
    name: 'renovate: [SECURITY] golang.org/x/net go.sum conflict',
    failureClass: 'dependency-conflict',
    report: (v) =>
      analyzer(
        v,
        `artifactErrors: Update module golang.org/x/net to v0.${v.line % 40}.0 [SECURITY] (CVE-2023-45288, CVE-2023-39325)`,
        `Command failed: go get -t ./... in ${v.root}: go: github.com/acme/${v.component}/pkg@${v.commit.slice(0, 12)} requires golang.org/x/net@v0.17.0, but golang.org/x/net@v0.${v.line % 40}.0 is selected: conflicting requirements`,
      ),
  },
  {
    name: 'renovate: [SECURITY] requests pip conflict',
    failureClass: 'dependency-conflict',
    report: (v) =>
      analyzer(
        v,
        `artifactErrors: Update dependency requests to ${v.version} [SECURITY] (CVE-2024-35195)`,
        `ERROR: ResolutionImpossible: requests==${v.version} is incompatible with urllib3<1.27 required by botocore at ${v.root}/requirements.txt`,
      ),
  },
  {
    name: 'renovate: npm lock file ERESOLVE for react',
    failureClass: 'dependency-conflict',
    report: (v) =>
      analyzer(
        v,
        `Error updating package-lock.json for dependency "react": npm ERR! ERESOLVE could not resolve while resolving: ${v.component}@${v.version}`,
        `npm ERR! Conflicting peer dependency: react-dom@${v.version}`,
      ),
  },
  {
    name: 'renovate: git clone could not read username',
    failureClass: 'other',
    report: (v) =>
      analyzer(
        v,
        `Error cloning repository: fatal: could not read Username for 'https://github.com': No such device or address (${v.root}/repos/github/acme/${v.component})`,
      ),
  },
  {
    name: 'renovate: vulnerability alerts not accessible',
    failureClass: 'missing-app-installation',
    report: (v) =>
      analyzer(
        v,
        json(
          v,
          'Cannot access vulnerability alerts. Please ensure permissions have been granted.',
          { err: { message: 'Resource not accessible by integration', statusCode: 403 } },
        ),
      ),
  },
];

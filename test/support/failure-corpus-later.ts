/**
 * Corpus causes written after the rules were frozen, to see how the rules do on shapes
 * they were not written for (docs/failure-signatures.md records the first measurement);
 * kept in the corpus since, like every other cause. The npm E401 cause was first written
 * down as `token-expired`; it is the credentials of a package registry: `registry-auth`.
 */
import type { Cause, Variant } from './failure-corpus.js';
import { failedTask, pipelineRun, stepExited, taskRun, tasksCompleted } from './failure-corpus.js';

const build = (v: Variant, ...lines: string[]) => ({
  issueType: 'build' as const,
  title: `Pipeline run failed: ${pipelineRun(v)}`,
  description: [tasksCompleted(v), ...lines].join('\n'),
});
const buildFailed = (v: Variant, ...lines: string[]) => ({
  issueType: 'build' as const,
  title: `Build failed: ${v.component}`,
  description: `The build of component ${v.component} failed: ${lines.join('\n')}`,
});
const analyzer = (v: Variant, ...logs: string[]) => ({
  issueType: 'dependency' as const,
  title: `MintMaker error: ${logs.length} log line(s) for github.com/acme/${v.component}@main`,
  description: logs.join('\n'),
});
const json = (v: Variant, level: number, msg: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    name: 'renovate',
    level,
    time: v.time,
    repository: `acme/${v.component}`,
    msg,
    ...extra,
  });

export const LATER_CAUSES: Cause[] = [
  {
    name: 'later: buildah no space left on device',
    failureClass: 'build-error',
    report: (v) =>
      buildFailed(
        v,
        `Error: committing container for step {Env:[PATH=/usr/local/bin] Command:run Args:[make dist]}: copying layers and metadata for container "${v.commit}": writing blob: adding layer with blob "sha256:${v.digest}": processing tar file(write ${v.root}/dist/bundle.js: no space left on device): exit status 1`,
      ),
  },
  {
    name: 'later: bundle resolution DNS failure',
    failureClass: 'build-error',
    report: (v) =>
      build(
        v,
        failedTask(
          v,
          'init',
          `TaskRunResolutionFailed: error requesting remote resource: error getting "bundleresolver" "${v.namespace}/bundles-${v.suffix}": cannot retrieve the oci image: Get "https://quay.io/v2/": dial tcp: lookup quay.io on 172.30.0.${v.line % 250}:53: no such host`,
        ),
      ),
  },
  {
    name: 'later: pod config error, pull secret missing',
    failureClass: 'config-error',
    report: (v) =>
      build(
        v,
        failedTask(
          v,
          'build-container',
          `CreateContainerConfigError: Failed to create pod due to config error: secret "${v.component}-pull-secret" not found`,
        ),
      ),
  },
  {
    name: 'later: GitHub API rate limit',
    failureClass: 'other',
    report: (v) =>
      analyzer(
        v,
        json(v, 50, 'GitHub API rate limit exceeded', {
          err: { message: `API rate limit exceeded for installation ID ${v.line * 1000 + 17}.` },
        }),
      ),
  },
  {
    name: 'later: Go nil pointer panic in tests',
    failureClass: 'test-failure',
    report: (v) => ({
      issueType: 'pipeline',
      title: `CI run failed for ${v.component}`,
      description: [
        `panic: runtime error: invalid memory address or nil pointer dereference [recovered]`,
        `[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x${v.commit.slice(0, 7)}]`,
        `goroutine ${v.line} [running]:`,
        `github.com/acme/${v.component}/internal/store.(*Store).Get(0x0, {0x${v.commit.slice(8, 14)}, 0x${v.line}})`,
        `\t${v.root}/internal/store/store.go:${v.line}+0x1c`,
        `FAIL\tgithub.com/acme/${v.component}/internal/store\t${v.hours}.${v.minutes}s`,
      ].join('\n'),
    }),
  },
  {
    name: 'later: python module not found',
    failureClass: 'build-error',
    report: (v) =>
      buildFailed(
        v,
        `Traceback (most recent call last):`,
        `  File "${v.root}/setup.py", line ${v.line}, in <module>`,
        `ModuleNotFoundError: No module named 'setuptools_scm'`,
        `Error: building at STEP "RUN pip install ." : while running runtime: exit status 1`,
      ),
  },
  {
    name: 'later: maven compilation failure',
    failureClass: 'build-error',
    report: (v) =>
      buildFailed(
        v,
        `[INFO] BUILD FAILURE`,
        `[INFO] Total time:  ${v.minutes}.${v.line % 100} s`,
        `[INFO] Finished at: ${v.time}`,
        `[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile (default-compile) on project ${v.component}: Compilation failure`,
      ),
  },
  {
    name: 'later: integration test timed out',
    failureClass: 'timeout',
    report: (v) => ({
      issueType: 'test',
      title: `Integration test e2e failed for ${v.component}`,
      description: `Integration test scenario e2e-${v.component} failed for component ${v.component}: TaskRun "${taskRun(v, 'run-tests')}" timed out after ${v.minutes + 10}m0s`,
    }),
  },
  {
    name: 'later: release signing deadline exceeded',
    failureClass: 'timeout',
    report: (v) => ({
      issueType: 'release',
      title: `Release failed for application ${v.component} during ManagedProcessing`,
      description: [
        `Release ${v.release} failed during ManagedProcessing: Failed: Release processing failed on managed pipelineRun managed-${v.suffix}`,
        `Failed task: sign-index-image (step sign): Error: signing failed: Post "https://signing.internal.example.com/v1/sign/${v.uuid}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
        `Snapshot: ${v.snapshot}`,
      ].join('\n'),
    }),
  },
  {
    name: 'later: [SECURITY] lodash npm token invalid',
    failureClass: 'registry-auth',
    report: (v) =>
      analyzer(
        v,
        `artifactErrors: Update dependency lodash to v4.17.21 [SECURITY] (CVE-2021-23337)`,
        `npm ERR! code E401`,
        `npm ERR! Unable to authenticate, your authentication token seems to be invalid.`,
        `npm ERR! A complete log of this run can be found in: /tmp/renovate/cache/others/npm/_logs/${v.time.replace(/[:.]/g, '_')}-debug-0.log`,
      ),
  },
  {
    name: 'later: use-trusted-artifact step in clair-scan',
    failureClass: 'build-error',
    report: (v) =>
      build(
        v,
        failedTask(
          v,
          'clair-scan',
          stepExited(
            v,
            'clair-scan',
            'use-trusted-artifact',
            1,
            'quay.io/konflux-ci/build-trusted-artifacts',
          ),
        ),
      ),
  },
  {
    name: 'later: docker build cache key not found',
    failureClass: 'build-error',
    report: (v) =>
      buildFailed(
        v,
        `#${v.line % 30} ERROR: failed to calculate checksum of ref ${v.uuid}::${v.commit.slice(0, 25)}: "/app/dist": not found`,
        `error: failed to solve: failed to compute cache key: failed to calculate checksum of ref ${v.uuid}::${v.commit.slice(0, 25)}: "/app/dist": not found`,
      ),
  },
];

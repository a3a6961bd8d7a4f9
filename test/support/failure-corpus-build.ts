/**
 * Corpus causes from build logs: the `build-failure` webhook's error message (buildah,
 * podman, skopeo, npm, pip and Go error lines) and the `ci-run-failure` webhook's reason.
 */
import type { Cause, Variant } from './failure-corpus.js';

const buildFailed = (v: Variant, ...lines: string[]) => ({
  issueType: 'build' as const,
  title: `Build failed: ${v.component}`,
  description: `The build of component ${v.component} failed: ${lines.join('\n')}`,
});

export const BUILD_CAUSES: Cause[] = [
  {
    name: 'buildah: RUN npm ci exit status 1',
    failureClass: 'build-error',
    report: (v) =>
      buildFailed(
        v,
        `[2/3] STEP 6/9: RUN npm ci --omit=dev`,
        `${v.time} npm warn deprecated inflight@1.0.6: This module is not supported`,
        `Error: building at STEP "RUN npm ci --omit=dev": while running runtime: exit status 1`,
      ),
  },
  {
    name: 'buildah: RUN go build exit status 2',
    failureClass: 'build-error',
    report: (v) =>
      buildFailed(
        v,
        `[1/2] STEP 5/7: RUN go build -o /opt/app-root/${v.component} ./cmd/server`,
        `Error: building at STEP "RUN go build -o /opt/app-root/${v.component} ./cmd/server": while running runtime: exit status 2`,
      ),
  },
  {
    name: 'buildah: push unauthorized on quay.io',
    failureClass: 'registry-auth',
    report: (v) =>
      buildFailed(
        v,
        `Copying blob sha256:${v.digest}`,
        `Error: writing blob: initiating layer upload to /v2/redhat-user-workloads/${v.namespace}/${v.component}/blobs/uploads/ in quay.io: unauthorized: access to the requested resource is not authorized`,
      ),
  },
  {
    name: 'buildah: base image pull invalid credentials on registry.redhat.io',
    failureClass: 'registry-auth',
    report: (v) =>
      buildFailed(
        v,
        `[1/2] STEP 1/7: FROM registry.redhat.io/rhel9/go-toolset:${v.version} AS builder`,
        `Error: creating build container: initializing source docker://registry.redhat.io/rhel9/go-toolset:${v.version}: unable to retrieve auth token: invalid username/password: unauthorized: Please login to the Red Hat Registry using your Customer Portal credentials.`,
      ),
  },
  {
    name: 'buildah: base image manifest unknown',
    failureClass: 'build-error',
    report: (v) =>
      buildFailed(
        v,
        `Error: creating build container: initializing source docker://registry.access.redhat.com/ubi9/nodejs-18:${v.version}: reading manifest ${v.version} in registry.access.redhat.com/ubi9/nodejs-18: manifest unknown`,
      ),
  },
  {
    name: 'buildah: context file missing',
    failureClass: 'build-error',
    report: (v) =>
      buildFailed(
        v,
        `Error: building at STEP "COPY package.json package-lock.json ./": checking on sources under "${v.root}": copier: stat: "/package-lock.json": no such file or directory`,
      ),
  },
  {
    name: 'go: undefined symbol',
    failureClass: 'build-error',
    report: (v) =>
      buildFailed(
        v,
        `# github.com/acme/${v.component}/internal/api`,
        `${v.root}/internal/api/handler.go:${v.line}:9: undefined: NewRouter`,
        `Error: building at STEP "RUN make build": while running runtime: exit status 2`,
      ),
  },
  {
    name: 'npm: ERESOLVE peer conflict',
    failureClass: 'dependency-conflict',
    report: (v) =>
      buildFailed(
        v,
        `npm error code ERESOLVE`,
        `npm error ERESOLVE unable to resolve dependency tree`,
        `npm error Found: react@${v.version}`,
        `npm error A complete log of this run can be found in: /root/.npm/_logs/${v.time.replace(/[:.]/g, '_')}-debug-0.log`,
      ),
  },
  {
    name: 'pip: ResolutionImpossible',
    failureClass: 'dependency-conflict',
    report: (v) =>
      buildFailed(
        v,
        `ERROR: Cannot install -r requirements.txt (line ${v.line}) and urllib3==${v.version} because these package versions have conflicting dependencies.`,
        `ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts`,
      ),
  },
  {
    name: 'ci: registry push denied on ghcr',
    failureClass: 'registry-auth',
    report: (v) => ({
      issueType: 'pipeline',
      title: `CI run failed for ${v.component}`,
      description: `${v.time} Error: failed to push ghcr.io/acme/${v.component}:${v.commit.slice(0, 7)}: denied: permission_denied: write_package (request id ${v.uuid})`,
    }),
  },
  {
    name: 'ci: unit tests failed',
    failureClass: 'test-failure',
    report: (v) => ({
      issueType: 'pipeline',
      title: `CI run failed for ${v.component}`,
      description: [
        `--- FAIL: TestReconcileDeletesOrphans (${v.minutes}.${v.hours}2s)`,
        `    controller_test.go:${v.line}: expected 0 orphans, got 1`,
        `FAIL\tgithub.com/acme/${v.component}/internal/controller\t${v.hours}.${v.line}s`,
      ].join('\n'),
    }),
  },
  {
    name: 'ci: node heap out of memory',
    failureClass: 'out-of-memory',
    report: (v) => ({
      issueType: 'pipeline',
      title: `CI run failed for ${v.component}`,
      description: [
        `<--- Last few GCs --->`,
        `[${v.line}:0x${v.commit.slice(0, 12)}]    ${v.minutes * 1000 + 17} ms: Mark-Compact 2046.3 (2083.1) -> 2045.9 (2083.4) MB`,
        `FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory`,
      ].join('\n'),
    }),
  },
];

/**
 * A corpus of real-shaped failure reports for the signature tests: distinct causes, each
 * a template over what changes from one run to the next (component, namespace, the
 * generated run suffix, image digests, timestamps, paths, line numbers, durations,
 * versions, request ids). The shapes are those KITE writes (src/operator/controllers/*:
 * run-failure, release, mintmaker) and receives (src/domain/builtin-webhooks.ts), with
 * Tekton's condition messages and Renovate's, buildah's, npm's, pip's and Go's error lines
 * as those tools print them.
 */
import fc from 'fast-check';
import type { FailureClass, SignatureInput } from '../../src/domain/failure-signature.js';
import { TEKTON_CAUSES } from './failure-corpus-tekton.js';
import { BUILD_CAUSES } from './failure-corpus-build.js';
import { RENOVATE_CAUSES } from './failure-corpus-renovate.js';
import { LATER_CAUSES } from './failure-corpus-later.js';

/** What differs between two reports of the same cause. */
export interface Variant {
  component: string;
  namespace: string;
  /** Kubernetes' generated-name suffix of the PipelineRun. */
  suffix: string;
  digest: string;
  commit: string;
  time: string;
  /** A directory the failing file lives under. */
  root: string;
  line: number;
  hours: number;
  minutes: number;
  version: string;
  uuid: string;
  /** How many tasks ran before the failure (Tekton's "Tasks Completed: N"). */
  completed: number;
  /** A release's name (`<application>-<hash>`) and the snapshot it released. */
  release: string;
  snapshot: string;
}

export interface Cause {
  name: string;
  failureClass: FailureClass;
  report(v: Variant): SignatureInput;
}

/** Four hand-written variants; each cause uses two to four of them. */
export const VARIANTS: readonly Variant[] = [
  {
    component: 'frontend',
    namespace: 'team-alpha-tenant',
    suffix: '8xk2p',
    digest: '3d8f2c1a9b7e6d5c4b3a29181716151413121110a0b0c0d0e0f1011121314151',
    commit: '9c1e5b7f2a4d6e8c0b1a3f5e7d9c2b4a6f8e0d1c',
    time: '2026-12-01T07:14:03Z',
    root: '/workspace/source',
    line: 42,
    hours: 1,
    minutes: 0,
    version: '1.21.4',
    uuid: '0f3c2a9e-5b7d-4c1e-9a2b-3c4d5e6f7a8b',
    completed: 4,
    release: 'frontend-release-20261201-071403',
    snapshot: 'frontend-app-x7kqz',
  },
  {
    component: 'payments-api',
    namespace: 'fintech-tenant',
    suffix: 'zt7x9',
    digest: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
    commit: '1234abcd5678ef901234abcd5678ef901234abcd',
    time: '2026-11-28T23:59:59.123+01:00',
    root: '/var/workdir/source/services/payments',
    line: 7,
    hours: 2,
    minutes: 30,
    version: '2.0.0-rc.1',
    uuid: 'b5e0c7a2-1111-4222-8333-944455566677',
    completed: 9,
    release: 'payments-7f3c9',
    snapshot: 'payments-snapshot-hq5mb',
  },
  {
    component: 'ui2',
    namespace: 'rhtap-demo',
    suffix: '4vq6d',
    digest: 'ffee00112233445566778899aabbccddeeff00112233445566778899aabbccdd',
    commit: 'deadbeef00112233445566778899aabbccddeeff',
    time: '2027-01-05T00:00:00.000Z',
    root: '/tekton/home/src',
    line: 1288,
    hours: 0,
    minutes: 45,
    version: 'v0.4.12',
    uuid: '7d3f0b91-aaaa-4bbb-8ccc-dddd0000eeee',
    completed: 1,
    release: 'ui2-rel-2',
    snapshot: 'ui2-qwl8r',
  },
  {
    component: 'operator-bundle',
    namespace: 'sre-platform-tenant',
    suffix: 'hh92c',
    digest: '0000000000000000000000000000000000000000000000000000000000000abc',
    commit: 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9',
    time: '2026-06-30T12:00:00+00:00',
    root: '/home/user/go/src/github.com/acme/operator',
    line: 3,
    hours: 3,
    minutes: 0,
    version: '10.3',
    uuid: '12345678-9abc-4def-8123-456789abcdef',
    completed: 12,
    release: 'operator-bundle-20270105',
    snapshot: 'operator-bundle-snap-9xk2w',
  },
];

const FUNCTION_WORDS = new Set(
  'failed fails plan pipeline of for is was has had during not and to in with does did cannot could'.split(
    ' ',
  ),
);

const hex = (length: number) =>
  fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`)).filter((s) => /[a-f]/.test(s));

/** Any variant: the property tests draw from these. */
export const variantArbitrary: fc.Arbitrary<Variant> = fc.record({
  // A component named like a word of the sentences ("of", "for") is read as the word.
  component: fc
    .stringMatching(/^[a-z][a-z0-9]{1,9}(?:-[a-z][a-z0-9]{1,7}){0,2}$/)
    .filter((name) => !FUNCTION_WORDS.has(name)),
  namespace: fc.stringMatching(/^[a-z][a-z0-9]{1,9}(?:-[a-z0-9]{1,8}){0,2}-tenant$/),
  suffix: fc.stringMatching(/^[bcdfghjklmnpqrstvwxz2456789]{5}$/),
  digest: hex(64),
  commit: hex(40),
  time: fc
    .date({
      min: new Date('2020-01-01T00:00:00Z'),
      max: new Date('2030-12-31T23:59:59Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  root: fc
    .array(fc.stringMatching(/^[a-z][a-z0-9_.-]{0,11}$/), { minLength: 1, maxLength: 5 })
    .map((parts) => `/${parts.join('/')}`),
  line: fc.integer({ min: 1, max: 99_999 }),
  hours: fc.integer({ min: 0, max: 5 }),
  minutes: fc.integer({ min: 0, max: 59 }),
  version: fc
    .tuple(fc.nat(40), fc.nat(40), fc.nat(200), fc.boolean())
    .map(([a, b, c, v]) => `${v ? 'v' : ''}${a}.${b}.${c}`),
  uuid: fc.uuid(),
  completed: fc.integer({ min: 0, max: 30 }),
  release: fc.stringMatching(/^[a-z][a-z0-9]{1,9}-[a-z0-9]{3,10}$/),
  snapshot: fc.stringMatching(/^[a-z][a-z0-9]{1,9}-[bcdfghjklmnpqrstvwxz2456789]{5}$/),
});

/** Every cause of the corpus. */
export const CAUSES: readonly Cause[] = [
  ...TEKTON_CAUSES,
  ...BUILD_CAUSES,
  ...RENOVATE_CAUSES,
  ...LATER_CAUSES,
];

/** The corpus as reports: each cause with two to four of the hand-written variants. */
export function corpusReports(): { cause: string; input: SignatureInput }[] {
  return CAUSES.flatMap((cause, index) =>
    VARIANTS.slice(0, 2 + (index % 3)).map((v) => ({ cause: cause.name, input: cause.report(v) })),
  );
}

/** A Tekton duration as a PipelineRun's timeout prints it: `1h0m0s`. */
export const duration = (v: Variant) => `${v.hours}h${v.minutes}m0s`;

/** The PipelineRun Pipelines as Code names, and one of its TaskRuns. */
export const pipelineRun = (v: Variant) => `${v.component}-on-push-${v.suffix}`;
export const taskRun = (v: Variant, task: string) => `${pipelineRun(v)}-${task}`;

/** The operator's line for a failed task (src/operator/controllers/run-failure.ts). */
export const failedTask = (v: Variant, task: string, detail: string) =>
  `Task ${task} failed (TaskRun ${taskRun(v, task)}): ${detail}`;

/** Tekton's message for a step that exited non-zero. */
export const stepExited = (v: Variant, task: string, step: string, code: number, image: string) =>
  `Failed: "step-${step}" exited with code ${code} (image: "${image}@sha256:${v.digest}"); for logs run: kubectl -n ${v.namespace} logs ${taskRun(v, task)}-pod -c step-${step}`;

/** Tekton's summary line on the PipelineRun's condition. */
export const tasksCompleted = (v: Variant) =>
  `Tasks Completed: ${v.completed + 1} (Failed: 1, Cancelled 0), Skipped: ${v.completed % 4}`;

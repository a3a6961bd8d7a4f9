/**
 * The failure signature of a report: what failed (task and step) and the decisive error
 * line(s), normalised so that the same cause in another component, run or namespace gives
 * the same signature (issue 20: root-cause groups). Pure: no I/O.
 *
 * INTERFACE FIRST: the types below are what the store and the API build on; the
 * normalisation itself is a placeholder until the corpus-backed implementation lands.
 */
import type { IssueType, Labels } from './issue.js';

/** Why a failure happened, as far as its text tells. */
export const FAILURE_CLASSES = [
  'token-expired',
  'registry-auth',
  'dependency-conflict',
  'missing-app-installation',
  'config-error',
  'build-error',
  'test-failure',
  'timeout',
  'out-of-memory',
  'other',
] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

/** What a signature is computed from: the parts of a report that describe the failure. */
export interface SignatureInput {
  issueType: IssueType;
  title: string;
  description: string;
  labels?: Labels;
}

export interface FailureSignature {
  /**
   * The normalised text: reports with equal keys share a cause. Shown to explain why
   * members belong; the store keeps a hash of it (the domain does no hashing: no I/O
   * imports here).
   */
  key: string;
  failureClass: FailureClass;
  /** The failed pipeline task, when the text names one. */
  task?: string;
  /** The failed step, when the text names one. */
  step?: string;
  /** For dependency updates: the dependency (e.g. `github.com/foo/bar` or `requests`). */
  dependency?: string;
  /** For `[SECURITY]` updates: the CVE ids, upper case, sorted, unique. */
  cves: string[];
}

/**
 * The signature of a failure report, or null when the text carries nothing to group on
 * (an empty description).
 */
export function failureSignature(input: SignatureInput): FailureSignature | null {
  const line = input.description.split('\n').find((l) => l.trim().length > 0);
  if (line === undefined) return null;
  const key = `${input.issueType}|${line.trim().toLowerCase()}`;
  return {
    key,
    failureClass: 'other',
    cves: [...new Set(input.description.toUpperCase().match(/CVE-\d{4}-\d{4,}/g) ?? [])].sort(),
  };
}

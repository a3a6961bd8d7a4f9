/**
 * Why a failure happened, as far as its text tells, and which dependency a MintMaker
 * (Renovate) failure is about. The classes are tried in order and the first that matches
 * wins: the specific causes a person can fix in one place (an app not installed, an
 * expired token, registry credentials) before the broad ones (a timeout, a build error),
 * because a missing installation often also reads as "authentication failed". Pure: no I/O.
 */
import type { IssueType } from './issue.js';

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

/** Patterns over normalised (lower-case) text, most specific cause first. */
const CLASS_PATTERNS: readonly (readonly [FailureClass, RegExp])[] = [
  [
    'missing-app-installation',
    /github app installation|app (?:is )?not installed|no (?:github app )?installation (?:found|for)|installation not found|integration-unauthorized|resource not accessible by integration|not installed on (?:the )?repository/,
  ],
  [
    'token-expired',
    /token (?:has |is )?expired|expired (?:access |installation )?token|jwt (?:is )?expired|bad credentials|credentials (?:have |has )?expired|token-expired|authentication failure|invalid (?:access )?token|token is (?:no longer )?valid/,
  ],
  [
    'registry-auth',
    /unauthorized: authentication required|requested access to the resource is denied|unauthorized: access to the requested resource is not authorized|pull access denied|denied: .*(?:access|permission)|invalid username\/password|unauthorized to access repository|no basic auth credentials|unable to authenticate|\be401\b|authentication required|status 401|401 unauthorized|unauthorized$|: unauthorized/,
  ],
  [
    'dependency-conflict',
    /\beresolve\b|unable to resolve dependency tree|could not resolve dependency|conflicting peer dependency|resolutionimpossible|version solving failed|conflicting (?:requirements|dependencies|versions)|dependency conflict|incompatible (?:versions|dependencies)|cannot satisfy|no matching version|found no matching versions|is incompatible with|requires .+, but .+ (?:is|was) (?:installed|selected|required)|ambiguous import/,
  ],
  [
    'config-error',
    /config-validation|config validation|createcontainerconfigerror|config error|secret <name> not found|invalid configuration|configuration error|invalid (?:renovate )?config|renovate\.json|unknown preset|preset (?:not found|name not found|fetch error)|invalid json|json parse error|yaml: |pipelinevalidationfailed|couldntgetpipeline|couldntgettask|parametermissing|parametertypemismatch|invalidworkspacebindings?|invalidparamvalue|invalidtaskresultreference|missing parameters|can't be run|resourceverificationfailed|celevaluationfailed|invalidserviceaccountmapping|pipelineinvalidgraph/,
  ],
  [
    'out-of-memory',
    /oomkilled|out of memory|exit(?:ed with)? code 137|cannot allocate memory|heap out of memory|memory limit exceeded/,
  ],
  ['timeout', /timeout|timed out|failed to finish within|deadline exceeded|took too long/],
  [
    'test-failure',
    /tests? failed|failing tests?|test failure|(?:^|\n)fail\b|assertion(?:error)? failed|--- fail|\bfail:|policy violation|violations? found|enterprise contract|\d+ failed,|tests? (?:did not pass|errored)/,
  ],
  [
    'build-error',
    /error building at step|exited with code|exit status|exit code|failed to solve|build failed|compilation (?:failed|error)|npm err|cannot find (?:module|symbol|package)|undefined: |syntax ?error|manifest unknown|not found|error:|failed/,
  ],
];

/** The failure class of a failure's decisive lines (normalised), with the issue type as a tiebreak. */
export function classify(lines: readonly string[], issueType: IssueType): FailureClass {
  const text = lines.join('\n');
  for (const [failureClass, pattern] of CLASS_PATTERNS) {
    if (pattern.test(text)) {
      // A failed integration test is a test failure even when its reason says "failed".
      if (failureClass === 'build-error' && issueType === 'test') return 'test-failure';
      return failureClass;
    }
  }
  return issueType === 'test' ? 'test-failure' : 'other';
}

/**
 * Renovate's ways of naming the dependency it was working on, most explicit first:
 * `Failed to look up <datasource> package <name>`, a `depName`/`packageName` field, an
 * update's title ("Update dependency <name> to v1.2.3", "Update module <name>"), a
 * branch (`renovate/<name>-1.x`).
 */
const DEPENDENCY_PATTERNS: readonly RegExp[] = [
  /failed to look up (?:[\w-]+ )?(?:package|dependency|dep) "?([^\s",:]+)/i,
  /\b(?:depName|packageName)"?\s*[:=]\s*"?([^\s",]+)/i,
  /\bupdate (?:dependency|module|image|package|docker tag|digest of|plugin|action) ([^\s",]+)/i,
  /\b(?:dependency|package|module) "([^"\s]+)"/i,
  /\brenovate\/([a-z0-9][\w./-]*?)-(?:\d+\.x|digest|[0-9.]+)\b/i,
];

/** The dependency a MintMaker failure is about, without its version; undefined when none is named. */
export function dependencyOf(text: string): string | undefined {
  for (const pattern of DEPENDENCY_PATTERNS) {
    const match = pattern.exec(text);
    if (match?.[1]) return match[1].replace(/(?:@|:)v?\d[\w.+-]*$/, '').replace(/[.;]+$/, '');
  }
  return undefined;
}

const CVE = /\bCVE-\d{4}-\d{4,}\b/gi;

/** The CVE ids a text names: upper case, sorted, unique. */
export function cvesOf(text: string): string[] {
  return [...new Set((text.match(CVE) ?? []).map((cve) => cve.toUpperCase()))].sort();
}

/**
 * The failure signature of a report: what failed (task and step) and the decisive error
 * line(s), normalised so that the same cause in another component, run or namespace gives
 * the same signature (issue 20: root-cause groups). Pure: no I/O.
 *
 * Each line of the description is read in one of the shapes KITE writes or receives
 * (the operator's "Task … failed (TaskRun …): …", "The pipeline never started: …",
 * a release's "Failed task: …", the webhooks' sentences, Renovate's JSON log lines) and
 * scored: structured failure lines first, then error-ish lines, then the rest; the
 * best-scored lines are the decisive ones. docs/failure-signatures.md has the rules and
 * the measured precision, recall and cost.
 */
import type { IssueType, Labels } from './issue.js';
import {
  classify,
  cvesOf,
  dependencyOf,
  FAILURE_CLASSES,
  type FailureClass,
} from './failure-classes.js';
import { normaliseLine, stepName, taskName } from './failure-normalise.js';

export { FAILURE_CLASSES, type FailureClass };

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
  /** The decisive lines, normalised, sorted: what the key says in words. */
  lines?: string[];
  /** One sentence for people: the class, where, and the first decisive line. */
  reason?: string;
}

/**
 * Beyond these, a description is not read (a joined Renovate log can be long, ingest must
 * stay cheap): its first 400 lines and 800,000 characters, 2,000 characters a line; at most
 * 12 decisive lines are normalised, and 3 kept.
 */
const LIMITS = { lines: 400, lineLength: 2000, normalised: 12, decisive: 3 } as const;

/** Structured lines (a named failed task, a pipeline that never started) beat error-ish ones. */
const SCORE = { structured: 3, errorish: 2, plain: 1, context: 0 } as const;

interface Candidate {
  text: string;
  score: number;
  task?: string;
  step?: string;
}

/**
 * The operator's and a release's failed-task lines: group 1 the task, group 2 the step (a
 * release names it; empty in the operator's), group 3 the detail.
 */
const TASK_FAILED = /^task (\S+) failed \(taskrun \S+\)()(?::\s*(.*))?$/i;
const RELEASE_TASK = /^failed task: (\S+)(?: \(step (\S+)\))?(?::\s*(.*))?$/i;
const NEVER_STARTED = /^the pipeline never started:\s*(.*)$/i;
/** The webhooks' sentences around the reason they were given (src/domain/builtin-webhooks.ts). */
const WEBHOOK_SENTENCE =
  /^(?:the pipeline run \S+ failed with reason|the build of component \S+ failed|integration test scenario \S+ failed for component \S+):\s*(.*)$/i;
const CONTEXT_LINE =
  /^(?:tasks completed: \d+|mintmaker run \S+ failed\.?$|release pipeline run: |snapshot: |==> task )/i;
const ERRORISH_LINE =
  /[a-z](?:error|exception):|\b(?:error|errors|err!|fatal|fail|failed|failure|fails|undefined|unauthorized|denied|forbidden|exited with code|exit (?:status|code)|oomkilled|timeout|timed out|panic|cannot|can't|could not|couldn't|unable to|invalid|not found|unknown|expired|refused|conflict)\b/i;
const STEP_IN_TEXT = /"step-([\w-]+)"|\bstep "?([\w-]+)"?(?: in taskrun| exited| failed)/i;

/** Renovate's JSON log line: its message and, when present, its error's message. */
function renovateJson(line: string): { text: string; level: number } | undefined {
  if (!line.startsWith('{') || !line.endsWith('}')) return undefined;
  try {
    const entry: unknown = JSON.parse(line);
    if (typeof entry !== 'object' || entry === null) return undefined;
    const { msg, level, err } = entry as { msg?: unknown; level?: unknown; err?: unknown };
    if (typeof msg !== 'string') return undefined;
    const errMessage =
      typeof err === 'object' &&
      err !== null &&
      typeof (err as { message?: unknown }).message === 'string'
        ? `: ${(err as { message: string }).message}`
        : '';
    return { text: `${msg}${errMessage}`, level: typeof level === 'number' ? level : 0 };
  } catch {
    return undefined;
  }
}

function stepOf(text: string): string | undefined {
  const match = STEP_IN_TEXT.exec(text);
  const name = match?.[1] ?? match?.[2];
  return name ? stepName(name) : undefined;
}

/** A failed task's line: the operator's or a release's. */
function failedTask(match: RegExpExecArray): Candidate {
  const detail = match[3] ?? 'failed';
  const step = match[2] ? stepName(match[2]) : stepOf(detail);
  return {
    text: detail,
    score: SCORE.structured,
    task: taskName(match[1]!),
    ...(step ? { step } : {}),
  };
}

function candidateOf(line: string): Candidate {
  const failed = TASK_FAILED.exec(line) ?? RELEASE_TASK.exec(line);
  if (failed) return failedTask(failed);
  const match = NEVER_STARTED.exec(line);
  if (match) return { text: `never started: ${match[1] ?? ''}`, score: SCORE.structured };
  if (CONTEXT_LINE.test(line)) return { text: line, score: SCORE.context };
  const json = renovateJson(line);
  const text = json?.text ?? WEBHOOK_SENTENCE.exec(line)?.[1] ?? line;
  const errorish = (json !== undefined && json.level >= 50) || ERRORISH_LINE.test(text);
  const step = stepOf(text);
  return { text, score: errorish ? SCORE.errorish : SCORE.plain, ...(step ? { step } : {}) };
}

/**
 * The signature of a failure report, or null when the text carries nothing to group on
 * (an empty description).
 */
export function failureSignature(input: SignatureInput): FailureSignature | null {
  const head = input.description.slice(0, LIMITS.lines * LIMITS.lineLength);
  const candidates: Candidate[] = [];
  for (const raw of head.split('\n', LIMITS.lines)) {
    const line = raw.trim().slice(0, LIMITS.lineLength);
    if (line) candidates.push(candidateOf(line));
  }
  if (candidates.length === 0) return null;
  const best = Math.max(...candidates.map((c) => c.score));
  const chosen = candidates.filter((c) => c.score === best);
  // Plain text only: its first line says what happened; the rest is detail.
  const decisive = chosen.slice(0, best <= SCORE.plain ? 1 : LIMITS.normalised);
  const lines = [...new Set(decisive.map((c) => normaliseLine(c.text)))]
    .sort()
    .slice(0, LIMITS.decisive);
  const task = decisive.map((c) => c.task).find(Boolean);
  const step = decisive.map((c) => c.step).find(Boolean);
  const failureClass = classify(lines, input.issueType);
  const dependency =
    input.issueType === 'dependency'
      ? (dependencyOf(head) ?? dependencyOf(input.title))
      : undefined;
  const key = [
    input.issueType,
    failureClass,
    task ?? '',
    step ?? '',
    dependency?.toLowerCase() ?? '',
    ...lines,
  ].join('|');
  const where = [task && `task ${task}`, step && `step ${step}`, dependency].filter(Boolean);
  return {
    key,
    failureClass,
    ...(task ? { task } : {}),
    ...(step ? { step } : {}),
    ...(dependency ? { dependency } : {}),
    cves: cvesOf(`${input.title}\n${head}`),
    lines,
    reason: `${failureClass}${where.length ? ` in ${where.join(', ')}` : ''}: ${lines[0] ?? ''}`,
  };
}

/**
 * A MintMaker run's repository and branch as the git host spells them. MintMaker labels
 * each PipelineRun with the repository and branch made into label values (`/` and every
 * other character a label cannot hold become `_`, ends trimmed, at most 63 characters:
 * `normalizeLabelValue`), and with `repo-branch-hash`, the first 12 hex characters of
 * the SHA-256 of `<git host>/<repository>@<branch>` spelled as on the git host. A label
 * cannot be turned back by itself (`konflux-ci_my_repo` may be `konflux-ci/my_repo` or
 * `konflux-ci/my/repo`); the hash decides: of the spellings that differ only in which
 * `_` were `/`, the one whose hash is the run's is the real one. Without a match (a
 * label truncated, or other characters replaced, or no hash) the label is shown as it is.
 */
import { MINTMAKER_LABELS } from './mintmaker.js';

/** SHA-256 as lowercase hex (passed in: the domain does no I/O, crypto included). */
export type Sha256Hex = (text: string) => string;

export interface GitTarget {
  host: string | undefined;
  repository: string;
  branch: string | undefined;
  /** Spelled as on the git host (checked against the run's hash), not as the label says. */
  exact: boolean;
}

/** Spellings tried at most: 2^12, a few milliseconds of hashing, and memoized. */
const MAX_UNDERSCORES = 12;
const MEMO_SIZE = 1000;
const memo = new Map<string, GitTarget | undefined>();
const HASH = /^[0-9a-f]{12}$/;

/** MintMaker's own making of a label value (its `NormalizeLabelValue`), for comparisons. */
export function normalizeLabelValue(value: string): string {
  return value
    .replaceAll('/', '_')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '_');
}

/** The key MintMaker hashes: `<git host>/<repository>@<branch>`. */
export const repoBranchKey = (host: string, repository: string, branch: string) =>
  `${host}/${repository}@${branch}`;

/** Every spelling of `label` in which each `_` may have been a `/`. */
function spellings(label: string): string[] {
  const parts = label.split('_');
  let out = [parts[0] ?? ''];
  for (const part of parts.slice(1)) {
    out = out.flatMap((prefix) => [`${prefix}_${part}`, `${prefix}/${part}`]);
  }
  return out;
}

/** The run's repository and branch from its labels; undefined without a repository label. */
export function gitTargetOf(
  labels: Readonly<Record<string, string>> | undefined,
  sha256: Sha256Hex,
): GitTarget | undefined {
  const repository = labels?.[MINTMAKER_LABELS.repository] || undefined;
  if (!repository) return undefined;
  const host = labels?.[MINTMAKER_LABELS.gitHost] || undefined;
  const branch = labels?.[MINTMAKER_LABELS.branch] || undefined;
  const hash = labels?.[MINTMAKER_LABELS.repoBranchHash] || undefined;
  const asLabelled: GitTarget = { host, repository, branch, exact: false };
  if (!host || !branch || !hash || !HASH.test(hash)) return asLabelled;
  const key = `${hash}\n${host}\n${repository}\n${branch}`;
  if (memo.has(key)) return memo.get(key) ?? asLabelled;
  const found = exactTarget(host, repository, branch, hash, sha256);
  if (memo.size >= MEMO_SIZE) memo.clear();
  memo.set(key, found);
  return found ?? asLabelled;
}

function exactTarget(
  host: string,
  repositoryLabel: string,
  branchLabel: string,
  hash: string,
  sha256: Sha256Hex,
): GitTarget | undefined {
  const underscores = (repositoryLabel + branchLabel).split('_').length - 2;
  if (underscores > MAX_UNDERSCORES) return undefined;
  for (const repository of spellings(repositoryLabel)) {
    for (const branch of spellings(branchLabel)) {
      if (sha256(repoBranchKey(host, repository, branch)).startsWith(hash)) {
        return { host, repository, branch, exact: true };
      }
    }
  }
  return undefined;
}

/**
 * Whether the Renovate log analyzer's `pipelineId` names the repo-branch of a run with
 * these labels: by MintMaker's hash of it, or (an analyzer that builds it from the run's
 * labels) by the labels themselves.
 */
export function sameRepoBranch(
  pipelineId: string,
  labels: Readonly<Record<string, string>>,
  sha256: Sha256Hex,
): boolean {
  const hash = labels[MINTMAKER_LABELS.repoBranchHash];
  if (hash && HASH.test(hash) && sha256(pipelineId).startsWith(hash)) return true;
  const host = labels[MINTMAKER_LABELS.gitHost];
  const repository = labels[MINTMAKER_LABELS.repository];
  const branch = labels[MINTMAKER_LABELS.branch];
  const slash = pipelineId.indexOf('/');
  const at = pipelineId.indexOf('@', slash + 1);
  if (!host || !repository || !branch || slash < 0 || at < 0) return false;
  return (
    pipelineId.slice(0, slash) === host &&
    normalizeLabelValue(pipelineId.slice(slash + 1, at)) === repository &&
    normalizeLabelValue(pipelineId.slice(at + 1)) === branch
  );
}

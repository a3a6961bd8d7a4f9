/**
 * Ties the two reports of one MintMaker problem together (docs/decisions/0014): the
 * bridge operator's issue for a failed MintMaker run (scope: component and repo-branch
 * hash, labels copied from the run) and the Renovate log analyzer's `mintmaker-*` issues
 * for the same repository branch (scope: `mintmaker-<type>` / `<host>/<repo>@<branch>`,
 * label `…/pipeline-id`). They stay separate issues — each resolves by its own rule and
 * the analyzer's scope is part of the API contract — and are related: whichever arrives
 * second is related to the active issues of the other kind in the same namespace whose
 * repo-branch matches (`sameRepoBranch`: by MintMaker's hash, or by the label values).
 *
 * Wraps `IssueStore.report` for the webhook routes; a relation that cannot be made is
 * logged and never fails the report itself.
 */
import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Issue, IssueReport } from '../domain/issue.js';
import { MINTMAKER_LABELS } from '../domain/mintmaker.js';
import { sameRepoBranch } from '../domain/mintmaker-target.js';
import type { IssueStore } from '../store/issue-store.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** Active issues of the other kind looked at per report (a namespace has a few per branch). */
const CANDIDATES = 200;

/** The store, with every webhook report of a MintMaker problem tied to its counterpart. */
export function withMintmakerTies(store: IssueStore, log: FastifyBaseLogger): IssueStore {
  const counterparts = async (issue: Issue): Promise<Issue[]> => {
    if (issue.issueType !== 'dependency' || issue.state !== 'ACTIVE') return [];
    const pipelineId = issue.labels[MINTMAKER_LABELS.pipelineId];
    const fromRun = issue.labels[MINTMAKER_LABELS.repository] !== undefined;
    if (!pipelineId && !fromRun) return [];
    const { data } = await store.list(
      {
        namespaces: [issue.namespace],
        issueType: 'dependency',
        state: 'ACTIVE',
        labels: [
          {
            key: pipelineId ? MINTMAKER_LABELS.repository : MINTMAKER_LABELS.pipelineId,
            op: 'exists',
          },
        ],
      },
      { limit: CANDIDATES, offset: 0 },
    );
    return data.filter((other) => {
      if (other.id === issue.id) return false;
      const id = pipelineId ?? other.labels[MINTMAKER_LABELS.pipelineId];
      const runLabels = pipelineId ? other.labels : issue.labels;
      return id !== undefined && sameRepoBranch(id, runLabels, sha256);
    });
  };

  const tie = async (issue: Issue): Promise<Issue> => {
    const known = new Set(
      [...issue.relatedTo, ...issue.relatedFrom].flatMap((r) => [r.sourceId, r.targetId]),
    );
    const fresh = (await counterparts(issue)).filter((other) => !known.has(other.id));
    for (const other of fresh) {
      try {
        await store.relate(issue.id, other.id);
      } catch (error) {
        // Related meanwhile by a concurrent report, or deleted: nothing to do.
        if (!(error instanceof Error) || !['ConflictError', 'NotFoundError'].includes(error.name))
          throw error;
      }
    }
    if (fresh.length === 0) return issue;
    log.info(
      { issueId: issue.id, related: fresh.map((other) => other.id) },
      'related the MintMaker run issue and the log analyzer issues of one repository branch',
    );
    return (await store.get(issue.id)) ?? issue;
  };

  return {
    ...store,
    async report(report: IssueReport) {
      const stored = await store.report(report);
      try {
        return { ...stored, issue: await tie(stored.issue) };
      } catch (error) {
        log.warn(
          { issueId: stored.issue.id, err: error instanceof Error ? error.message : String(error) },
          'could not relate a MintMaker issue to its counterpart',
        );
        return stored;
      }
    },
  };
}

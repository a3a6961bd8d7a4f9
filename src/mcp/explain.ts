/**
 * `explain_failure`: everything needed to explain one issue and suggest a fix, in one
 * answer: the issue, its failure signature (class, failed task and step, the decisive
 * lines), the decisive lines of its run log around the first error, the other members of
 * its root-cause group, its own history, and resolved issues that failed the same way,
 * with how each was resolved. Only what the caller may read is searched.
 */
import { Type } from 'typebox';
import type { KiteClient } from '../client/client.js';
import type { Issue } from '../client/types.js';
import { failureSignature, type FailureSignature } from '../domain/failure-signature.js';
import { runOfLink } from '../domain/run-link.js';
import { brief, detail, timelineEntry } from './issue-brief.js';
import { tool, type Tool } from './tool.js';
import { groupOf, mapLimited, readExcerpt } from './tools-read.js';

/** Resolved issues of the same type read to look for the same failure. */
const CANDIDATES = 100;

const signatureOf = (issue: Issue) =>
  failureSignature({
    issueType: issue.issueType,
    title: issue.title,
    description: issue.description,
    labels: issue.labels,
  });

/** How alike another issue's failure is: 2 the same signature, 1 the same class and place, 0 not. */
export function likeness(mine: FailureSignature | null, theirs: FailureSignature | null): number {
  if (!mine || !theirs) return 0;
  if (mine.key === theirs.key) return 2;
  if (mine.failureClass !== theirs.failureClass) return 0;
  if (mine.dependency && mine.dependency === theirs.dependency) return 1;
  if (mine.cves.some((cve) => theirs.cves.includes(cve))) return 1;
  if (mine.task && mine.task === theirs.task && mine.step === theirs.step) return 1;
  return 0;
}

async function similarResolved(
  client: KiteClient,
  issue: Issue,
  mine: FailureSignature | null,
  count: number,
) {
  if (count === 0 || !mine) return [];
  const page = await client.listIssues({
    state: 'RESOLVED',
    issueType: issue.issueType,
    sort: '-detectedAt',
    limit: CANDIDATES,
  });
  const alike = page.data
    .filter((other) => other.id !== issue.id)
    .map((other) => ({ other, score: likeness(mine, signatureOf(other)) }))
    .filter(({ score }) => score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, count);
  return mapLimited(alike, 4, async ({ other, score }) => {
    const events = await client.issueEvents(other.id, { limit: 10 });
    const resolution = events.data.find((event) => event.kind === 'resolved');
    return {
      ...brief(other),
      likeness: score === 2 ? 'same failure signature' : 'same kind of failure in the same place',
      ...(resolution ? { howResolved: timelineEntry(resolution) } : {}),
    };
  });
}

export const explainTool: Tool = tool({
  name: 'explain_failure',
  description:
    'Explain one issue: the issue, its failure signature (class, failed task and step, decisive lines), the lines around the first error of its run log, other components failing for the same cause, its own history (earlier resolutions and reopenings), and resolved issues that failed the same way with how they were resolved. Use it before suggesting a fix.',
  input: Type.Object(
    {
      id: Type.String({ format: 'uuid', description: 'the issue id (a UUID)' }),
      lines: Type.Integer({
        minimum: 0,
        maximum: 200,
        default: 40,
        description: 'log lines around the first error (0: none)',
      }),
      similar: Type.Integer({
        minimum: 0,
        maximum: 10,
        default: 5,
        description: 'resolved look-alikes to include',
      }),
    },
    { additionalProperties: false },
  ),
  annotations: { title: 'Explain a failure', readOnlyHint: true, openWorldHint: false },
  async run({ id, lines, similar }, { client }) {
    const issue = await client.getIssue(id);
    const mine = signatureOf(issue);
    const run = issue.links.map((link) => runOfLink(link.url)).find(Boolean);
    const [history, group, log, alike] = await Promise.all([
      client.issueEvents(id, { limit: 50 }),
      issue.group ? groupOf(client, issue.group.id) : undefined,
      run && lines > 0 ? readExcerpt(client, run, { mode: 'error', lines }) : undefined,
      similarResolved(client, issue, mine, similar),
    ]);
    const earlier = history.data.filter((e) => e.kind === 'resolved' || e.kind === 'reopened');
    return {
      value: {
        issue: detail(issue),
        signature: mine
          ? {
              class: mine.failureClass,
              ...(mine.reason ? { reason: mine.reason } : {}),
              ...(mine.task ? { task: mine.task } : {}),
              ...(mine.step ? { step: mine.step } : {}),
              ...(mine.dependency ? { dependency: mine.dependency } : {}),
              ...(mine.cves.length ? { cves: mine.cves } : {}),
              ...(mine.lines?.length ? { decisiveLines: mine.lines } : {}),
            }
          : null,
        ...(log
          ? { log: { run: run!.run, ...log } }
          : run
            ? {}
            : { log: 'no KITE run log is linked; see `links`' }),
        ...(group ? { group } : {}),
        history: earlier.map(timelineEntry),
        similarResolved: alike,
      },
      more: () =>
        'Parts were cut to fit the output budget: call explain_failure with fewer `lines` or `similar`, or get_run_logs for the log.',
    };
  },
});

/**
 * The tools that read issues, namespaces and run logs: `list_issues`, `get_issue`,
 * `list_namespaces`, `get_run_logs`. Each asks the KITE API as the caller, so it sees
 * what the caller may see and nothing else; an issue of another namespace is "not found".
 */
import { Type } from 'typebox';
import { IssueFilterQuery } from '../api/schemas.js';
import { ISSUE_SORTS } from '../domain/issue-sort.js';
import { runOfLink } from '../domain/run-link.js';
import { StringEnum } from '../domain/string-enum.js';
import type { KiteClient } from '../client/client.js';
import { brief, detail, timelineEntry } from './issue-brief.js';
import { excerptOf } from './log-excerpt.js';
import { tool, type Tool } from './tool.js';

const Id = Type.String({ format: 'uuid', description: 'the issue id (a UUID)' });
const Name = Type.String({
  minLength: 1,
  maxLength: 253,
  pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
});
const READ = { readOnlyHint: true, openWorldHint: false } as const;

const listIssues = tool({
  name: 'list_issues',
  description:
    'List KITE issues (CI problems: failed builds, tests, releases, pipelines, MintMaker dependency updates) in the namespaces you may read, newest first or worst first. Every filter is optional; without `namespace` it covers all your namespaces. Use `next` from the answer as `cursor` for the following page.',
  input: Type.Object(
    {
      ...IssueFilterQuery,
      namespace: Type.Optional(
        Type.Array(Name, {
          maxItems: 100,
          description: 'namespaces to look in; default: all you may read',
        }),
      ),
      sort: Type.Optional(
        StringEnum(ISSUE_SORTS, {
          description:
            '`-detectedAt` newest first (default), `detectedAt` oldest first, `-severity` worst first',
        }),
      ),
      limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
      cursor: Type.Optional(
        Type.String({ maxLength: 200, description: 'the `next` of the previous answer' }),
      ),
    },
    { additionalProperties: false },
  ),
  annotations: { title: 'List issues', ...READ },
  async run(args, { client }) {
    const page = await client.listIssues(args);
    return {
      value: {
        total: page.total,
        ...(page.totalIsEstimate ? { totalIsEstimate: true } : {}),
        issues: page.data.map(brief),
        ...(page.next ? { next: page.next } : {}),
      },
      more: () =>
        'Some issues were left out to fit the output budget: call list_issues again with a smaller `limit` and page with `cursor`, or narrow the filters.',
    };
  },
});

const getIssue = tool({
  name: 'get_issue',
  description:
    'One issue in full: description, labels, links (logs, pipeline runs), related issues, its root-cause group (other components failing for the same cause) and its timeline (reported, reopened, resolved, acknowledged), newest first.',
  input: Type.Object(
    {
      id: Id,
      timeline: Type.Integer({
        minimum: 0,
        maximum: 100,
        default: 20,
        description: 'timeline entries to include',
      }),
    },
    { additionalProperties: false },
  ),
  annotations: { title: 'Get an issue', ...READ },
  async run({ id, timeline }, { client }) {
    const issue = await client.getIssue(id);
    const [events, group] = await Promise.all([
      timeline > 0 ? client.issueEvents(id, { limit: timeline }) : undefined,
      issue.group ? groupOf(client, issue.group.id) : undefined,
    ]);
    return {
      value: {
        ...detail(issue),
        ...(group ? { group } : {}),
        ...(events
          ? { timeline: events.data.map(timelineEntry), timelineTotal: events.total }
          : {}),
      },
      more: () =>
        `Parts were cut to fit the output budget: call get_issue with a smaller \`timeline\`.`,
    };
  },
});

/** A root-cause group as an assistant needs it: progress, shared cause, visible members. */
export async function groupOf(client: KiteClient, id: string) {
  const group = await client.getGroup(id);
  return {
    id: group.id,
    state: group.state,
    progress: group.progress,
    ...(group.signatures.length ? { signatures: group.signatures } : {}),
    ...(group.cves.length ? { cves: group.cves } : {}),
    ...(group.dependencies.length ? { dependencies: group.dependencies } : {}),
    members: (group.members ?? []).map((m) => ({
      id: m.issueId,
      namespace: m.namespace,
      component: m.component,
      state: m.state,
      sharedBy: `${m.reason.kind}: ${m.reason.value}`,
    })),
    ...(group.hidden ? { hidden: group.hidden.message } : {}),
  };
}

/** How many namespaces `list_namespaces` asks the rights of. */
const RIGHTS_CHECKED = 50;

const listNamespaces = tool({
  name: 'list_namespaces',
  description:
    'The namespaces whose issues you may read, with what you may do in each: `write` (resolve issues) and `manage` (acknowledge issues, silence notifications).',
  input: Type.Object({}, { additionalProperties: false }),
  annotations: { title: 'List my namespaces', ...READ },
  async run(_args, { client }) {
    const { all, namespaces } = await client.namespaces();
    const checked = await mapLimited(namespaces.slice(0, RIGHTS_CHECKED), 8, (ns) =>
      client.namespaceAccess(ns),
    );
    const rest = namespaces.slice(RIGHTS_CHECKED);
    return {
      value: {
        ...(all ? { all: 'you may read every namespace; these are the ones with issues' } : {}),
        namespaces: checked.map(({ namespace, write, manage }) => ({ namespace, write, manage })),
        ...(rest.length ? { alsoReadable: rest } : {}),
      },
    };
  },
});

const getRunLogs = tool({
  name: 'get_run_logs',
  description:
    "Lines of a MintMaker (Renovate) run's log, redacted, as text: by default the lines around the first error (the last lines when there is none); `mode: tail` for the last lines. Name the run, or give `issueId` to read the log linked from that issue.",
  input: Type.Object(
    {
      run: Type.Optional(Name),
      runNamespace: Type.Optional({
        ...Name,
        description: 'where the run ran; default: the MintMaker namespace',
      }),
      issueId: Type.Optional(Id),
      step: Type.Optional(
        Type.String({ minLength: 1, maxLength: 512, description: '`task/step` or a step name' }),
      ),
      mode: StringEnum(['error', 'tail'] as const, { default: 'error' }),
      lines: Type.Integer({ minimum: 1, maximum: 400, default: 80 }),
    },
    { additionalProperties: false },
  ),
  annotations: { title: 'Read run logs', ...READ },
  async run(args, { client }) {
    let target: { run: string; runNamespace?: string } | undefined;
    if (args.run) {
      target = { run: args.run, ...(args.runNamespace ? { runNamespace: args.runNamespace } : {}) };
    } else if (args.issueId) {
      const issue = await client.getIssue(args.issueId);
      target = issue.links.map((link) => runOfLink(link.url)).find(Boolean);
      if (!target) {
        return {
          value: {
            error: 'This issue links no KITE run log.',
            links: issue.links.map((l) => ({ title: l.title, url: l.url })),
          },
          isError: true,
        };
      }
    } else {
      return {
        value: { error: 'Give `run` (a run name) or `issueId` (an issue with a run log).' },
        isError: true,
      };
    }
    const excerpt = await readExcerpt(client, target, args);
    return {
      value: { run: target.run, ...excerpt },
      more: () =>
        'Lines were cut to fit the output budget: call get_run_logs with fewer `lines`, or a `step`.',
    };
  },
});

export async function readExcerpt(
  client: KiteClient,
  target: { run: string; runNamespace?: string },
  args: { mode: 'error' | 'tail'; lines: number; step?: string },
) {
  const log = await client.runLog(target.run, {
    format: 'text',
    ...(target.runNamespace ? { runNamespace: target.runNamespace } : {}),
    ...(args.step ? { step: args.step } : {}),
  });
  return excerptOf(log, { mode: args.mode, lines: args.lines, maxLineChars: 400 });
}

/** `work` over `items`, at most `limit` at a time, results in order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export const READ_TOOLS: Tool[] = [listIssues, getIssue, listNamespaces, getRunLogs];

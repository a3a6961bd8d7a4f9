/**
 * Issues as a caller is shown them, in every answer that holds issues: relations to
 * issues the caller may not read hidden (the guard), each issue marked with the active
 * silence that mutes it (docs/silences.md) and with its root-cause group
 * (docs/root-cause-groups.md), each found for the whole list in one lookup.
 */
import type { FastifyRequest } from 'fastify';
import type { Issue } from '../domain/issue.js';
import type { GroupStore } from '../store/root-cause-groups.js';
import type { SilenceStore } from '../store/silence-store.js';
import type { Guard } from './guard.js';

export type IssueViewer = (request: FastifyRequest, issues: Issue[]) => Promise<Issue[]>;

export const issueViewer =
  (guard: Guard, silences: SilenceStore, groups: Pick<GroupStore, 'ofIssues'>): IssueViewer =>
  async (request, issues) => {
    const [viewed, grouped] = await Promise.all([
      guard.viewIssues(request, issues).then((shown) => silences.mark(shown)),
      groups.ofIssues(issues.map((issue) => issue.id)),
    ]);
    return viewed.map((issue) => {
      const group = grouped.get(issue.id);
      return group ? { ...issue, group } : issue;
    });
  };

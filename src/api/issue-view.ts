/**
 * Issues as a caller is shown them, in every answer that holds issues: relations to
 * issues the caller may not read hidden (the guard), and each issue marked with the
 * active silence that mutes it, found for the whole list in one lookup (docs/silences.md).
 */
import type { FastifyRequest } from 'fastify';
import type { Issue } from '../domain/issue.js';
import type { SilenceStore } from '../store/silence-store.js';
import type { Guard } from './guard.js';

export type IssueViewer = (request: FastifyRequest, issues: Issue[]) => Promise<Issue[]>;

export const issueViewer =
  (guard: Guard, silences: SilenceStore): IssueViewer =>
  async (request, issues) =>
    silences.mark(await guard.viewIssues(request, issues));

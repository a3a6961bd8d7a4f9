/**
 * The MCP resources: `kite://issues/<id>` (an issue with its timeline, as `get_issue`
 * answers) and `kite://namespaces/<namespace>/summary` (as `summarize` answers for the
 * namespace). A resource the caller may not read is "not found", like one that does not
 * exist (MCP's resource-not-found error, -32002).
 */
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { KiteClient } from '../client/client.js';
import { KiteApiError } from '../client/errors.js';
import { fitToBudget } from './budget.js';
import { detail, timelineEntry } from './issue-brief.js';
import { summarize } from './summarize.js';
import { toolErrorText } from './tool-errors.js';

const RESOURCE_NOT_FOUND = -32002;
const ISSUE = /^kite:\/\/issues\/([0-9a-fA-F-]{36})$/;
const SUMMARY = /^kite:\/\/namespaces\/([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\/summary$/;

export const RESOURCE_TEMPLATES = [
  {
    uriTemplate: 'kite://issues/{id}',
    name: 'issue',
    title: 'A KITE issue',
    description: 'An issue with its description, links, related issues and timeline',
    mimeType: 'application/json',
  },
  {
    uriTemplate: 'kite://namespaces/{namespace}/summary',
    name: 'namespace-summary',
    title: "A namespace's issues in brief",
    description: 'Active counts, the worst active issues and the last 24 hours of a namespace',
    mimeType: 'application/json',
  },
];

export async function readResource(client: KiteClient, uri: string, budget: number) {
  const text = await (async () => {
    try {
      const issue = ISSUE.exec(uri);
      if (issue) {
        const id = issue[1]!;
        const [found, events] = await Promise.all([
          client.getIssue(id),
          client.issueEvents(id, { limit: 20 }),
        ]);
        return fitToBudget({ ...detail(found), timeline: events.data.map(timelineEntry) }, budget);
      }
      const summary = SUMMARY.exec(uri);
      if (summary) {
        const value = await summarize(client, { namespace: summary[1]!, hours: 24, worst: 10 });
        return fitToBudget(value, budget);
      }
    } catch (error) {
      if (error instanceof KiteApiError && (error.status === 404 || error.status === 403)) {
        throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
      }
      const said = toolErrorText(error);
      if (said !== undefined) throw new McpError(-32603, said);
      throw error;
    }
    throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
  })();
  return { contents: [{ uri, mimeType: 'application/json', text }] };
}

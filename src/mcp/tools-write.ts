/**
 * The tools that change issues, listed only to callers who may use them in some
 * namespace (src/mcp/kite-mcp.ts) and checked again by the API on every call, against the
 * issue's own namespace: `resolve_issue` (the write right) and `acknowledge_issue` (the
 * manage right). Neither deletes anything: a resolved problem that comes back reopens
 * its issue, and an acknowledgement is replaced or ends.
 */
import { Type } from 'typebox';
import { AcknowledgeSchema } from '../api/routes/acknowledgements.js';
import { brief } from './issue-brief.js';
import { tool, type Tool } from './tool.js';

const Id = Type.String({ format: 'uuid', description: 'the issue id (a UUID)' });

const resolveIssue = tool({
  name: 'resolve_issue',
  description:
    "Mark an issue resolved (you fixed the problem). If the problem is reported again, the same issue reopens. Needs the write right in the issue's namespace.",
  input: Type.Object({ id: Id }, { additionalProperties: false }),
  annotations: {
    title: 'Resolve an issue',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  needs: 'write',
  async run({ id }, { client }) {
    return { value: { resolved: brief(await client.resolveIssue(id)) } };
  },
});

const acknowledgeIssue = tool({
  name: 'acknowledge_issue',
  description:
    "Acknowledge an issue: say someone is on it (with a note, until a time), replacing an earlier acknowledgement. The issue stays active; its repeated notifications are muted. Needs the manage right in the issue's namespace.",
  input: Type.Object({ id: Id, ...AcknowledgeSchema.properties }, { additionalProperties: false }),
  annotations: {
    title: 'Acknowledge an issue',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  needs: 'manage',
  async run({ id, ...ack }, { client }) {
    const issue = await client.acknowledgeIssue(id, ack);
    return { value: { acknowledged: { ...brief(issue), acknowledgement: issue.acknowledgement } } };
  },
});

export const WRITE_TOOLS: Tool[] = [resolveIssue, acknowledgeIssue];

/**
 * The MCP prompts: ready-made requests a user picks in their assistant. `triage` walks
 * the user's namespaces worst first; `explain-issue` explains one issue and proposes a
 * fix. Each is text that names the tools to use; nothing is fetched here.
 */
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

export const PROMPTS = [
  {
    name: 'triage',
    title: 'Triage my namespaces',
    description: 'What is broken across your namespaces (or one), worst first, and what to do next',
    arguments: [
      {
        name: 'namespace',
        description: 'one namespace; default: all you may read',
        required: false,
      },
    ],
  },
  {
    name: 'explain-issue',
    title: 'Explain an issue',
    description:
      'Why an issue happened and how to fix it, from its logs and similar resolved issues',
    arguments: [{ name: 'id', description: 'the issue id', required: true }],
  },
];

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const user = (text: string) => ({
  role: 'user' as const,
  content: { type: 'text' as const, text },
});

export function promptMessages(name: string, args: Record<string, string>) {
  if (name === 'triage') {
    const namespace = args.namespace;
    if (namespace !== undefined && !NAMESPACE.test(namespace)) {
      throw new McpError(ErrorCode.InvalidParams, `Not a namespace name: ${namespace}`);
    }
    const where = namespace ? `namespace ${namespace}` : 'all my namespaces';
    return {
      description: `Triage ${where}`,
      messages: [
        user(
          `Triage the CI issues of ${where} in KITE. Call summarize${namespace ? ` with namespace "${namespace}"` : ''} first. ` +
            'Then, worst first, call explain_failure on up to three of the worst active issues. ' +
            'For each, say in two or three sentences what failed, the likely cause (quote the decisive log line), ' +
            'whether other components fail the same way, and the next step to fix it (use how similar issues were resolved). ' +
            'End with what changed in the last day. Do not resolve or acknowledge anything unless I ask.',
        ),
      ],
    };
  }
  if (name === 'explain-issue') {
    const id = args.id;
    if (id === undefined || !UUID.test(id)) {
      throw new McpError(ErrorCode.InvalidParams, 'explain-issue needs `id`, an issue id (a UUID)');
    }
    return {
      description: `Explain issue ${id}`,
      messages: [
        user(
          `Call explain_failure with id "${id}". Explain what failed and why, quoting the decisive log lines, ` +
            'say whether other components share the cause, and propose a fix based on how similar issues were resolved. ' +
            'If the log excerpt is not enough, call get_run_logs for more.',
        ),
      ],
    };
  }
  throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`);
}

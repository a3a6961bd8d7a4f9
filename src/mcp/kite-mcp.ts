/**
 * The KITE MCP server: tools, resources and prompts over one typed KITE client that
 * acts as the caller (their token, so their Kubernetes permissions), whatever the
 * transport: stdio (`kite mcp`, src/cli/commands/mcp.ts) or streamable HTTP on
 * `kite serve` (src/mcp/http-route.ts). The write tools are listed only when the caller
 * holds their right in some namespace; the API checks every call anyway.
 *
 * Threat model: the assistant is not trusted with more than its user. Every read and
 * write goes through the API with the user's token, so the MCP layer holds no rights of
 * its own and cannot widen them; what it adds is only shaping (compact, bounded answers).
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { KiteClient } from '../client/client.js';
import { explainTool } from './explain.js';
import { PROMPTS, promptMessages } from './prompts.js';
import { readResource, RESOURCE_TEMPLATES } from './resources.js';
import { summarizeTool } from './summarize.js';
import { callTool, type Tool } from './tool.js';
import { mapLimited, READ_TOOLS } from './tools-read.js';
import { WRITE_TOOLS } from './tools-write.js';

export interface KiteMcpOptions {
  client: KiteClient;
  /** The most characters one tool answer may have. */
  budget: number;
  version: string;
}

export const TOOLS: Tool[] = [...READ_TOOLS, summarizeTool, explainTool, ...WRITE_TOOLS];

/** Namespaces whose rights are asked before listing the write tools; beyond, they are listed. */
const RIGHTS_CHECKED = 200;

/** Which of `write` and `manage` the caller holds in at least one readable namespace. */
export async function heldRights(client: KiteClient): Promise<Set<'write' | 'manage'>> {
  const { namespaces } = await client.namespaces();
  const held = new Set<'write' | 'manage'>();
  if (namespaces.length > RIGHTS_CHECKED) return new Set(['write', 'manage']);
  await mapLimited(namespaces, 8, async (namespace) => {
    if (held.size === 2) return;
    const access = await client.namespaceAccess(namespace);
    if (access.write) held.add('write');
    if (access.manage) held.add('manage');
  });
  return held;
}

const INSTRUCTIONS =
  'KITE tracks CI problems in Konflux (failed builds, tests, releases, pipelines that never started, MintMaker dependency updates) as issues, one per problem, resolved automatically when the problem goes away. You see what the user may see in Kubernetes. Start with summarize or list_issues; explain_failure before suggesting a fix; get_run_logs for more of a MintMaker log.';

export function createKiteMcpServer(options: KiteMcpOptions): Server {
  const { client, budget } = options;
  const server = new Server(
    { name: 'kite', title: 'KITE issues', version: options.version },
    {
      capabilities: { tools: {}, resources: {}, prompts: {} },
      instructions: INSTRUCTIONS,
    },
  );
  let rights: Promise<Set<'write' | 'manage'>> | undefined;
  const listed = async () => {
    rights ??= heldRights(client).catch((error: unknown) => {
      rights = undefined;
      throw error;
    });
    const held = await rights;
    return TOOLS.filter((t) => t.needs === undefined || held.has(t.needs));
  };

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: (await listed()).map((t) => ({
      name: t.name,
      title: t.annotations.title,
      description: t.description,
      inputSchema: t.input as { type: 'object' },
      annotations: t.annotations,
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const found = TOOLS.find((t) => t.name === request.params.name);
    if (!found) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    return callTool(found, request.params.arguments, { client, budget });
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: RESOURCE_TEMPLATES,
  }));
  server.setRequestHandler(ListResourcesRequestSchema, async () => {
    const { namespaces } = await client.namespaces();
    return {
      resources: namespaces.slice(0, 100).map((namespace) => ({
        uri: `kite://namespaces/${namespace}/summary`,
        name: `${namespace} summary`,
        mimeType: 'application/json',
      })),
    };
  });
  server.setRequestHandler(ReadResourceRequestSchema, (request) =>
    readResource(client, request.params.uri, budget),
  );

  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: PROMPTS }));
  server.setRequestHandler(GetPromptRequestSchema, (request) =>
    promptMessages(request.params.name, request.params.arguments ?? {}),
  );
  return server;
}

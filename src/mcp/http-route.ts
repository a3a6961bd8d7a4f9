/**
 * MCP over streamable HTTP at `/mcp` on `kite serve` (MCP spec 2025-11-25, "Streamable
 * HTTP"), stateless: every POST carries the caller's bearer token, is authenticated like
 * any API request (401 without a valid one, 503 when it cannot be checked) and is
 * answered by a fresh MCP server acting as that caller; no session id is issued, so any
 * replica answers any request and nothing outlives a request
 * (docs/decisions/0061-mcp-stateless-over-the-api.md). GET and DELETE (server-sent
 * streams, session ends) answer 405, as the spec allows a server without them.
 */
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { KiteClient } from '../client/client.js';
import type { Guard } from '../api/guard.js';
import { injectFetch } from './inject-fetch.js';
import { createKiteMcpServer } from './kite-mcp.js';

export interface McpRouteOptions {
  guard: Guard;
  /** The most characters one tool answer may have. */
  budget: number;
  version: string;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export const mcpRoutes: FastifyPluginCallback<McpRouteOptions> = (
  app,
  { guard, budget, version },
  done,
) => {
  const schema = {
    tags: ['mcp'],
    summary: 'MCP (streamable HTTP, stateless): JSON-RPC in, JSON out',
  };
  app.post('/mcp', { schema }, async (request: FastifyRequest, reply: FastifyReply) => {
    // Who asks is settled first: a missing or bad token never reaches the MCP server.
    await guard.caller(request);
    const header = request.headers.authorization;
    const token = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
    const client = new KiteClient({
      baseUrl: 'http://kite.invalid/',
      ...(token ? { token } : {}),
      retries: 0,
      fetch: injectFetch(app, request),
    });
    const server = createKiteMcpServer({ client, budget, version });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request.raw, reply.raw, request.body);
  });
  const notAllowed = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.code(405).header('allow', 'POST').send({
      error:
        'This MCP endpoint is stateless: POST JSON-RPC requests; no GET stream, no sessions to end',
    });
  app.get('/mcp', { schema: { ...schema, summary: 'Not offered: answers 405' } }, notAllowed);
  app.delete('/mcp', { schema: { ...schema, summary: 'Not offered: answers 405' } }, notAllowed);
  done();
};

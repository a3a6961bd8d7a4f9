/**
 * MCP clients for the tests, the SDK's own: over streamable HTTP to `kite serve`'s
 * `/mcp` with a bearer token, or over stdio to the built `kite mcp` run with a
 * kubeconfig, as an assistant would start it. `callJson` reads a tool's JSON answer.
 */
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CLI, ROOT } from './cli.js';

export async function httpMcpClient(serverUrl: string, token: string): Promise<Client> {
  const client = new Client({ name: 'kite-test', version: '1.0.0' });
  const url = new URL('/mcp', serverUrl);
  await client.connect(
    new StreamableHTTPClientTransport(url, {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

export async function stdioMcpClient(env: Record<string, string>, args: string[] = []) {
  const client = new Client({ name: 'kite-test', version: '1.0.0' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp', ...args],
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd: ROOT,
    stderr: 'pipe',
  });
  await client.connect(transport);
  return client;
}

export interface ToolText {
  text: string;
  isError: boolean;
}

export async function callText(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = await client.callTool({ name, arguments: args });
  const content = result.content as { type: string; text: string }[];
  assert.equal(content.length, 1);
  assert.equal(content[0]!.type, 'text');
  return { text: content[0]!.text, isError: result.isError === true };
}

/** A tool's answer, parsed; fails the test when the tool answered an error. */
export async function callJson<T = any>(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<T> {
  const { text, isError } = await callText(client, name, args);
  assert.equal(isError, false, text);
  return JSON.parse(text) as T;
}

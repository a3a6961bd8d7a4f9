/**
 * `kite mcp`: the KITE MCP server over stdio, for desktop assistants and IDEs. It acts
 * as the user of the kubeconfig context (or --token / KITE_TOKEN) against the KITE server
 * of --server / KITE_API_URL / the context's extension, exactly like the other client
 * commands, so the assistant sees what the user may see. stdout carries MCP messages
 * only; anything for people goes to stderr.
 */
import { Option, type Command } from 'commander';
import { versionInfo } from '../../version.js';
import { connect, type ConnectionFlags } from '../connection.js';
import { usageError } from '../failure.js';

const MIN_BUDGET = 1000;

export function addMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description('serve the KITE MCP tools over stdio, as the kubeconfig user (docs/mcp.md)')
    .option('--server <url>', 'the KITE server (env: KITE_API_URL; or the context extension)')
    .option('--token <token>', 'bearer token (env: KITE_TOKEN; default: the kubeconfig user)')
    .option('--kubeconfig <file>', 'kubeconfig file (env: KUBECONFIG; default: ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .addOption(
      new Option('--request-timeout <seconds>', 'how long to wait for an answer').default('30'),
    )
    .addOption(
      new Option('--budget <characters>', 'the most characters one tool answer may have')
        .env('KITE_MCP_BUDGET')
        .default('20000'),
    )
    .action(async (options: ConnectionFlags & { budget: string }) => {
      const budget = Number(options.budget);
      if (!Number.isInteger(budget) || budget < MIN_BUDGET) {
        throw usageError(`--budget must be a whole number of characters, at least ${MIN_BUDGET}`);
      }
      const session = await connect({ ...options, allNamespaces: true });
      // Loaded here: the other client commands never pay for the MCP SDK.
      const [{ StdioServerTransport }, { createKiteMcpServer }] = await Promise.all([
        import('@modelcontextprotocol/sdk/server/stdio.js'),
        import('../../mcp/kite-mcp.js'),
      ]);
      const server = createKiteMcpServer({
        client: session.client,
        budget,
        version: versionInfo().version,
      });
      const closed = new Promise<void>((resolve) => (server.onclose = resolve));
      await server.connect(new StdioServerTransport());
      process.stdin.once('end', () => void server.close());
      await closed;
    });
}

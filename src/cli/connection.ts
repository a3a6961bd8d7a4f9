/**
 * Where a client command sends its requests and as whom: the connection flags every client
 * command takes (kubectl's names), resolved into a `KiteClient`, the caller's identity (for
 * messages) and the namespaces to ask about.
 *
 *   server:    --server, else KITE_API_URL, else the context's `kite.konflux-ci.dev/server`
 *   token:     --token, else KITE_TOKEN, else the context's user (token, file, exec plugin)
 *   namespace: -n, else the context's namespace; -A (or neither): all the caller may read
 *   cluster:   --cluster, on a server with member clusters (docs/multi-cluster.md); else all
 */
import { Option, type Command } from 'commander';
import { KiteClient } from '../client/client.js';
import { nodeFetch } from '../client/node-fetch.js';
import { explain, usageError, type Asked } from './failure.js';
import { outputOption, parseFormat, type Format } from './output.js';
import { readKubeContext, SERVER_EXTENSION } from './kubeconfig.js';

export interface ConnectionFlags {
  server?: string;
  token?: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
  cluster?: string;
  requestTimeout?: string;
}

/** Adds the connection flags to a client command (a group passes them to its subcommands). */
/** `program`'s command `name` (also `alias`) for a kind of thing, with the connection flags. */
export function commandGroup(
  program: Command,
  name: string,
  alias: string,
  description: string,
): Command {
  return withConnection(program.command(name).alias(alias).description(description));
}

/** `parent`'s command `name <id>` with -o, running `run` on a connected session. */
export function idCommand(
  parent: Command,
  [name, description, idHelp]: [string, string, string],
  run: (id: string, format: Format, session: Session) => Promise<void>,
): Command {
  return parent
    .command(name)
    .description(description)
    .argument('<id>', idHelp)
    .addOption(outputOption())
    .action(async (id: string, _options: unknown, command: Command) => {
      const { format, session } = await begin(command);
      await run(id, format, session);
    });
}

export function withConnection(command: Command): Command {
  return command
    .option('--server <url>', 'the KITE server (env: KITE_API_URL; or the context extension)')
    .option('--token <token>', 'bearer token (env: KITE_TOKEN; default: the kubeconfig user)')
    .option('--kubeconfig <file>', 'kubeconfig file (env: KUBECONFIG; default: ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .option('-n, --namespace <namespace>', "namespace (default: the context's namespace)")
    .option('-A, --all-namespaces', 'every namespace the caller may read')
    .option('--cluster <name>', 'only this cluster, on a server with member clusters')
    .addOption(
      new Option('--request-timeout <seconds>', 'how long to wait for an answer').default('30'),
    );
}

export interface Session {
  client: KiteClient;
  asked: Asked;
  /** The namespace the command is about: -n or the context's; undefined with -A or neither. */
  namespace?: string;
  /** The cluster the command is about (--cluster); undefined: every cluster. */
  cluster?: string;
  /** Runs one call, turning any failure into the CLI's message and exit code. */
  call<T>(work: (client: KiteClient) => Promise<T>): Promise<T>;
}

export async function connect(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Session> {
  if (flags.allNamespaces && flags.namespace) {
    throw usageError('-n/--namespace and -A/--all-namespaces cannot be used together');
  }
  const timeout = Number(flags.requestTimeout ?? '30');
  if (!(timeout > 0)) throw usageError('--request-timeout must be a number of seconds above 0');
  const kube = await readKubeContext({
    kubeconfig: flags.kubeconfig,
    context: flags.context,
    env,
  });
  const server = flags.server ?? env.KITE_API_URL ?? kube.server;
  if (!server) {
    throw usageError(
      `no KITE server: pass --server, set KITE_API_URL, or add the extension ${SERVER_EXTENSION} to ` +
        (kube.context ? `context "${kube.context}"` : 'your kubeconfig context'),
    );
  }
  if (!/^https?:\/\//.test(server)) throw usageError(`--server ${server}: not an http(s) URL`);
  const typed = flags.token ?? env.KITE_TOKEN;
  const identity = flags.token
    ? 'the token of --token'
    : env.KITE_TOKEN
      ? 'the token of KITE_TOKEN'
      : kube.identity;
  const asked: Asked = { server, identity };
  const client = new KiteClient({
    baseUrl: server,
    token: typed ?? (() => kube.token()),
    timeoutMs: timeout * 1000,
    // A person is waiting: one quick retry where safe, never a long backoff.
    retries: 1,
    maxBackoffMs: 2000,
    // Not the global fetch: loading it costs more than the rest of a list (node-fetch.ts).
    fetch: nodeFetch,
  });
  const namespace = flags.allNamespaces ? undefined : (flags.namespace ?? kube.namespace);
  return {
    client,
    asked,
    ...(namespace ? { namespace } : {}),
    ...(flags.cluster ? { cluster: flags.cluster } : {}),
    async call(work) {
      try {
        return await work(client);
      } catch (error) {
        throw explain(error, asked);
      }
    },
  };
}

/** The namespace a command that writes needs: -n or the context's, never "all". */
export function requireNamespace(session: Session, what: string): string {
  if (!session.namespace) {
    throw usageError(`${what} needs a namespace: pass -n or set one on the kubeconfig context`);
  }
  return session.namespace;
}

/** The start of every client command: its flags (with its groups'), output format, session. */
export async function begin<F extends ConnectionFlags & { output?: string }>(
  command: Command,
): Promise<{ flags: F; format: Format; session: Session }> {
  const flags = command.optsWithGlobals<F>();
  const format = parseFormat(flags.output);
  return { flags, format, session: await connect(flags) };
}

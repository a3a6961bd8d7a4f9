/**
 * The parts of a kubeconfig the CLI needs: the current (or named) context, its namespace,
 * its `kite.konflux-ci.dev/server` extension, and its user's bearer token. Read with a
 * small reader of its own (YAML or JSON, `KUBECONFIG` lists merged the way kubectl does:
 * the first file naming a thing wins); `@kubernetes/client-node` loads only for a user
 * with an exec credential plugin or an auth provider, since loading it costs several times
 * a whole `kite issues list` (docs/decisions/0043-cli-kubeconfig-reader.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { CliError, usageError } from './failure.js';

export const SERVER_EXTENSION = 'kite.konflux-ci.dev/server';

interface Context {
  cluster?: string;
  user?: string;
  namespace?: string;
  extensions?: { name: string; extension: unknown }[];
}
interface User {
  token?: string;
  tokenFile?: string;
  exec?: { command: string };
  'auth-provider'?: { name: string };
}

export interface KubeContext {
  /** The context's name; undefined when no kubeconfig was found. */
  context?: string;
  namespace?: string;
  /** The KITE server the context names in its extension. */
  server?: string;
  /** How the token was found, for messages ("token of user … in context …"). */
  identity: string;
  /** Reads the user's bearer token (a file, an exec plugin); undefined when it has none. */
  token: () => Promise<string | undefined>;
}

export interface KubeconfigOptions {
  kubeconfig?: string;
  context?: string;
  env: Readonly<Record<string, string | undefined>>;
}

interface Merged {
  files: string[];
  currentContext?: string;
  contexts: Map<string, { context: Context; file: string }>;
  users: Map<string, { user: User; file: string }>;
}

/** The files kubectl would read: `--kubeconfig`, else `KUBECONFIG`'s list, else ~/.kube/config. */
function kubeconfigFiles(options: KubeconfigOptions): string[] {
  if (options.kubeconfig) {
    if (!existsSync(options.kubeconfig)) {
      throw usageError(`--kubeconfig ${options.kubeconfig}: no such file`);
    }
    return [options.kubeconfig];
  }
  const listed = options.env.KUBECONFIG?.split(delimiter).filter(Boolean);
  const files = listed?.length ? listed : [join(options.env.HOME ?? homedir(), '.kube', 'config')];
  return files.filter((file) => existsSync(file));
}

async function parse(file: string): Promise<Record<string, unknown>> {
  const text = readFileSync(file, 'utf8');
  try {
    if (text.trimStart().startsWith('{')) return JSON.parse(text) as Record<string, unknown>;
    const { parse: parseYaml } = await import('yaml');
    return (parseYaml(text) ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`cannot read kubeconfig ${file}: ${(error as Error).message}`);
  }
}

async function merge(files: string[]): Promise<Merged> {
  const merged: Merged = { files, contexts: new Map(), users: new Map() };
  for (const file of files) {
    const config = await parse(file);
    const current = config['current-context'];
    if (!merged.currentContext && typeof current === 'string' && current) {
      merged.currentContext = current;
    }
    // A kubeconfig's shape as kubectl writes it; a missing part is an empty one.
    for (const entry of (config.contexts ?? []) as { name: string; context?: Context }[]) {
      if (!merged.contexts.has(entry.name)) {
        merged.contexts.set(entry.name, { context: entry.context ?? {}, file });
      }
    }
    for (const entry of (config.users ?? []) as { name: string; user?: User }[]) {
      if (!merged.users.has(entry.name))
        merged.users.set(entry.name, { user: entry.user ?? {}, file });
    }
  }
  return merged;
}

/** The extension's server: a URL string, or an object with a `server` field. */
function extensionServer(context: Context): string | undefined {
  const found = context.extensions?.find((e) => e.name === SERVER_EXTENSION)?.extension;
  if (typeof found === 'string') return found;
  const server = (found as { server?: unknown } | undefined)?.server;
  return typeof server === 'string' ? server : undefined;
}

/** Reads the kubeconfig; a context without a kubeconfig when there is none (and none was named). */
export async function readKubeContext(options: KubeconfigOptions): Promise<KubeContext> {
  const files = kubeconfigFiles(options);
  const none: KubeContext = {
    identity: 'no token (no kubeconfig found)',
    token: () => Promise.resolve(undefined),
  };
  if (files.length === 0) {
    if (options.context) throw usageError(`--context ${options.context}: no kubeconfig found`);
    return none;
  }
  const merged = await merge(files);
  const name = options.context ?? merged.currentContext;
  if (!name) return { ...none, identity: `no token (no current context in ${files.join(', ')})` };
  const found = merged.contexts.get(name);
  if (!found) throw usageError(`context "${name}" is not in ${files.join(', ')}`);
  const { context } = found;
  const userName = context.user ?? '';
  const user = merged.users.get(userName);
  const where = `user "${userName}" of context "${name}" (${user?.file ?? found.file})`;
  const base = { context: name, namespace: context.namespace, server: extensionServer(context) };
  if (!user) return { ...base, identity: `no token (${where} is not defined)`, token: none.token };
  const { user: spec, file } = user;
  if (spec.token) {
    return { ...base, identity: `the token of ${where}`, token: () => Promise.resolve(spec.token) };
  }
  if (spec.tokenFile) {
    const path = isAbsolute(spec.tokenFile)
      ? spec.tokenFile
      : resolve(dirname(file), spec.tokenFile);
    return {
      ...base,
      identity: `the token file ${path} of ${where}`,
      token: async () => (await readFile(path, 'utf8')).trim(),
    };
  }
  if (spec.exec || spec['auth-provider']) {
    const how = spec.exec
      ? `the exec plugin "${spec.exec.command}"`
      : `the auth provider "${spec['auth-provider']?.name}"`;
    let token: Promise<string | undefined> | undefined;
    return {
      ...base,
      identity: `${how} of ${where}`,
      token: () => (token ??= pluginToken(file, name)),
    };
  }
  return {
    ...base,
    identity: `no token (${where} has no token, token file or exec plugin)`,
    token: none.token,
  };
}

/** Runs the user's exec plugin (or auth provider) through client-node, loaded only now. */
async function pluginToken(file: string, context: string): Promise<string | undefined> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  config.loadFromFile(file);
  config.setCurrentContext(context);
  const user = config.getCurrentUser();
  if (!user) return undefined;
  // Only the user: the token is for KITE, so the cluster's TLS settings do not matter.
  const alone = new KubeConfig();
  alone.loadFromOptions({
    clusters: [],
    users: [user],
    contexts: [{ name: context, user: user.name, cluster: '' }],
    currentContext: context,
  });
  const options: { headers?: Record<string, unknown> } = {};
  try {
    await alone.applyToHTTPSOptions(options);
  } catch (error) {
    throw new CliError(
      `the credential plugin of context "${context}" failed: ${(error as Error).message}`,
    );
  }
  const authorization = options.headers?.Authorization;
  if (typeof authorization !== 'string') return undefined;
  return authorization.replace(/^Bearer\s+/i, '') || undefined;
}

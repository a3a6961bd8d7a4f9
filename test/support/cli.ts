/**
 * The built `kite` CLI as a user runs it: dist/ (rebuilt first when a source changed), a
 * real server with Kubernetes authorization on, the Kubernetes API test double, and
 * kubeconfigs whose users carry a token, a token file or an exec credential plugin.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { staleBecause } from '../../scripts/build-if-stale.js';
import { createIssueStore } from '../../src/store/issue-store.js';
import type { KubeApiDouble } from './kube-api.js';
import type { TestServer } from './test-server.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const CLI = join(ROOT, 'dist/cli/main.js');

/** Builds dist/ when it is missing or older than a source. */
export function ensureBuilt(): void {
  if (staleBecause(ROOT) === undefined) return;
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stdout}${build.stderr}`);
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a built entry (default: `kite`) with `args` and exactly `env` (plus PATH). */
export function runCli(
  args: string[],
  env: Record<string, string>,
  options: { entry?: string; node?: string[] } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...(options.node ?? []), options.entry ?? CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, cwd: ROOT },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const RBAC = { apiGroup: 'kite.konflux-ci.dev', resource: 'issues' };

/**
 * Alice may read, update and report in team-a; team-b is someone else's. `token-operator`
 * (the bridge operator) archives MintMaker runs.
 */
export function grantTeams(kube: KubeApiDouble): void {
  kube.namespaces.push('team-a', 'team-b');
  kube.users.set('token-operator', { username: 'system:serviceaccount:kite:kite-operator' });
  kube.grants.push({ user: 'system:serviceaccount:kite:kite-operator', verb: 'create', ...RBAC });
  for (const token of ['token-alice', 'token-alice-exec', 'token-alice-unavailable']) {
    kube.users.set(token, { username: 'alice', groups: ['team-a-devs'] });
  }
  for (const verb of ['get', 'update', 'create']) {
    kube.grants.push({ group: 'team-a-devs', verb, ...RBAC, namespace: 'team-a' });
  }
}

export async function seedIssue(
  server: TestServer,
  namespace: string,
  name: string,
  severity: 'info' | 'minor' | 'major' | 'critical' = 'major',
) {
  const { issue } = await createIssueStore(server.db).report({
    namespace,
    issueType: 'build',
    scope: { resourceType: 'component', resourceName: name, resourceNamespace: namespace },
    title: `Build failed: ${name}`,
    description: 'exit 1',
    severity,
    labels: { 'appstudio.openshift.io/component': name },
  });
  return issue;
}

export interface Kubeconfigs {
  dir: string;
  /** User with a token; context `alice` in team-a, naming the KITE server in its extension. */
  token: string;
  /** User with an exec credential plugin (a script printing an ExecCredential). */
  exec: string;
  /** User with a token file. */
  tokenFile: string;
  /** A token the Kubernetes API does not know. */
  badToken: string;
}

function kubeconfig(kubeUrl: string, kiteUrl: string, user: Record<string, unknown>) {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'double', cluster: { server: kubeUrl } }],
    users: [{ name: 'alice', user }],
    contexts: [
      {
        name: 'alice',
        context: {
          cluster: 'double',
          user: 'alice',
          namespace: 'team-a',
          extensions: [{ name: 'kite.konflux-ci.dev/server', extension: { server: kiteUrl } }],
        },
      },
    ],
    'current-context': 'alice',
  };
}

export async function writeKubeconfigs(kubeUrl: string, kiteUrl: string): Promise<Kubeconfigs> {
  const dir = await mkdtemp(join(tmpdir(), 'kite-cli-'));
  const plugin = join(dir, 'credential.mjs');
  await writeFile(
    plugin,
    `#!${process.execPath}\nconsole.log(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: 'token-alice-exec' } }));\n`,
  );
  await chmod(plugin, 0o755);
  await writeFile(join(dir, 'token'), 'token-alice\n');
  const files = {
    token: { token: 'token-alice' },
    exec: {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: process.execPath,
        args: [plugin],
        interactiveMode: 'Never',
      },
    },
    tokenFile: { tokenFile: join(dir, 'token') },
    badToken: { token: 'not-a-real-token-xyz' },
  };
  const paths: Record<string, string> = {};
  for (const [name, user] of Object.entries(files)) {
    paths[name] = join(dir, `${name}.kubeconfig`);
    // The token one in YAML, as kubectl writes it; the others in JSON, which kubectl reads too.
    const config = kubeconfig(kubeUrl, kiteUrl, user);
    await writeFile(paths[name], name === 'token' ? stringify(config) : JSON.stringify(config));
  }
  return { dir, ...(paths as Omit<Kubeconfigs, 'dir'>) };
}

/**
 * `kite issues watch` in a real terminal (tmux): it prints a change made while it runs,
 * with severity colours on the terminal, none with NO_COLOR, and none when piped. The built
 * CLI runs against the real server with Kubernetes authorization on.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import {
  CLI,
  ensureBuilt,
  grantTeams,
  seedIssue,
  writeKubeconfigs,
  type Kubeconfigs,
} from '../support/cli.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { useTestServer } from '../support/test-server.js';

/** Select Graphic Rendition: the escape sequences of colours. */
const ESC = '\u001b[';
const SGR = new RegExp(`\\u001b\\[[0-9;]*m`, 'g');
const RED_CRITICAL = new RegExp(`\\u001b\\[[0-9;]*31m\\s*critical`);
const TMUX = spawnSync('tmux', ['-V']).error ? undefined : 'tmux';
const SOCKET = `kite-cli-test-${process.pid}`;
let kube: KubeApiDouble;
let configs: Kubeconfigs;
const { server, onStart } = useTestServer(async () => {
  ensureBuilt();
  kube = await startKubeApiDouble();
  grantTeams(kube);
  return { env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig } };
});
onStart(async () => {
  configs = await writeKubeconfigs(kube.url, server.url);
});
after(async () => {
  if (TMUX) spawnSync(TMUX, ['-L', SOCKET, 'kill-server']);
  await kube?.close();
  if (configs) await rm(configs.dir, { recursive: true, force: true });
});

const tmux = (...args: string[]) => spawnSync(TMUX!, ['-L', SOCKET, ...args], { encoding: 'utf8' });

/** Starts `kite issues watch` in a tmux window of its own; answers its pane's text (with SGR). */
function watchInTmux(window: string, env: Record<string, string>) {
  const vars = Object.entries({ PATH: process.env.PATH ?? '', HOME: configs.dir, ...env })
    .map(([key, value]) => `${key}='${value}'`)
    .join(' ');
  const command = `env -i ${vars} '${process.execPath}' '${CLI}' issues watch`;
  const exists = tmux('has-session', '-t', 'kite').status === 0;
  const started = exists
    ? tmux('new-window', '-t', 'kite', '-n', window, command)
    : tmux(
        '-f',
        '/dev/null',
        'new-session',
        '-d',
        '-s',
        'kite',
        '-n',
        window,
        '-x',
        '200',
        '-y',
        '30',
        command,
      );
  assert.equal(started.status, 0, started.stderr);
  return () => tmux('capture-pane', '-p', '-e', '-t', `kite:${window}`).stdout;
}

async function until(what: string, read: () => string, test: (text: string) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const text = read();
    if (test(text)) return text;
    assert.ok(Date.now() < deadline, `${what} within 30 s; saw:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const lineOf = (text: string, id: string) =>
  text.split('\n').find((line) => line.includes(id)) ?? '';

describe(
  'kite issues watch on a terminal',
  { skip: TMUX ? false : 'tmux is not installed' },
  () => {
    it('prints a change made while it runs, its severity coloured', async () => {
      const pane = watchInTmux('colour', { KUBECONFIG: configs.token });
      await until('the watch started', pane, (text) => text.includes('Watching issues in team-a'));
      const issue = await seedIssue(server, 'team-a', 'watched', 'critical');
      const text = await until('the change printed', pane, (t) => t.includes(issue.id));
      const line = lineOf(text, issue.id);
      assert.match(
        line.replace(SGR, ''),
        new RegExp(`^created +${issue.id} +critical +build +ACTIVE +\\d+s +Build failed: watched$`),
      );
      assert.match(line, RED_CRITICAL, 'critical in red on the terminal');
      assert.match(text, /EVENT +ID +SEVERITY/, 'the header once');
    });

    it('prints no colours with NO_COLOR set', async () => {
      const pane = watchInTmux('plain', { KUBECONFIG: configs.exec, NO_COLOR: '1' });
      await until('the watch started', pane, (text) => text.includes('Watching issues in team-a'));
      const issue = await seedIssue(server, 'team-a', 'watched-plain', 'critical');
      const text = await until('the change printed', pane, (t) => t.includes(issue.id));
      assert.ok(!lineOf(text, issue.id).includes(ESC));
    });
  },
);

/**
 * Runs `kite args…` piped and, once `ready` says so, reports a problem (again) until its
 * row is printed: piped, nothing says when the stream is open. Answers what it printed
 * and the issue's id.
 */
async function watchPiped(args: string[], name: string, ready = (_stdout: string) => true) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: configs.dir, KUBECONFIG: configs.token },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    let id = '';
    const deadline = Date.now() + 30_000;
    while (!(
      id &&
      stdout
        .split('\n')
        .slice(1)
        .some((line) => line.includes(id))
    )) {
      assert.ok(Date.now() < deadline, `no change printed within 30 s: ${stdout}${stderr}`);
      if (ready(stdout)) id = (await seedIssue(server, 'team-a', name, 'major')).id;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    return { stdout, stderr, id };
  } finally {
    child.kill('SIGTERM');
  }
}

describe('kite issues watch piped', () => {
  it('prints the change without colours or notes', async () => {
    const { stdout, stderr, id } = await watchPiped(['issues', 'watch'], 'piped');
    assert.match(
      stdout,
      new RegExp(
        `^EVENT +ID +SEVERITY +TYPE +STATE +AGE +TITLE\\n(created|updated) +${id} +major `,
      ),
    );
    assert.ok(!stdout.includes(ESC));
    assert.equal(stderr, '');
  });

  it('list -w prints the list, then each change as a row of the same table', async () => {
    const listed = await seedIssue(server, 'team-a', 'listed-first', 'minor');
    // Reports start once the list is printed, so their rows can only come from the watch.
    const { stdout, id } = await watchPiped(['issues', 'list', '-w'], 'piped-after-list', (out) =>
      out.includes(listed.id),
    );
    const lines = stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID +SEVERITY +TYPE +STATE +AGE +TITLE$/);
    assert.ok(lines.some((line) => line.startsWith(`${listed.id} `)));
    assert.match(lines.at(-1)!, new RegExp(`^${id} +major +build +ACTIVE +`));
    assert.equal(lines.filter((line) => line.startsWith('ID ')).length, 1, 'one header');
  });
});

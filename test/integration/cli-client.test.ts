/**
 * `kite` as a client, run as a user runs it: the built executable in a subprocess, against
 * the real server with Kubernetes authorization on (the Kubernetes API test double), with
 * the identity of a kubeconfig (a token, a token file, an exec credential plugin). Each
 * output format prints what it promises, and the exit codes are the ones scripts rely on.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { KiteClient } from '../../src/client/client.js';
import {
  ensureBuilt,
  grantTeams,
  ROOT,
  runCli,
  seedIssue,
  writeKubeconfigs,
  type Kubeconfigs,
} from '../support/cli.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { useTestServer } from '../support/test-server.js';

let kube: KubeApiDouble;
let configs: Kubeconfigs;
const ids: { a1: string; a2: string; b: string } = { a1: '', a2: '', b: '' };
const { server, onStart } = useTestServer(async () => {
  ensureBuilt();
  kube = await startKubeApiDouble();
  grantTeams(kube);
  return {
    env: {
      KITE_AUTH_MODE: 'kubernetes',
      KUBECONFIG: kube.kubeconfig,
      KITE_AUTH_NEGATIVE_CACHE_TTL: '50ms',
    },
  };
});
onStart(async () => {
  configs = await writeKubeconfigs(kube.url, server.url);
  ids.a1 = (await seedIssue(server, 'team-a', 'frontend', 'critical')).id;
  ids.a2 = (await seedIssue(server, 'team-a', 'backend', 'minor')).id;
  ids.b = (await seedIssue(server, 'team-b', 'billing')).id;
});
after(async () => {
  await kube?.close();
  if (configs) await rm(configs.dir, { recursive: true, force: true });
});

/** `kite args…` as Alice, with her kubeconfig (`which`: how her token is found). */
const kite = (args: string[], which: keyof Omit<Kubeconfigs, 'dir'> = 'token', env = {}) =>
  runCli(args, { HOME: configs.dir, KUBECONFIG: configs[which], ...env });

describe('kite issues list, with the identity and namespace of the kubeconfig context', () => {
  it('prints a table of the context namespace only, columns aligned, no colours when piped', async () => {
    const run = await kite(['issues', 'list']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID {37}SEVERITY {3}TYPE {4}STATE {4}AGE {3}TITLE$/);
    assert.equal(lines.length, 3);
    assert.deepEqual(
      lines
        .slice(1)
        .map((l) => l.split(/\s+/)[0])
        .sort(),
      [ids.a1, ids.a2].sort(),
    );
    assert.ok(!run.stdout.includes(ids.b), "team-b's issue is not shown");
    assert.ok(!run.stdout.includes('\x1b['), 'no escape codes in a pipe');
    const title = lines[0]!.indexOf('TITLE');
    assert.ok(lines.slice(1).every((line) => /^Build failed: /.test(line.slice(title))));
  });

  for (const which of ['exec', 'tokenFile'] as const) {
    it(`reads the token from the user's ${which === 'exec' ? 'exec credential plugin' : 'token file'}`, async () => {
      const run = await kite(['issues', 'list', '-o', 'name'], which);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(
        run.stdout.trim().split('\n').sort(),
        [`issue/${ids.a1}`, `issue/${ids.a2}`].sort(),
      );
    });
  }

  it('-o json prints the API page; -o yaml the same data', async () => {
    const json = await kite(['issues', 'list', '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const page = JSON.parse(json.stdout);
    assert.equal(page.total, 2);
    assert.deepEqual(page.data.map((i: any) => i.id).sort(), [ids.a1, ids.a2].sort());
    const yaml = await kite(['issues', 'list', '-o', 'yaml']);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.deepEqual(parseYaml(yaml.stdout), page);
  });

  it('-o jsonpath prints the template, with range and literals', async () => {
    const run = await kite([
      'issues',
      'list',
      '--sort-by',
      'severity',
      '-o',
      'jsonpath={range .data[*]}{.severity}{"\\t"}{.scope.resourceName}{"\\n"}{end}',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'minor\tbackend\ncritical\tfrontend\n');
  });

  it('-o wide adds last seen, occurrences, scope and labels', async () => {
    const run = await kite(['issues', 'list', '-o', 'wide', '--severity', 'critical']);
    assert.equal(run.code, 0, run.stderr);
    const [header, row] = run.stdout.trimEnd().split('\n');
    assert.match(header!, /LAST SEEN {3}OCCURRENCES {3}SCOPE .*TITLE .*LABELS$/);
    assert.match(row!, /component\/frontend .*appstudio\.openshift\.io\/component=frontend$/);
  });

  it('--sort asks the server for its order before --limit cuts: -severity is worst first', async () => {
    // backend (minor) was reported after frontend (critical): newest first shows it first.
    const newest = await kite(['issues', 'list', '--limit', '1', '-o', 'name']);
    assert.equal(newest.code, 0, newest.stderr);
    assert.equal(newest.stdout, `issue/${ids.a2}\n`);
    for (const sort of [['--sort', '-severity'], ['--sort=-severity']]) {
      const worst = await kite(['issues', 'list', ...sort, '--limit', '1', '-o', 'name']);
      assert.equal(worst.code, 0, worst.stderr);
      assert.equal(worst.stdout, `issue/${ids.a1}\n`, sort.join(' '));
    }
    const oldest = await kite(['issues', 'list', '--sort', 'detectedAt', '-o', 'name']);
    assert.equal(oldest.stdout, `issue/${ids.a1}\nissue/${ids.a2}\n`);
    const unknown = await kite(['issues', 'list', '--sort', 'title']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /sort must be one of: -detectedAt, detectedAt, -severity/);
  });

  it('-A lists every namespace the caller may read, with a NAMESPACE column', async () => {
    const run = await kite(['issues', 'list', '-A']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^NAMESPACE {3}ID /);
    assert.ok(!run.stdout.includes(ids.b));
  });
});

describe('kite issues get, events, counts, resolve; kite namespaces', () => {
  it('get prints one issue; -o json the issue itself', async () => {
    const run = await kite(['issues', 'get', ids.a1, '-o', 'json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).id, ids.a1);
  });

  it('events prints the timeline; counts the totals', async () => {
    const events = await kite(['issues', 'events', ids.a1]);
    assert.equal(events.code, 0, events.stderr);
    assert.match(events.stdout, /^AGE {3}KIND {6}RUN {3}SUMMARY\n\d+s +created {9}exit 1\n$/);
    const counts = await kite([
      'issues',
      'counts',
      '-o',
      'jsonpath={.total} {.bySeverity.critical}',
    ]);
    assert.equal(counts.stdout, '2 1');
  });

  it('namespaces lists what the caller may read', async () => {
    const run = await kite(['namespaces', '-o', 'name']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'namespace/team-a\n');
  });

  it('resolve marks the issue resolved and says so', async () => {
    const issue = await seedIssue(server, 'team-a', 'to-resolve');
    const run = await kite(['issues', 'resolve', issue.id]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `issue/${issue.id} resolved\n`);
    const after = await kite(['issues', 'get', issue.id, '-o', 'jsonpath={.state}']);
    assert.equal(after.stdout, 'RESOLVED');
  });

  it('kubectl issues … is kite issues … (the kubectl-issues plugin entry)', async () => {
    const run = await runCli(
      ['list', '-o', 'name', '--severity', 'critical'],
      {
        HOME: configs.dir,
        KUBECONFIG: configs.token,
      },
      { entry: join(ROOT, 'dist/cli/kubectl-issues.js') },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `issue/${ids.a1}\n`);
  });
});

describe('kite runs list and kite logs', () => {
  it("lists the namespace's MintMaker runs and prints a run's log, one step or all", async () => {
    const operator = new KiteClient({ baseUrl: server.url, token: 'token-operator' });
    await operator.registerRun({
      name: 'renovate-cli1',
      uid: 'uid-cli1',
      namespace: 'team-a',
      component: 'frontend',
      status: 'Failed',
      startTime: new Date(Date.now() - 90_000).toISOString(),
      completionTime: new Date().toISOString(),
    });
    const step = { run: 'renovate-cli1', task: 'renovate' };
    await operator.uploadStepLog({ ...step, step: 'prepare', position: 0 }, 'cloning\n');
    await operator.uploadStepLog({ ...step, step: 'run', position: 1 }, 'renovating\n');

    const list = await kite(['runs', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stdout,
      /^NAME {12}COMPONENT {3}STATUS {3}AGE {3,4}LOG\nrenovate-cli1 {3}frontend {4}Failed {3}\d+s {3,4}19B\n$/,
    );
    const names = await kite(['runs', 'list', '-o', 'name']);
    assert.equal(names.stdout, 'run/renovate-cli1\n');
    const one = await kite(['logs', 'renovate-cli1', '--step', 'run']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, '==> task renovate, step run <==\nrenovating\n');
    const all = await kite(['logs', 'renovate-cli1']);
    assert.match(all.stdout, /cloning\n[\s\S]*renovating\n$/);
    const missing = await kite(['logs', 'renovate-nobody']);
    assert.equal(missing.code, 3);
  });
});

describe('kite report', () => {
  it('failure prints the issue it opened; success resolves it; both exit 0', async () => {
    const scope = ['--type', 'build', '--scope', 'component/gitlab-job'];
    const failed = await kite([
      'report',
      'failure',
      ...scope,
      '--title',
      'Build failed',
      '--reason',
      'exit 2',
      '-o',
      'name',
    ]);
    assert.equal(failed.code, 0, failed.stderr);
    const name = failed.stdout.trim();
    assert.match(name, /^issue\/[0-9a-f-]{36}$/);
    const succeeded = await kite(['report', 'success', ...scope]);
    assert.equal(succeeded.code, 0, succeeded.stderr);
    assert.match(succeeded.stdout, /^Resolved 1 /);
    const state = await kite(['issues', 'get', name.slice(6), '-o', 'jsonpath={.state}']);
    assert.equal(state.stdout, 'RESOLVED');
  });
});

describe('exit codes and messages', () => {
  it('401: exit 1, naming the kubeconfig user and context, never the token', async () => {
    const run = await kite(['issues', 'list'], 'badToken');
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^kite: the server did not accept the identity \(Invalid or expired token\): used the token of user "alice" of context "alice" \(.*badToken\.kubeconfig\)\n$/,
    );
    assert.ok(!run.stderr.includes('not-a-real-token-xyz'));
  });

  it('403: exit 3 naming the namespace', async () => {
    const run = await kite(['issues', 'list', '-n', 'team-b']);
    assert.equal(run.code, 3);
    assert.equal(run.stderr, 'kite: forbidden: Not allowed to read issues in namespace team-b\n');
  });

  it("404: exit 3 for an unknown id and for another team's issue alike", async () => {
    for (const id of [ids.b, '00000000-0000-4000-8000-000000000000']) {
      const run = await kite(['issues', 'get', id]);
      assert.equal(run.code, 3);
      assert.equal(run.stderr, 'kite: not found: Issue not found\n');
    }
  });

  it('503: exit 1 naming the dependency that did not answer', async () => {
    kube.down = true;
    try {
      const run = await kite(['issues', 'list', '--token', 'token-alice-unavailable']);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /^kite: the server cannot answer now: .*Kubernetes API/);
    } finally {
      kube.down = false;
    }
  });

  it('an unreachable server: exit 1 naming where it looked', async () => {
    const port = await closedPort();
    const run = await kite(['issues', 'list', '--server', `http://127.0.0.1:${port}`]);
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `kite: cannot reach the KITE server at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
  });

  it('usage errors exit 2: an unknown flag, an unknown format, a bad value', async () => {
    for (const args of [
      ['issues', 'list', '--bogus'],
      ['issues', 'list', '-o', 'xml'],
      ['issues', 'list', '--severity', 'huge'],
      ['issues', 'list', '-n', 'team-a', '-A'],
    ]) {
      const run = await kite(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.ok(run.stderr.length > 0);
    }
  });

  it('no server configured: exit 2 saying the three ways to name one', async () => {
    const run = await runCli(['issues', 'list'], { HOME: configs.dir });
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      'kite: no KITE server: pass --server, set KITE_API_URL, or add the extension kite.konflux-ci.dev/server to your kubeconfig context\n',
    );
  });
});

/** A port nobody listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describe('shell completion', () => {
  it('prints scripts for bash, zsh and fish', async () => {
    for (const [shell, marker] of [
      ['bash', 'complete -o default -F _kite kite'],
      ['zsh', 'compdef _kite kite'],
      ['fish', "complete -c kite -f -a '(___kite_complete)'"],
    ]) {
      const run = await kite(['completion', shell!]);
      assert.equal(run.code, 0);
      assert.ok(run.stdout.includes(marker!), run.stdout);
    }
  });

  it('completes commands, namespaces and issue ids from the server', async () => {
    const commands = await kite(['__complete', 'issues', '']);
    assert.deepEqual(
      commands.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]),
      ['list', 'get', 'resolve', 'ack', 'unack', 'events', 'counts', 'watch'],
    );
    const namespaces = await kite(['__complete', 'issues', 'list', '-n', '']);
    assert.equal(namespaces.stdout, 'team-a\n');
    for (const command of ['get', 'ack']) {
      const issueIds = await kite(['__complete', 'issues', command, '']);
      assert.deepEqual(
        issueIds.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t')[0])
          .sort(),
        [ids.a1, ids.a2].sort(),
        command,
      );
    }
  });
});

describe('start-up: a client command loads no server code', () => {
  const loaded = async (which: 'token' | 'exec') => {
    const record = join(configs.dir, `modules-${which}.txt`);
    const run = await runCli(
      ['issues', 'list'],
      {
        HOME: configs.dir,
        KUBECONFIG: configs[which],
        KITE_RECORD_MODULES: record,
      },
      { node: ['--import', join(ROOT, 'test/support/record-modules.js')] },
    );
    assert.equal(run.code, 0, run.stderr);
    return readFile(record, 'utf8');
  };

  it('kite issues list with a token loads neither fastify, pg, pglite nor client-node', async () => {
    const modules = await loaded('token');
    assert.match(modules, /dist\/cli\/commands\/issues\.js/);
    for (const heavy of [
      'fastify',
      '/pg/',
      'pglite',
      '@kubernetes/client-node',
      'dist/server.js',
      'dist/store/',
    ]) {
      assert.ok(!modules.includes(heavy), `${heavy} was loaded`);
    }
  });

  it('client-node loads only to run an exec credential plugin', async () => {
    assert.match(await loaded('exec'), /@kubernetes\/client-node/);
  });
});

/**
 * `kite silence` and `kite issues ack|unack` (docs/cli.md, docs/silences.md) as a user
 * runs them: the built CLI against a real server (auth mode none).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureBuilt, runCli, seedIssue } from '../support/cli.js';
import { useTestServer } from '../support/test-server.js';

const { server, api, onStart } = useTestServer(() => {
  ensureBuilt();
  return {};
});

const ids: Record<string, string> = {};
onStart(async () => {
  ids.web = (await seedIssue(server, 'cli-silences', 'web', 'critical')).id;
  ids.db = (await seedIssue(server, 'cli-silences', 'db', 'critical')).id;
});

const kite = (...args: string[]) =>
  runCli([...args, '--server', server.url], { HOME: '/nonexistent', KUBECONFIG: '/dev/null' });
const stored = async () => (await api.get('/api/v1/namespaces/cli-silences/silences')).body.total;

describe('kite silence', () => {
  it('create silences the matching issues for --duration; list and get show it', async () => {
    const before = Date.now();
    const created = await kite(
      'silence',
      'create',
      '-n',
      'cli-silences',
      '--match',
      'severity=critical',
      '--match',
      'label:appstudio.openshift.io/component=web',
      '--duration',
      '2h',
      '--comment',
      'rolling out a fix',
      '-o',
      'json',
    );
    assert.equal(created.code, 0, created.stderr);
    const silence = JSON.parse(created.stdout);
    assert.deepEqual(silence.matchers, {
      severity: 'critical',
      labels: { 'appstudio.openshift.io/component': 'web' },
    });
    const hours = (Date.parse(silence.endsAt) - before) / 3_600_000;
    assert.ok(hours > 1.99 && hours < 2.01, `ends ${hours} h from now`);
    assert.equal(silence.state, 'active');

    const web = JSON.parse((await kite('issues', 'get', ids.web!, '-o', 'json')).stdout);
    assert.equal(web.silencedBy, silence.id);
    const db = JSON.parse((await kite('issues', 'get', ids.db!, '-o', 'json')).stdout);
    assert.equal(db.silencedBy, undefined);

    const table = await kite('silence', 'list', '-n', 'cli-silences');
    assert.equal(table.code, 0, table.stderr);
    const [header, row] = table.stdout.trimEnd().split('\n');
    assert.match(header!, /^ID +STATE +MATCHERS +ENDS +CREATED BY +COMMENT$/);
    assert.match(
      row!,
      new RegExp(
        `^${silence.id} +active +severity=critical,label:appstudio.openshift.io/component=web .* rolling out a fix$`,
      ),
    );
    const all = await kite('silence', 'list', '-A', '-o', 'yaml');
    assert.match(all.stdout, /namespace: cli-silences/);
    const got = await kite('silence', 'get', silence.id, '-n', 'cli-silences', '-o', 'name');
    assert.equal(got.stdout, `silence/${silence.id}\n`);
  });

  it('expire ends a silence now and lists it as expired', async () => {
    const created = await kite(
      'silence',
      'create',
      '-n',
      'cli-silences',
      '--match',
      'resourceName=db',
      '--duration',
      '1h',
      '--comment',
      'x',
      '-o',
      'name',
    );
    const id = created.stdout.trim().replace('silence/', '');
    const expired = await kite('silence', 'expire', id, '-n', 'cli-silences', '-o', 'json');
    assert.equal(expired.code, 0, expired.stderr);
    assert.equal(JSON.parse(expired.stdout).state, 'expired');
    const listed = await kite(
      'silence',
      'list',
      '-n',
      'cli-silences',
      '--state',
      'expired',
      '-o',
      'name',
    );
    assert.equal(listed.stdout, `silence/${id}\n`);
  });

  it('refuses bad matchers, durations and a missing namespace with exit code 2, storing nothing', async () => {
    const count = await stored();
    const cases: [string[], RegExp][] = [
      [
        ['--match', 'colour=red', '--duration', '1h'],
        /--match colour=red: the name must be one of/,
      ],
      [
        ['--match', 'severity=urgent', '--duration', '1h'],
        /must be one of info, minor, major, critical/,
      ],
      [['--duration', '1h'], /matchers: name at least one/],
      [['--match', 'type=build', '--duration', 'soon'], /--duration must be like/],
      [['--match', 'type=build'], /give one of --duration and --ends-at/],
    ];
    for (const [args, message] of cases) {
      const run = await kite('silence', 'create', '-n', 'cli-silences', '--comment', 'c', ...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message, args.join(' '));
    }
    const noNamespace = await kite(
      'silence',
      'create',
      '--match',
      'type=build',
      '--duration',
      '1h',
      '--comment',
      'c',
    );
    assert.equal(noNamespace.code, 2);
    assert.match(noNamespace.stderr, /needs a namespace/);
    assert.equal(await stored(), count);
  });
});

describe('kite issues ack', () => {
  it('acknowledges with a note and --until as a duration; the timeline shows it; unack takes it back', async () => {
    const acked = await kite(
      'issues',
      'ack',
      ids.db!,
      '--note',
      'on it',
      '--until',
      '4h',
      '-o',
      'json',
    );
    assert.equal(acked.code, 0, acked.stderr);
    const { acknowledgement } = JSON.parse(acked.stdout);
    assert.equal(acknowledgement.by, 'system:anonymous');
    assert.equal(acknowledgement.note, 'on it');
    const hours = (Date.parse(acknowledgement.until) - Date.now()) / 3_600_000;
    assert.ok(hours > 3.9 && hours <= 4, `until ${hours} h from now`);
    const events = await kite('issues', 'events', ids.db!);
    assert.match(
      events.stdout.split('\n')[1]!,
      / acknowledged +acknowledged by system:anonymous until .*: on it$/,
    );
    const back = await kite('issues', 'unack', ids.db!, '-o', 'json');
    assert.equal(JSON.parse(back.stdout).acknowledgement, undefined);
  });
});

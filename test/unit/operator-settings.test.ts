/**
 * `kite operator`'s settings resolve from one table (src/operator/operator-settings.ts):
 * a flag wins over its variable, the variable over the config file, the file over the
 * table's default; a boolean variable means its value, and only `true` or `false`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveOperatorConfig, type OperatorFlags } from '../../src/operator/operator-config.js';
import { OPERATOR_SETTINGS } from '../../src/operator/operator-settings.js';

const resolve = (flags: OperatorFlags, env: Record<string, string> = {}) =>
  resolveOperatorConfig({ apiUrl: 'http://kite:8080', ...flags }, env, () =>
    Promise.resolve(undefined),
  );

async function configFile(yaml: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'kite-operator-settings-')), 'operator.yaml');
  await writeFile(file, yaml);
  return file;
}

describe("kite operator's settings", () => {
  it('without flags, variables or file every setting is the table default', async () => {
    const config = await resolve({});
    assert.equal(config.host, OPERATOR_SETTINGS.host.default);
    assert.equal(String(config.port), OPERATOR_SETTINGS.port.default);
    assert.equal(config.logLevel, OPERATOR_SETTINGS.logLevel.default);
    assert.equal(config.mintmakerNamespace, OPERATOR_SETTINGS.mintmakerNamespace.default);
    assert.equal(config.resyncMs, 10 * 60_000);
    assert.equal(config.leaseRetryMs, 2_000);
    assert.equal(config.backoffBaseMs, 200);
    assert.equal(config.backoffMaxMs, 30_000);
    assert.equal(config.leaderElection, true);
  });

  it('KITE_LEADER_ELECT=false turns leader election off; =true leaves it on', async () => {
    assert.equal((await resolve({}, { KITE_LEADER_ELECT: 'false' })).leaderElection, false);
    assert.equal((await resolve({}, { KITE_LEADER_ELECT: 'true' })).leaderElection, true);
  });

  it('--no-leader-elect wins over KITE_LEADER_ELECT=true', async () => {
    const config = await resolve({ leaderElect: false }, { KITE_LEADER_ELECT: 'true' });
    assert.equal(config.leaderElection, false);
  });

  it('the variable wins over the config file, the file over the default', async () => {
    const file = await configFile('leaderElection: { enabled: false }\nresync: 5m\n');
    const fromFile = await resolve({ config: file });
    assert.equal(fromFile.leaderElection, false);
    assert.equal(fromFile.resyncMs, 5 * 60_000);
    const fromEnv = await resolve(
      { config: file },
      { KITE_LEADER_ELECT: 'true', KITE_RESYNC: '30s' },
    );
    assert.equal(fromEnv.leaderElection, true);
    assert.equal(fromEnv.resyncMs, 30_000);
  });

  it('KITE_LEADER_ELECT must be true or false: a typo stops start-up naming it', async () => {
    for (const value of ['yes', '0', 'False', '']) {
      await assert.rejects(
        resolve({}, { KITE_LEADER_ELECT: value }),
        new RegExp(`^InputError: KITE_LEADER_ELECT must be true or false, got "${value}"$`),
      );
    }
  });
});

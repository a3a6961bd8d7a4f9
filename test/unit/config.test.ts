import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byteSize, duration, resolveServeConfig } from '../../src/config.js';

describe('serve configuration', () => {
  it('defaults: loopback, port 8080, embedded database in .kite, 1 MiB bodies, 30 days retention', () => {
    const config = resolveServeConfig({}, {});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.dataDir, '.kite');
    assert.equal(config.bodyLimitBytes, 1024 * 1024);
    assert.equal(config.retentionMs, 30 * 86_400_000);
    assert.equal(config.demo, false);
  });

  it('flags win over environment variables, which win over defaults', () => {
    assert.equal(resolveServeConfig({}, { KITE_PORT: '9000' }).port, 9000);
    assert.equal(resolveServeConfig({ port: '9001' }, { KITE_PORT: '9000' }).port, 9001);
    assert.equal(resolveServeConfig({}, { KITE_HOST: '0.0.0.0' }).host, '0.0.0.0');
    assert.equal(resolveServeConfig({ demo: true }, {}).demo, true);
  });

  it('reads booleans from the environment by their value, and refuses anything but true or false', () => {
    assert.equal(resolveServeConfig({}, { KITE_DEMO: 'false' }).demo, false);
    assert.equal(resolveServeConfig({}, { KITE_DEMO: 'true' }).demo, true);
    assert.equal(resolveServeConfig({ demo: true }, { KITE_DEMO: 'false' }).demo, true);
    assert.equal(resolveServeConfig({}, { KITE_POD_REPORTERS: 'false' }).podReporters, false);
    assert.equal(resolveServeConfig({}, { KITE_POD_REPORTERS: 'true' }).podReporters, true);
    assert.throws(
      () => resolveServeConfig({}, { KITE_DEMO: '1' }),
      /^InputError: KITE_DEMO must be true or false, got "1"$/,
    );
  });

  it('refuses bad values with a message naming the setting', () => {
    assert.throws(() => resolveServeConfig({ port: '70000' }, {}), /port must be an integer/);
    assert.throws(
      () => resolveServeConfig({}, { KITE_DATABASE_URL: 'mysql://x' }),
      /KITE_DATABASE_URL must be a postgres:\/\/ URL/,
    );
    assert.throws(
      () => resolveServeConfig({}, { KITE_RETENTION: 'forever' }),
      /retention must be a duration/,
    );
    assert.throws(() => resolveServeConfig({}, { KITE_BODY_LIMIT: 'lots' }), /body limit/);
  });

  it("only the operator's service account archives MintMaker logs unless configured", () => {
    assert.deepEqual(resolveServeConfig({}, {}).logUploaders, [
      'system:serviceaccount:kite:kite-operator',
    ]);
    assert.deepEqual(
      resolveServeConfig({}, { KITE_LOG_UPLOADERS: 'system:serviceaccount:a:b, ci-bot' })
        .logUploaders,
      ['system:serviceaccount:a:b', 'ci-bot'],
    );
    assert.throws(
      () => resolveServeConfig({}, { KITE_LOG_UPLOADERS: 'a,,b' }),
      /KITE_LOG_UPLOADERS must be user names separated by commas/,
    );
  });

  it('limits connections and Kubernetes API calls by default, and rate limits all but the demo mode', () => {
    const config = resolveServeConfig({}, {});
    assert.equal(config.headersTimeoutMs, 10_000);
    assert.equal(config.requestTimeoutMs, 60_000);
    assert.equal(config.keepAliveTimeoutMs, 65_000);
    assert.equal(config.idleTimeoutMs, 600_000);
    assert.equal(config.kubeApiTimeoutMs, 10_000);
    assert.equal(config.rateLimit, 1200);
    assert.equal(config.rateLimitWindowMs, 60_000);
    assert.equal(resolveServeConfig({ authMode: 'none' }, {}).rateLimit, 0);
    assert.equal(resolveServeConfig({ authMode: 'none' }, { KITE_RATE_LIMIT: '50' }).rateLimit, 50);
    assert.throws(
      () => resolveServeConfig({}, { KITE_HEADERS_TIMEOUT: '2m', KITE_REQUEST_TIMEOUT: '1m' }),
      /KITE_HEADERS_TIMEOUT must not be longer than KITE_REQUEST_TIMEOUT/,
    );
    assert.throws(() => resolveServeConfig({}, { KITE_RATE_LIMIT: '-1' }), /rateLimit must be/);
  });

  it('reads durations and Kubernetes-style sizes', () => {
    assert.equal(duration('d', '90s'), 90_000);
    assert.equal(duration('d', '15m'), 900_000);
    assert.equal(duration('d', '12h'), 43_200_000);
    assert.equal(duration('d', '250ms'), 250);
    assert.equal(duration('d', '5'), 5000);
    assert.equal(byteSize('512Ki'), 524_288);
    assert.equal(byteSize('1Mi'), 1_048_576);
    assert.equal(byteSize('2M'), 2_000_000);
    assert.equal(byteSize('1048576'), 1_048_576);
  });
});

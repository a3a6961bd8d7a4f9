import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseAccess, isLoopback } from '../../src/auth/choose-access.js';
import { resolveServeConfig } from '../../src/config.js';

describe('choosing the access mode', () => {
  it('none (anonymous) refuses to listen beyond loopback', () => {
    const config = resolveServeConfig({ host: '0.0.0.0' }, { KITE_AUTH_MODE: 'none' });
    assert.throws(() => chooseAccess(config, {}), /only listens on loopback/);
  });

  it('none serves on loopback; auto falls back to it with a warning when no cluster configuration exists', () => {
    const explicit = chooseAccess(resolveServeConfig({}, { KITE_AUTH_MODE: 'none' }), {});
    assert.equal(explicit.mode, 'none');
    assert.equal(explicit.warning, undefined);
    const auto = chooseAccess(resolveServeConfig({}, { KUBECONFIG: '/nonexistent/kubeconfig' }), {
      HOME: '/nonexistent',
    });
    assert.equal(auto.mode, 'none');
    assert.match(auto.warning ?? '', /without authentication/);
  });

  it('auto without a cluster configuration refuses a non-loopback address too', () => {
    const config = resolveServeConfig({ host: '10.0.0.5' }, {});
    assert.throws(() => chooseAccess(config, { HOME: '/nonexistent' }), /loopback/);
  });

  it('auto picks kubernetes when running in a cluster', () => {
    const config = resolveServeConfig({ host: '0.0.0.0' }, {});
    assert.equal(chooseAccess(config, { KUBERNETES_SERVICE_HOST: '10.96.0.1' }).mode, 'kubernetes');
  });

  it('an unknown mode is a clear configuration error', () => {
    assert.throws(
      () => resolveServeConfig({}, { KITE_AUTH_MODE: 'open' }),
      /KITE_AUTH_MODE must be kubernetes, none or auto/,
    );
  });

  it('recognises loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1'])
      assert.ok(isLoopback(host), host);
    for (const host of ['0.0.0.0', '10.0.0.1', '::', 'example.com'])
      assert.ok(!isLoopback(host), host);
  });
});

/**
 * The settings and pure rules behind MintMaker's log analyzer in production: the public
 * base URL of links (server and operator), tokenless reporters, the client address behind
 * trusted proxies, and which webhook calls trigger the clean-run rule.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { sourceAddress } from '../../src/auth/pod-reporters.js';
import { resolveServeConfig } from '../../src/config.js';
import { cleanRunOf } from '../../src/domain/mintmaker-clean-run.js';
import { publicLink, runLogsPath } from '../../src/logs/run-links.js';
import { parseOperatorFile, resolveOperatorConfig } from '../../src/operator/operator-config.js';

const operatorConfig = (flags: Record<string, string>, env: Record<string, string> = {}) =>
  resolveOperatorConfig({ apiUrl: 'http://kite:8080', ...flags }, env, () =>
    Promise.resolve(undefined),
  );

describe('the public base URL of links', () => {
  it('without KITE_PUBLIC_URL links stay relative; with it they are absolute under it', () => {
    const path = runLogsPath('renovate-1', 'mintmaker', 'mintmaker');
    assert.equal(publicLink(resolveServeConfig({}, {}).publicUrl, path), path);
    const base = resolveServeConfig({}, { KITE_PUBLIC_URL: 'https://c.example.com/kite/' });
    assert.equal(base.publicUrl, 'https://c.example.com/kite');
    assert.equal(
      publicLink(base.publicUrl, path),
      'https://c.example.com/kite/api/v1/mintmaker/runs/renovate-1/logs',
    );
    assert.equal(
      publicLink(base.publicUrl, 'https://elsewhere.example.com/x'),
      'https://elsewhere.example.com/x',
      'a link that is already absolute is left alone',
    );
  });

  it('refuses a KITE_PUBLIC_URL that is not an http(s) URL without query or fragment', () => {
    for (const value of [
      'console.example.com',
      'ftp://c.example.com',
      'https://c/x?a=1',
      'https://c/#x',
      'javascript:alert(1)',
    ]) {
      assert.throws(
        () => resolveServeConfig({}, { KITE_PUBLIC_URL: value }),
        /KITE_PUBLIC_URL must be an http\(s\):\/\/ URL/,
        value,
      );
    }
  });

  it('the operator reads --public-url, then KITE_PUBLIC_URL, then the file, and checks it', async () => {
    assert.equal((await operatorConfig({})).publicUrl, undefined);
    assert.equal(
      (
        await operatorConfig(
          { publicUrl: 'https://a.example.com/' },
          { KITE_PUBLIC_URL: 'https://b.example.com' },
        )
      ).publicUrl,
      'https://a.example.com',
    );
    assert.equal(
      (await operatorConfig({}, { KITE_PUBLIC_URL: 'https://b.example.com/kite' })).publicUrl,
      'https://b.example.com/kite',
    );
    await assert.rejects(operatorConfig({ publicUrl: 'kite.example.com' }), /public-url/);
    assert.deepEqual(parseOperatorFile('f', 'publicUrl: https://c.example.com/kite'), {
      publicUrl: 'https://c.example.com/kite',
    });
    assert.throws(() => parseOperatorFile('f', 'publicUrl: c.example.com'), /\/publicUrl/);
  });
});

describe('tokenless reporter settings', () => {
  it('are off by default, for the analyzer webhooks, in the MintMaker namespace', () => {
    const config = resolveServeConfig({}, { KITE_MINTMAKER_NAMESPACE: 'mm' });
    assert.equal(config.podReporters, false);
    assert.deepEqual(config.podReporterWebhooks, [
      'mintmaker-custom',
      'pipeline-success',
      'pipeline-failure',
    ]);
    assert.equal(config.podReportersNamespace, 'mm');
    assert.equal(config.podReporterCacheTtlMs, 5000);
    assert.deepEqual(config.trustedProxies, []);
  });

  it('read their list, namespace and proxies, and refuse what they cannot mean', () => {
    const config = resolveServeConfig(
      {},
      {
        KITE_POD_REPORTERS: 'true',
        KITE_POD_REPORTER_WEBHOOKS: ' mintmaker-custom , ',
        KITE_POD_REPORTERS_NAMESPACE: 'renovate',
        KITE_TRUSTED_PROXIES: '10.0.0.1, fd00::1',
      },
    );
    assert.equal(config.podReporters, true);
    assert.deepEqual(config.podReporterWebhooks, ['mintmaker-custom']);
    assert.equal(config.podReportersNamespace, 'renovate');
    assert.deepEqual(config.trustedProxies, ['10.0.0.1', 'fd00::1']);
    assert.throws(
      () => resolveServeConfig({}, { KITE_POD_REPORTERS: 'yes' }),
      /KITE_POD_REPORTERS must be true or false/,
    );
    assert.throws(
      () => resolveServeConfig({}, { KITE_TRUSTED_PROXIES: '10.0.0.0/8' }),
      /KITE_TRUSTED_PROXIES must be IP addresses/,
    );
  });
});

describe("a tokenless report's source address", () => {
  const request = (peer: string, forwarded?: string[]) => ({
    raw: {
      socket: { remoteAddress: peer },
      headersDistinct: forwarded ? { 'x-forwarded-for': forwarded } : {},
    } as unknown as IncomingMessage,
  });
  const proxies = new Set(['10.0.0.1', '10.0.0.2']);

  it('is the TCP peer, whatever X-Forwarded-For says, unless the peer is a trusted proxy', () => {
    assert.equal(sourceAddress(request('10.1.2.3', ['10.9.9.9']), proxies), '10.1.2.3');
    assert.equal(sourceAddress(request('::ffff:10.1.2.3'), proxies), '10.1.2.3');
  });

  it('behind trusted proxies is the right-most hop that is not one of them', () => {
    assert.equal(
      sourceAddress(request('10.0.0.1', ['1.1.1.1, 10.1.2.3, 10.0.0.2']), proxies),
      '10.1.2.3',
      'a client cannot push its own claim past the proxies',
    );
    assert.equal(sourceAddress(request('10.0.0.1', ['10.1.2.3', '10.0.0.2']), proxies), '10.1.2.3');
    assert.equal(sourceAddress(request('10.0.0.1', ['not-an-ip']), proxies), undefined);
    assert.equal(sourceAddress(request('10.0.0.1'), proxies), undefined);
  });
});

describe('the clean-run rule is triggered by', () => {
  const payload = { namespace: 'team-a', pipelineName: 'github.com/a/b@main' };

  it("pipeline-success and -failure with a start, a run id, or the calling run's start", () => {
    assert.equal(cleanRunOf('pipeline-success', payload, undefined), undefined);
    assert.deepEqual(
      cleanRunOf(
        'pipeline-success',
        { ...payload, runStartedAt: '2026-12-03T08:00:00+01:00' },
        undefined,
      ),
      {
        namespace: 'team-a',
        pipeline: { id: 'github.com/a/b@main' },
        startedAt: '2026-12-03T07:00:00.000Z',
        runId: undefined,
      },
    );
    assert.deepEqual(cleanRunOf('pipeline-failure', { ...payload, runId: 'run-3' }, undefined), {
      namespace: 'team-a',
      pipeline: { id: 'github.com/a/b@main' },
      startedAt: undefined,
      runId: 'run-3',
    });
    assert.deepEqual(
      cleanRunOf(
        'pipeline-success',
        { ...payload, runStartedAt: '2030-01-01T00:00:00Z' },
        { name: 'run-4', startedAt: '2026-12-03T06:00:00Z' },
      ),
      {
        namespace: 'team-a',
        pipeline: { id: 'github.com/a/b@main' },
        startedAt: '2026-12-03T06:00:00Z',
        runId: 'run-4',
      },
      "the cluster's start wins over the payload's claim",
    );
  });

  it("the operator's dependency run-success and run-failure with a start and a repo-branch hash only", () => {
    const run = {
      namespace: 'team-a',
      issueType: 'dependency',
      runStartedAt: '2026-12-03T07:00:00Z',
      runId: 'uid-1',
      labels: { 'mintmaker.appstudio.redhat.com/repo-branch-hash': 'abcdef012345' },
    };
    assert.deepEqual(cleanRunOf('run-failure', run, undefined), {
      namespace: 'team-a',
      pipeline: { hash: 'abcdef012345' },
      startedAt: '2026-12-03T07:00:00.000Z',
      runId: 'uid-1',
    });
    assert.equal(cleanRunOf('run-success', { ...run, issueType: 'build' }, undefined), undefined);
    assert.equal(cleanRunOf('run-success', { ...run, labels: {} }, undefined), undefined);
    assert.equal(
      cleanRunOf('mintmaker-custom', { ...payload, runStartedAt: run.runStartedAt }, undefined),
      undefined,
    );
  });

  it('refuses a runStartedAt that is not an RFC 3339 time', () => {
    for (const value of ['yesterday', '2026-12-03', '2026-13-40T00:00:00Z', 1733212800]) {
      assert.throws(
        () => cleanRunOf('pipeline-success', { ...payload, runStartedAt: value }, undefined),
        /runStartedAt must be an RFC 3339 time/,
        String(value),
      );
    }
  });
});

/**
 * The failure signature's rules (issue 20): the same cause with other ids, timestamps,
 * paths, pod and component names gives the same signature; what tells causes apart
 * (task, step, exit code, registry host, dependency, message) is kept.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { failureSignature } from '../../src/domain/failure-signature.js';
import { normaliseLine, taskName } from '../../src/domain/failure-normalise.js';
import { CAUSES, variantArbitrary, VARIANTS } from '../support/failure-corpus.js';

const keyOf = (description: string, issueType: 'build' | 'dependency' = 'build') =>
  failureSignature({ issueType, title: '', description })?.key;

describe('failure signatures', () => {
  it('every corpus cause gives one signature whatever the run, component, time or path', () => {
    for (const cause of CAUSES) {
      const expected = failureSignature(cause.report(VARIANTS[0]!))?.key;
      fc.assert(
        fc.property(variantArbitrary, (v) => {
          assert.equal(failureSignature(cause.report(v))?.key, expected, cause.name);
        }),
        { numRuns: 40 },
      );
    }
  });

  it('every corpus cause is told apart from every other', () => {
    const owners = new Map<string, string>();
    for (const cause of CAUSES) {
      for (const v of VARIANTS) {
        const key = failureSignature(cause.report(v))!.key;
        const owner = owners.get(key) ?? cause.name;
        assert.equal(owner, cause.name, `${cause.name} and ${owner} share ${key}`);
        owners.set(key, cause.name);
      }
    }
  });

  it('every corpus cause has the failure class its text tells', () => {
    for (const cause of CAUSES) {
      assert.equal(
        failureSignature(cause.report(VARIANTS[0]!))?.failureClass,
        cause.failureClass,
        cause.name,
      );
    }
  });

  it('timestamps, digests, uuids, paths, line numbers and versions do not change a line', () => {
    const stamp = fc.date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true });
    const segment = fc.stringMatching(/^[a-z][a-z0-9_-]{0,9}$/);
    fc.assert(
      fc.property(
        stamp,
        fc.stringMatching(/^[0-9a-f]{64}$/),
        fc.uuid(),
        fc.array(segment, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.tuple(fc.nat(99), fc.nat(99), fc.nat(999)),
        (time, digest, uuid, dirs, line, [major, minor, patch]) => {
          const text = `${time.toISOString()} error: pull quay.io/acme/app@sha256:${digest} for run ${uuid} failed at /${dirs.join('/')}/main.go:${line}: image v${major}.${minor}.${patch}: unauthorized`;
          assert.equal(
            normaliseLine(text),
            '<time> error: pull quay.io/<ref> for run <uuid> failed at <path>:<n>: image <version>: unauthorized',
          );
        },
      ),
    );
  });

  it('a TaskRun name gives its pipeline task: the run prefix and generated suffix go', () => {
    assert.equal(taskName('frontend-on-push-8xk2p-build-container'), 'build-container');
    assert.equal(taskName('payments-api-on-pull-request-zt7x9-clair-scan'), 'clair-scan');
    assert.equal(taskName('mintmaker-frontend-qx9vz-renovate'), 'renovate');
    // Words are never taken for a generated suffix: it has no vowels.
    assert.equal(taskName('build-image-index'), 'build-image-index');
  });

  it('the structured failure line wins over the summary and context lines', () => {
    const signature = failureSignature({
      issueType: 'build',
      title: 'Pipeline run failed: x',
      description: [
        'Tasks Completed: 5 (Failed: 1, Cancelled 0), Skipped: 2',
        'Task clair-scan failed (TaskRun app-on-push-8xk2p-clair-scan): Failed: "step-get-vulnerabilities" exited with code 1',
      ].join('\n'),
    });
    assert.deepEqual(signature, {
      key: 'build|build-error|clair-scan|get-vulnerabilities||failed: "step-get-vulnerabilities" exited with code 1',
      failureClass: 'build-error',
      task: 'clair-scan',
      step: 'get-vulnerabilities',
      cves: [],
      lines: ['failed: "step-get-vulnerabilities" exited with code 1'],
      reason:
        'build-error in task clair-scan, step get-vulnerabilities: failed: "step-get-vulnerabilities" exited with code 1',
    });
  });

  it("a release's failed task decides over the release's own error line", () => {
    const signature = failureSignature({
      issueType: 'release',
      title: 'Release failed',
      description: [
        'Release app-x7kqz failed during ManagedProcessing: Failed: Release processing failed on managed pipelineRun managed-8xk2p',
        'Failed task: push-snapshot (step push-snapshot): "step-push-snapshot" exited with code 1',
        'Release pipeline run: managed-8xk2p',
      ].join('\n'),
    });
    assert.deepEqual(signature?.lines, ['"step-push-snapshot" exited with code 1']);
    assert.equal(signature?.task, 'push-snapshot');
    assert.equal(signature?.step, 'push-snapshot');
  });

  it('a generated Kubernetes name is a name wherever it stands, a word never is', () => {
    assert.equal(
      normaliseLine(
        'Evicted: frontend-on-push-8xk2p-build-container-pod used too much ephemeral storage',
      ),
      'evicted: <name> used too much ephemeral storage',
    );
    assert.equal(
      normaliseLine('Error: build-image-index failed in check-payload'),
      'error: build-image-index failed in check-payload',
    );
  });

  it('an error line is decisive over the lines around it', () => {
    assert.equal(
      keyOf(
        'Copying blob sha256:abc1234\nError: reading manifest latest in quay.io/a/b: manifest unknown\nWriting manifest to image destination',
      ),
      'build|build-error||||error: reading manifest latest in quay.io/<ref>: manifest unknown',
    );
  });

  it('exit codes, HTTP statuses, registry hosts and steps tell causes apart', () => {
    const exit = (code: number) =>
      keyOf(
        `Task build failed (TaskRun a-on-push-8xk2p-build): Failed: "step-build" exited with code ${code}`,
      );
    assert.notEqual(exit(1), exit(2));
    assert.notEqual(
      keyOf('Error: push quay.io/a/b: unauthorized'),
      keyOf('Error: push registry.redhat.io/a/b: unauthorized'),
    );
    assert.notEqual(
      keyOf('Error: GET https://quay.io/v2/x returned 401'),
      keyOf('Error: GET https://quay.io/v2/x returned 404'),
    );
    assert.notEqual(
      keyOf(
        'Task build failed (TaskRun a-on-push-8xk2p-build): Failed: "step-build" exited with code 1',
      ),
      keyOf(
        'Task build failed (TaskRun a-on-push-8xk2p-build): Failed: "step-push" exited with code 1',
      ),
    );
  });

  it('a MintMaker failure names its dependency and, for a security update, its CVEs', () => {
    const signature = failureSignature({
      issueType: 'dependency',
      title: 'MintMaker error: 1 log line(s) for github.com/acme/app@main',
      description:
        'artifactErrors: Update module golang.org/x/net to v0.23.0 [SECURITY] (cve-2023-45288, CVE-2023-39325, CVE-2023-45288)\ngo: conflicting requirements',
    });
    assert.equal(signature?.dependency, 'golang.org/x/net');
    assert.deepEqual(signature?.cves, ['CVE-2023-39325', 'CVE-2023-45288']);
  });

  it('the same failure for another dependency is another cause', () => {
    const lookup = (dep: string) =>
      keyOf(
        `Failed to look up docker package ${dep}: unauthorized: authentication required`,
        'dependency',
      );
    assert.notEqual(lookup('quay.io/acme/a'), lookup('quay.io/acme/b'));
    assert.equal(lookup('quay.io/acme/a:1.2.3'), lookup('quay.io/acme/a:1.3.0'));
  });

  it('an empty description has no signature; any other text has one, and never throws', () => {
    assert.equal(
      failureSignature({ issueType: 'build', title: 'x', description: ' \n\t\n' }),
      null,
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (description) => {
        const signature = failureSignature({ issueType: 'test', title: '', description });
        assert.equal(signature === null, description.trim() === '');
      }),
    );
  });

  it('a description past the line limit is read up to it', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `context line ${i}`);
    lines.push('Error: the real cause, too late to be read');
    assert.equal(keyOf(lines.join('\n')), 'build|other||||context line <n>');
  });
});

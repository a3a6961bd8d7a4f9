import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BUILTIN_WEBHOOKS } from '../../src/domain/builtin-webhooks.js';
import { render, runWebhook, truncate } from '../../src/domain/webhook-engine.js';

const builtin = (name: string) => {
  const found = BUILTIN_WEBHOOKS.find((w) => w.name === name);
  assert.ok(found, name);
  return found;
};

describe('webhook templates', () => {
  it('fills placeholders, joins and counts lists, reads settings', () => {
    const payload = { name: 'api', logs: ['a', 'b'] };
    assert.deepEqual(
      render('{{name}}: {{logs|count}} -> {{logs|join}} @ {{settings.base}}', payload, {
        base: 'https://x',
      }),
      {
        text: 'api: 2 -> a\nb @ https://x',
        complete: true,
      },
    );
    assert.equal(render('{{missing}}x', payload, {}).complete, false);
  });

  it('never expands placeholders that arrive inside payload values', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const payload = { a: `${a}{{b}}`, b };
        assert.equal(render('{{a}}', payload, {}).text, `${a}{{b}}`);
      }),
    );
  });
});

describe('built-in webhooks', () => {
  it('pipeline-failure prefers logsUrl, then the configured base with runId, else no link', () => {
    const def = builtin('pipeline-failure');
    const base = { pipelineName: 'p', namespace: 'ns', failureReason: 'r' };
    const linkOf = (payload: object, settings = {}) => {
      const action = runWebhook(def, { ...base, ...payload }, settings);
      assert.equal(action.kind, 'report');
      return action.kind === 'report' ? action.report.links : undefined;
    };
    assert.deepEqual(
      linkOf({ logsUrl: 'https://l', runId: 'r1' }, { pipelineRunLogsBaseUrl: 'https://b/' }),
      [{ title: 'Pipeline Run Logs', url: 'https://l' }],
    );
    assert.deepEqual(linkOf({ runId: 'r1' }, { pipelineRunLogsBaseUrl: 'https://b/' }), [
      { title: 'Pipeline Run Logs', url: 'https://b/r1' },
    ]);
    assert.deepEqual(linkOf({ runId: 'r1' }), []);
    assert.deepEqual(linkOf({}, { pipelineRunLogsBaseUrl: 'https://b/' }), []);
  });

  it('mintmaker-custom maps its type to severity and skips empty logs', () => {
    const def = builtin('mintmaker-custom');
    const run = (type: string, logs?: string[]) =>
      runWebhook(
        def,
        { pipelineId: 'gh/o/r@main', namespace: 'ns', type, ...(logs ? { logs } : {}) },
        {},
      );
    assert.equal(run('error', []).kind, 'skip');
    assert.equal(run('error').kind, 'skip');
    for (const [type, severity] of [
      ['error', 'major'],
      ['warning', 'minor'],
      ['info', 'info'],
    ]) {
      const action = run(type!, ['x']);
      assert.ok(action.kind === 'report');
      assert.equal(action.report.severity, severity);
      assert.equal(action.report.scope.resourceType, `mintmaker-${type}`);
    }
  });

  it('payload labels are added to the labels a webhook sets', () => {
    const action = runWebhook(
      builtin('build-failure'),
      { componentName: 'c', namespace: 'ns', errorMessage: 'e', labels: { cluster: 'east' } },
      {},
    );
    assert.ok(action.kind === 'report');
    assert.deepEqual(action.report.labels, {
      'appstudio.openshift.io/component': 'c',
      cluster: 'east',
    });
  });

  it('success webhooks resolve the same scope their failure webhooks report on', () => {
    const pairs = [
      ['pipeline-failure', 'pipeline-success', { pipelineName: 'p', failureReason: 'r' }],
      ['release-failure', 'release-success', { application: 'a', failurePhase: 'f', release: 'r' }],
      ['build-failure', 'build-success', { componentName: 'c', errorMessage: 'e' }],
      ['test-failure', 'test-success', { componentName: 'c', scenario: 's', failureReason: 'r' }],
    ] as const;
    for (const [failure, success, payload] of pairs) {
      const reported = runWebhook(builtin(failure), { namespace: 'ns', ...payload }, {});
      const resolved = runWebhook(builtin(success), { namespace: 'ns', ...payload }, {});
      assert.ok(reported.kind === 'report' && resolved.kind === 'resolve');
      assert.deepEqual(resolved.target, { namespace: 'ns', scope: reported.report.scope }, failure);
      if (resolved.issueType) assert.equal(resolved.issueType, reported.report.issueType);
    }
  });
});

describe('truncating rendered text at a cap', () => {
  it('keeps text within the cap as it is, and cuts longer text to exactly the cap with the marker', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.integer({ min: 7, max: 40 }),
        (text, max) => {
          const cut = truncate(text, max, '…[cut]');
          if (text.length <= max) return assert.equal(cut, text);
          assert.ok(cut.length <= max);
          assert.ok(cut.endsWith('…[cut]'));
          assert.ok(text.startsWith(cut.slice(0, -'…[cut]'.length)));
          // Never half of a surrogate pair before the marker.
          assert.equal(cut, cut.replace(/[\ud800-\udbff](?![\udc00-\udfff])/g, ''));
        },
      ),
    );
  });
});

describe('task-update', () => {
  const payload = {
    namespace: 'team-a',
    component: 'frontend',
    task: 'buildah',
    bundle: 'quay.io/konflux-ci/tekton-catalog/task-buildah:0.4@sha256:abc',
    dueAt: '2027-01-15T23:30:00-02:00',
  };
  const reportOf = (extra: Record<string, unknown>) => {
    const action = runWebhook(builtin('task-update'), { ...payload, ...extra }, {});
    assert.equal(action.kind, 'report');
    return action.report;
  };

  it('titles with the version when given, and the due date as a UTC date', () => {
    assert.equal(
      reportOf({ version: '0.4' }).title,
      'Task buildah 0.4 in component frontend is outdated: update by 2027-01-16',
    );
    assert.equal(
      reportOf({}).title,
      'Task buildah in component frontend is outdated: update by 2027-01-16',
    );
    assert.equal(reportOf({}).dueAt, '2027-01-15T23:30:00-02:00');
  });

  it('has a migration when either migration field is given, else none', () => {
    const url = 'https://example.com/MIGRATION.md';
    assert.equal(reportOf({}).migration, undefined);
    assert.deepEqual(reportOf({ migrationUrl: url }).migration, { required: true, url });
    assert.deepEqual(reportOf({ migrationRequired: 'false' }).migration, {
      required: false,
      url: null,
    });
  });

  it('refuses a due date or migration link a custom definition let through', () => {
    assert.throws(() => reportOf({ dueAt: '2027-01-15' }), /RFC 3339/);
    assert.throws(() => reportOf({ migrationUrl: 'javascript:alert(1)' }), /http\(s\) URL/);
  });
});

/**
 * The pure rules of notifications (src/domain/subscription.ts, notification.ts): what a
 * subscription matches, which group a change falls in, what a flush tells, holds or
 * drops, and how a message reads.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  headline,
  planFlush,
  type NotifiedIssue,
  type PendingTransition,
} from '../../src/domain/notification.js';
import { checkSpec, groupKey, matches } from '../../src/domain/subscription.js';

const APP = 'appstudio.openshift.io/application';
const COMPONENT = 'appstudio.openshift.io/component';
const issue = (extra: Partial<NotifiedIssue> = {}): NotifiedIssue => ({
  title: 'Build failed: web',
  description: 'exit 1',
  severity: 'major',
  state: 'ACTIVE',
  issueType: 'build',
  scope: { resourceType: 'component', resourceName: 'web' },
  labels: { [APP]: 'storefront', [COMPONENT]: 'web', env: 'prod' },
  links: [],
  ...extra,
});
const pending = (id: string, issueId: string, extra: Partial<PendingTransition> = {}) => ({
  id,
  issueId,
  transition: 'opened' as const,
  severity: 'major' as const,
  previousSeverity: null,
  at: `2026-12-03T10:00:0${id}Z`,
  issue: issue(),
  ...extra,
});
const matched = { namespace: 'team-a', issueType: 'build' as const, severity: 'major' as const };

describe('what a subscription matches', () => {
  it('every condition given must hold, severity at least the minimum', () => {
    const labels = issue().labels;
    assert.ok(matches({}, { ...matched, labels }));
    assert.ok(matches({ minSeverity: 'minor' }, { ...matched, labels }));
    assert.ok(!matches({ minSeverity: 'critical' }, { ...matched, labels }));
    assert.ok(!matches({ issueTypes: ['test', 'release'] }, { ...matched, labels }));
    assert.ok(matches({ application: 'storefront', component: 'web' }, { ...matched, labels }));
    assert.ok(!matches({ application: 'storefront', component: 'api' }, { ...matched, labels }));
    assert.ok(matches({ labelSelector: 'env=prod,tier!=db,!legacy' }, { ...matched, labels }));
    assert.ok(!matches({ labelSelector: 'env in (staging,dev)' }, { ...matched, labels }));
  });

  it('the group key is the groupBy values in order; a missing label is empty', () => {
    const labels = { [APP]: 'storefront' };
    assert.equal(
      groupKey(['namespace', 'application', 'component'], { ...matched, labels }),
      'namespace=team-a,application=storefront,component=',
    );
  });

  it('defaults fill what the spec leaves out', () => {
    const spec = checkSpec({ receivers: [{ type: 'email', to: ['a@example.com'] }] });
    assert.deepEqual(
      { ...spec, receivers: undefined },
      {
        source: 'api',
        match: {},
        receivers: undefined,
        groupBy: ['namespace', 'application'],
        groupWait: '30s',
        groupInterval: '5m',
        repeatInterval: null,
      },
    );
  });
});

describe('what a flush tells', () => {
  it('per issue only its latest transition is told; the earlier are taken out', () => {
    const plan = planFlush(
      [pending('1', 'a'), pending('2', 'a', { transition: 'severity-raised' }), pending('3', 'b')],
      new Map(),
    );
    assert.deepEqual(
      plan.send.map(({ id, item }) => [id, item.issueId, item.transition]),
      [
        ['2', 'a', 'severity-raised'],
        ['3', 'b', 'opened'],
      ],
    );
    assert.deepEqual([...plan.taken].sort(), ['1', '2', '3']);
    assert.deepEqual(plan.held, []);
  });

  it('a muted transition is held with its silence, not taken', () => {
    const plan = planFlush([pending('1', 'a'), pending('2', 'b')], new Map([['a', 'quiet']]));
    assert.deepEqual(plan.held, [{ id: '1', silence: 'quiet' }]);
    assert.deepEqual(plan.taken, ['2']);
    assert.deepEqual(
      plan.send.map(({ item }) => item.issueId),
      ['b'],
    );
  });

  it('a transition no longer true, or of a deleted issue, is taken out untold', () => {
    const plan = planFlush(
      [
        pending('1', 'a', { issue: issue({ state: 'RESOLVED' }) }),
        pending('2', 'b', { issue: undefined }),
        pending('3', 'c', { transition: 'resolved', issue: issue({ state: 'RESOLVED' }) }),
      ],
      new Map(),
    );
    assert.deepEqual(
      plan.send.map(({ item }) => [item.issueId, item.transition]),
      [['c', 'resolved']],
    );
    assert.deepEqual([...plan.taken].sort(), ['1', '2', '3']);
  });

  it('a message quotes the first lines of the reason only', () => {
    const long = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    const plan = planFlush([pending('1', 'a', { issue: issue({ description: long }) })], new Map());
    assert.equal(plan.send[0]!.item.description, 'line 0\nline 1\nline 2\nline 3\nline 4');
  });

  it('the headline counts by transition, names the group and what was left out', () => {
    const items = planFlush(
      [
        pending('1', 'a'),
        pending('2', 'b'),
        pending('3', 'c', { transition: 'resolved', issue: issue({ state: 'RESOLVED' }) }),
      ],
      new Map(),
    ).send.map(({ item }) => item);
    const message = {
      namespace: 'team-a',
      subscription: 's',
      group: 'namespace=team-a,application=storefront',
      items,
      omitted: 0,
    };
    assert.equal(
      headline(message),
      '2 issues opened, 1 issue resolved in team-a (application=storefront)',
    );
    assert.equal(
      headline({ ...message, omitted: 60 }),
      '2 issues opened, 1 issue resolved, and 60 more in team-a (application=storefront)',
    );
  });
});

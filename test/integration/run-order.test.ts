/**
 * The rules that make the bridge operator's reports safe to repeat and to deliver out of
 * order: a run already recorded is not counted again, and an older observation never
 * overrides the state a newer one decided (docs/decisions/0006-run-order.md).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useTestServer } from '../support/test-server.js';

const { api } = useTestServer();

const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 10, minute)).toISOString();

function failure(component: string, runId: string, minute: number, reason = 'task build failed') {
  return api.post('/api/v1/webhooks/run-failure', {
    namespace: 'order-ns',
    issueType: 'build',
    scopeType: 'component',
    scopeName: component,
    title: `Build failed: ${component}`,
    reason,
    runId,
    occurredAt: at(minute),
  });
}

function success(component: string, runId: string, minute: number) {
  return api.post('/api/v1/webhooks/run-success', {
    namespace: 'order-ns',
    issueType: 'build',
    scopeType: 'component',
    scopeName: component,
    runId,
    occurredAt: at(minute),
  });
}

async function issueOf(component: string) {
  const list = await api.get(`/api/v1/issues?namespace=order-ns&resourceType=component`);
  assert.equal(list.status, 200);
  return list.body.data.find((issue: any) => issue.scope.resourceName === component);
}

describe('run-failure and run-success', () => {
  it('the issue type and scope come from the payload', async () => {
    const answer = await failure('typed', 'typed-1', 1);
    assert.equal(answer.status, 201);
    assert.equal(answer.body.issue.issueType, 'build');
    assert.deepEqual(
      [answer.body.issue.scope.resourceType, answer.body.issue.scope.resourceName],
      ['component', 'typed'],
    );
    const resolved = await success('typed', 'typed-2', 2);
    assert.equal(resolved.status, 200);
    assert.match(resolved.body.message, /Resolved 1 build issue/);
  });

  it('an unknown issue type or a malformed occurredAt is a 400 that stores nothing', async () => {
    const badType = await api.post('/api/v1/webhooks/run-failure', {
      namespace: 'order-bad',
      issueType: 'nonsense',
      scopeType: 'component',
      scopeName: 'x',
      title: 't',
      reason: 'r',
    });
    assert.equal(badType.status, 400);
    const badTime = await api.post('/api/v1/webhooks/run-failure', {
      namespace: 'order-bad',
      issueType: 'build',
      scopeType: 'component',
      scopeName: 'x',
      title: 't',
      reason: 'r',
      occurredAt: 'yesterday',
    });
    assert.equal(badTime.status, 400);
    assert.match(JSON.stringify(badTime.body), /occurredAt/);
    const list = await api.get('/api/v1/issues?namespace=order-bad');
    assert.equal(list.body.total, 0);
  });
});

describe('a run reported twice is counted once', () => {
  it('re-sending the same run changes nothing and adds no timeline event', async () => {
    const first = await failure('dup', 'dup-run-1', 1);
    const again = await failure('dup', 'dup-run-1', 1);
    assert.equal(again.status, 201);
    assert.equal(again.body.issue.id, first.body.issue.id);
    assert.equal(again.body.issue.occurrences, 1);
    const other = await failure('dup', 'dup-run-2', 2);
    assert.equal(other.body.issue.occurrences, 2);
    const events = await api.get(`/api/v1/issues/${first.body.issue.id}/events`);
    assert.deepEqual(
      events.body.data.map((e: any) => [e.kind, e.runId]),
      [
        ['reported', 'dup-run-2'],
        ['created', 'dup-run-1'],
      ],
    );
  });
});

describe('an older run never overrides a newer one', () => {
  it('a failure older than the success that resolved the issue is counted but does not reopen it', async () => {
    await failure('late-failure', 'lf-1', 1);
    await success('late-failure', 'lf-3', 3);
    const late = await failure('late-failure', 'lf-2', 2, 'an older reason');
    assert.equal(late.body.issue.state, 'RESOLVED');
    assert.equal(late.body.issue.occurrences, 2);
    assert.notEqual(late.body.issue.description, 'an older reason');
  });

  it('a success older than the failure that opened the issue does not resolve it', async () => {
    await failure('late-success', 'ls-2', 2);
    const late = await success('late-success', 'ls-1', 1);
    assert.match(late.body.message, /Resolved 0/);
    assert.equal((await issueOf('late-success')).state, 'ACTIVE');
  });

  it('a newer success on a resolved issue keeps out a failure that happened before it', async () => {
    await failure('two-successes', 'ts-1', 1);
    await success('two-successes', 'ts-2', 2);
    const repeat = await success('two-successes', 'ts-5', 5);
    assert.match(repeat.body.message, /Resolved 0/);
    const late = await failure('two-successes', 'ts-4', 4);
    assert.equal(late.body.issue.state, 'RESOLVED');
    const newer = await failure('two-successes', 'ts-6', 6);
    assert.equal(newer.body.issue.state, 'ACTIVE', 'a failure after the last success reopens');
  });

  it('reports without occurredAt (existing clients) keep last-writer-wins behaviour', async () => {
    const base = { namespace: 'order-ns', failureReason: 'x' };
    await api.post('/api/v1/webhooks/pipeline-failure', { ...base, pipelineName: 'plain' });
    await api.post('/api/v1/webhooks/pipeline-success', {
      namespace: 'order-ns',
      pipelineName: 'plain',
    });
    const reopened = await api.post('/api/v1/webhooks/pipeline-failure', {
      ...base,
      pipelineName: 'plain',
    });
    assert.equal(reopened.body.issue.state, 'ACTIVE');
  });

  it('a person resolving an issue by hand decides its state until a newer failure', async () => {
    const opened = await failure('manual', 'm-1', 1);
    const resolved = await api.post(`/api/v1/issues/${opened.body.issue.id}/resolve`);
    assert.equal(resolved.status, 200);
    // A failure that completed (long) before the hand resolution does not reopen it.
    const late = await failure('manual', 'm-0', 0);
    assert.equal(late.body.issue.state, 'RESOLVED');
  });
});

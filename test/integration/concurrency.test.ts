/**
 * Duplicate prevention is a database guarantee: concurrent reports of one problem leave
 * exactly one issue, every report is counted, and successes racing failures leave each
 * scope in the state of whichever of them committed last.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useTestServer } from '../support/test-server.js';

const { server, api } = useTestServer();

describe('concurrent webhooks', () => {
  it('200 identical pipeline-failure webhooks fired at once leave one active issue with occurrences = 200', async () => {
    const body = {
      pipelineName: 'github.com/org/repo@main',
      namespace: 'storm-ns',
      failureReason: 'Renovate exited 1',
    };
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => api.post('/api/v1/webhooks/pipeline-failure', body)),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      Array.from({ length: 200 }, () => 201),
    );
    assert.equal(
      new Set(answers.map((a) => a.body.issue.id)).size,
      1,
      'every answer names the same issue',
    );

    const rows = await server.db.query<{ state: string; occurrences: number }>(
      `SELECT state, occurrences FROM issues WHERE namespace = 'storm-ns'`,
    );
    assert.deepEqual(rows.rows, [{ state: 'ACTIVE', occurrences: 200 }]);
    const id = answers[0]?.body.issue.id;
    const timeline = await api.get(`/api/v1/issues/${id}/events?limit=1000`);
    assert.equal(timeline.body.total, 200);
    assert.equal(timeline.body.data.filter((e: any) => e.kind === 'created').length, 1);
    assert.equal(timeline.body.data.filter((e: any) => e.kind === 'reported').length, 199);
  });

  it('failures and successes racing over 50 scopes leave one issue per scope in the last committed state', async () => {
    const scopes = Array.from({ length: 50 }, (_, i) => `component-${i}`);
    const failure = (name: string, n: number) =>
      api.post('/api/v1/webhooks/pipeline-failure', {
        pipelineName: name,
        namespace: 'race-ns',
        failureReason: `try ${n}`,
      });
    const success = (name: string) =>
      api.post('/api/v1/webhooks/pipeline-success', { pipelineName: name, namespace: 'race-ns' });

    // Round 1: every scope gets 3 failures and 2 successes, all in flight together.
    const round1 = scopes.flatMap((name) => [
      failure(name, 1),
      success(name),
      failure(name, 2),
      success(name),
      failure(name, 3),
    ]);
    for (const answer of await Promise.all(round1))
      assert.ok(answer.status === 200 || answer.status === 201);

    const afterRace = await server.db.query<{
      scope_name: string;
      state: string;
      occurrences: number;
      resolved_at: Date | null;
      last_kind: string;
    }>(
      `SELECT i.scope_name, i.state, i.occurrences, i.resolved_at,
              (SELECT kind FROM issue_events e WHERE e.issue_id = i.id ORDER BY e.id DESC LIMIT 1) AS last_kind
       FROM issues i WHERE namespace = 'race-ns'`,
    );
    assert.equal(afterRace.rows.length, 50, 'exactly one issue per scope');
    for (const row of afterRace.rows) {
      assert.equal(row.occurrences, 3, `${row.scope_name}: every failure counted`);
      const expected = row.last_kind === 'resolved' ? 'RESOLVED' : 'ACTIVE';
      assert.equal(
        row.state,
        expected,
        `${row.scope_name}: state follows the last committed report`,
      );
      assert.equal(row.resolved_at === null, expected === 'ACTIVE');
    }

    // Round 2: even scopes succeed, odd scopes fail again, concurrently: final states are known.
    const round2 = scopes.map((name, i) => (i % 2 === 0 ? success(name) : failure(name, 4)));
    await Promise.all(round2);
    const final = await api.get('/api/v1/issues?namespace=race-ns&limit=100');
    assert.equal(final.body.total, 50);
    for (const issue of final.body.data) {
      const index = Number(issue.scope.resourceName.split('-')[1]);
      assert.equal(issue.state, index % 2 === 0 ? 'RESOLVED' : 'ACTIVE', issue.scope.resourceName);
      assert.equal(issue.occurrences, index % 2 === 0 ? 3 : 4, issue.scope.resourceName);
    }
  });
});

/**
 * Times PostgreSQL cannot store (year 0000, which RFC 3339's grammar allows) are bad
 * input: a 400 naming the field, nothing written, never a 5xx — and, since reports are
 * written in groups, never a failure of the other reports of the same group.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useTestServer } from '../support/test-server.js';

const { server, api } = useTestServer();
const YEAR_ZERO = '0000-06-01T00:00:00Z';

const issues = async () =>
  (await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM issues')).rows[0]?.n;

describe('times out of range', () => {
  it('answers 400 for a year-0000 time in every field that takes one', async () => {
    const before = await issues();
    const answers = [
      await api.post('/api/v1/issues', {
        title: 'due long ago',
        description: '',
        severity: 'minor',
        issueType: 'task-update',
        namespace: 'times',
        scope: { resourceType: 'component-task', resourceName: 'web/buildah' },
        dueAt: YEAR_ZERO,
      }),
      await api.post('/api/v1/webhooks/task-update', {
        namespace: 'times',
        component: 'web',
        task: 'buildah',
        bundle: `quay.io/konflux-ci/tekton-catalog/task-buildah:0.4@sha256:${'a'.repeat(64)}`,
        dueAt: YEAR_ZERO,
      }),
      await api.post('/api/v1/webhooks/pipeline-failure', {
        namespace: 'times',
        pipelineName: 'p',
        failureReason: 'exit 1',
        runStartedAt: YEAR_ZERO,
      }),
      await api.get(`/api/v1/issues?dueBefore=${YEAR_ZERO}`),
      await api.get(`/api/v1/issues/counts?dueBefore=${YEAR_ZERO}`),
    ];
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [400, 400, 400, 400, 400],
      JSON.stringify(answers.map((answer) => answer.body)),
    );
    // The webhooks' own fields are named (the others are refused by the database).
    assert.match(answers[1]!.body.error, /due date must be an RFC 3339/);
    assert.match(answers[2]!.body.error, /runStartedAt must be an RFC 3339/);
    assert.equal(await issues(), before);
  });

  it('fails no other report sent with one that carries a year-0000 time', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        api.post('/api/v1/webhooks/task-update', {
          namespace: 'times',
          component: `c-${i}`,
          task: 'buildah',
          bundle: `quay.io/konflux-ci/tekton-catalog/task-buildah:0.4@sha256:${'b'.repeat(64)}`,
          dueAt: i === 3 ? YEAR_ZERO : '2027-01-15T00:00:00Z',
        }),
      ),
    );
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [201, 201, 201, 400, 201, 201, 201, 201],
    );
  });
});

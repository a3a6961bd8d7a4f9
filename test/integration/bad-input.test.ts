/**
 * Bad input gets a clear 4xx error that names what is wrong, and changes nothing.
 * Hostile input never causes a 5xx.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { useTestServer } from '../support/test-server.js';

const { server, api } = useTestServer({ env: { KITE_BODY_LIMIT: '64Ki' } });

const valid = {
  title: 'Build failed',
  description: 'exit 1',
  severity: 'major',
  issueType: 'build',
  namespace: 'bad-ns',
  scope: { resourceType: 'component', resourceName: 'api' },
};

async function snapshot(): Promise<string> {
  const rows = await server.db.query(
    `SELECT (SELECT coalesce(json_agg(i ORDER BY id), '[]') FROM issues i)::text AS issues,
            (SELECT count(*) FROM issue_events)::int AS events,
            (SELECT count(*) FROM issue_relations)::int AS relations`,
  );
  return JSON.stringify(rows.rows[0]);
}

describe('bad input', () => {
  it('malformed JSON answers 400 and stores nothing', async () => {
    const before = await snapshot();
    const answer = await api.post(
      '/api/v1/webhooks/pipeline-failure',
      '{"pipelineName": "x", "namespace":',
    );
    assert.equal(answer.status, 400);
    assert.match(answer.body.error, /JSON/);
    assert.equal(await snapshot(), before);
  });

  it('a body that is not an object answers 400', async () => {
    for (const body of ['[]', '"text"', '42', 'null']) {
      const answer = await api.post('/api/v1/issues', body);
      assert.equal(answer.status, 400, body);
      assert.equal(typeof answer.body.error, 'string');
    }
  });

  const wrongTypes: [string, Record<string, unknown>, string][] = [
    ['title as a number', { ...valid, title: 123 }, 'title'],
    ['severity as a number', { ...valid, severity: 3 }, 'severity'],
    ['scope as a string', { ...valid, scope: 'component/api' }, 'scope'],
    ['links as an object', { ...valid, links: { title: 'x', url: 'y' } }, 'links'],
    ['a label value as a number', { ...valid, labels: { team: 5 } }, 'labels.team'],
    [
      'scope.resourceName as a boolean',
      { ...valid, scope: { resourceType: 'component', resourceName: true } },
      'scope.resourceName',
    ],
  ];
  for (const [what, body, field] of wrongTypes) {
    it(`${what} answers 400 naming ${field}`, async () => {
      const before = await snapshot();
      const answer = await api.post('/api/v1/issues', body);
      assert.equal(answer.status, 400);
      assert.ok(
        answer.body.details.some((d: any) => d.field === field),
        `details name ${field}: ${JSON.stringify(answer.body.details)}`,
      );
      assert.match(answer.body.error, new RegExp(field.replace('.', '\\.')));
      assert.equal(await snapshot(), before);
    });
  }

  it('webhook fields of the wrong type answer 400 naming the field', async () => {
    const answer = await api.post('/api/v1/webhooks/pipeline-failure', {
      pipelineName: ['a'],
      namespace: 'bad-ns',
      failureReason: 'r',
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.details[0].field, 'pipelineName');
    const logs = await api.post('/api/v1/webhooks/mintmaker-custom', {
      pipelineId: 'p',
      namespace: 'bad-ns',
      type: 'error',
      logs: 'one line',
    });
    assert.equal(logs.status, 400);
    assert.equal(logs.body.details[0].field, 'logs');
  });

  it('unknown enum values answer 400 listing the allowed ones (body and query)', async () => {
    const body = await api.post('/api/v1/issues', { ...valid, issueType: 'deploy' });
    assert.equal(body.status, 400);
    assert.deepEqual(body.body.details, [
      {
        field: 'issueType',
        message:
          'issueType must be one of: build, test, release, dependency, pipeline, task-update',
        allowed: ['build', 'test', 'release', 'dependency', 'pipeline', 'task-update'],
      },
    ]);
    const query = await api.get('/api/v1/issues?severity=urgent');
    assert.equal(query.status, 400);
    assert.deepEqual(query.body.details[0].allowed, ['info', 'minor', 'major', 'critical']);
    const state = await api.get('/api/v1/issues/counts?state=OPEN');
    assert.equal(state.status, 400);
    assert.deepEqual(state.body.details[0].allowed, ['ACTIVE', 'RESOLVED']);
  });

  it('an invalid UUID answers 400 on every by-id route', async () => {
    const calls = [
      api.get('/api/v1/issues/not-a-uuid'),
      api.put('/api/v1/issues/not-a-uuid', { title: 'x' }),
      api.delete('/api/v1/issues/not-a-uuid'),
      api.post('/api/v1/issues/not-a-uuid/resolve'),
      api.get('/api/v1/issues/not-a-uuid/events'),
      api.post('/api/v1/issues/00000000-0000-4000-8000-000000000000/related', {
        relatedId: 'nope',
      }),
      api.delete('/api/v1/issues/00000000-0000-4000-8000-000000000000/related/nope'),
    ];
    for (const answer of await Promise.all(calls)) {
      assert.equal(answer.status, 400);
      assert.match(answer.body.error, /must be a valid UUID/);
    }
  });

  it('limit and offset out of range answer 400', async () => {
    for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'offset=-1']) {
      const answer = await api.get(`/api/v1/issues?${query}`);
      assert.equal(answer.status, 400, query);
      assert.match(answer.body.error, /limit|offset/);
    }
  });

  it('a malformed label selector answers 400', async () => {
    for (const selector of ['a in (b', 'a=b)', 'a=b=c', '=b', 'a b=c']) {
      const answer = await api.get(`/api/v1/issues?labelSelector=${encodeURIComponent(selector)}`);
      assert.equal(answer.status, 400, selector);
      assert.match(answer.body.error, /labelSelector/);
    }
  });

  it('a body over the configured limit answers 413 and stores nothing', async () => {
    const before = await snapshot();
    const answer = await api.post('/api/v1/webhooks/mintmaker-custom', {
      pipelineId: 'p',
      namespace: 'bad-ns',
      type: 'error',
      logs: [`${'x'.repeat(70 * 1024)}`],
    });
    assert.equal(answer.status, 413);
    assert.match(answer.body.error, /too large/);
    assert.equal(await snapshot(), before);
  });

  it('a body of another content type answers 415', async () => {
    const answer = await api.call('POST', '/api/v1/issues', 'title=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(answer.status, 415);
    assert.equal(typeof answer.body.error, 'string');
  });

  it('an unknown route answers 404 JSON, including unknown webhooks', async () => {
    for (const [method, path] of [
      ['GET', '/api/v2/issues'],
      ['POST', '/api/v1/webhooks/deploy-failure'],
      ['PATCH', '/api/v1/issues'],
    ]) {
      const answer = await api.call(method!, path!, method === 'GET' ? undefined : {});
      assert.equal(answer.status, 404);
      assert.match(answer.headers.get('content-type') ?? '', /application\/json/);
      assert.match(answer.body.error, /not found/);
    }
  });

  it('a query namespace that differs from the body namespace answers 400 and stores nothing', async () => {
    const before = await snapshot();
    const answer = await api.post('/api/v1/webhooks/pipeline-failure?namespace=team-a', {
      pipelineName: 'p',
      namespace: 'team-b',
      failureReason: 'r',
    });
    assert.equal(answer.status, 400);
    assert.match(answer.body.error, /namespace/);
    assert.equal(await snapshot(), before);
  });

  it('an update that would duplicate another identity answers 409 and changes nothing', async () => {
    const a = await api.post('/api/v1/issues', {
      ...valid,
      scope: { resourceType: 'component', resourceName: 'a' },
    });
    await api.post('/api/v1/issues', {
      ...valid,
      scope: { resourceType: 'component', resourceName: 'b' },
    });
    const before = await snapshot();
    const answer = await api.put(`/api/v1/issues/${a.body.id}`, {
      title: 'changed',
      scope: { resourceName: 'b' },
    });
    assert.equal(answer.status, 409);
    assert.equal(typeof answer.body.error, 'string');
    assert.equal(await snapshot(), before);
  });

  it('relating an issue to itself answers 400', async () => {
    const a = await api.post('/api/v1/issues', {
      ...valid,
      scope: { resourceType: 'component', resourceName: 'self' },
    });
    const answer = await api.post(`/api/v1/issues/${a.body.id}/related`, { relatedId: a.body.id });
    assert.equal(answer.status, 400);
  });

  it('hostile text is stored and searched as data, never as SQL', async () => {
    const hostile = `'; DROP TABLE issues; -- %_\\ <script>alert(1)</script>`;
    const created = await api.post('/api/v1/issues', {
      ...valid,
      title: hostile,
      scope: { resourceType: 'component', resourceName: hostile },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.title, hostile);
    const search = await api.get(`/api/v1/issues?search=${encodeURIComponent("'; DROP TABLE")}`);
    assert.equal(search.status, 200);
    assert.equal(search.body.total, 1);
    const wildcard = await api.get(
      `/api/v1/issues?namespace=bad-ns&search=${encodeURIComponent('%')}`,
    );
    assert.equal(wildcard.body.total, 1, '% is a literal character, not a wildcard');
    const byName = await api.get(`/api/v1/issues?resourceName=${encodeURIComponent(hostile)}`);
    assert.equal(byName.body.total, 1);
  });

  it('invalid label keys answer 400', async () => {
    const answer = await api.post('/api/v1/issues', { ...valid, labels: { 'bad key!': 'x' } });
    assert.equal(answer.status, 400);
    assert.match(answer.body.error, /labels/);
  });

  it('a request id from the caller is echoed, and one is made up otherwise', async () => {
    const given = await api.get('/healthz', { 'x-request-id': 'trace-123' });
    assert.equal(given.headers.get('x-request-id'), 'trace-123');
    const made = await api.get('/healthz');
    assert.match(made.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const hostile = await api.get('/healthz', { 'x-request-id': 'a\tb' });
    assert.notEqual(hostile.headers.get('x-request-id'), 'a\tb');
  });

  it('a truncated request body never reaches the store', async () => {
    const before = await snapshot();
    await new Promise<void>((resolve) => {
      const url = new URL('/api/v1/issues', server.url);
      const req = request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': '500' },
      });
      req.on('error', () => resolve());
      req.on('response', (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.write(JSON.stringify(valid).slice(0, 40));
      setTimeout(() => req.destroy(), 200);
    });
    assert.equal(await snapshot(), before);
  });
});

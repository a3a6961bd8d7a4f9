/**
 * konflux-ui's exact requests, byte for byte, against the real server. Every query string
 * below is what konflux-ui (github.com/konflux-ci/konflux-ui, read at commit 0968b43d)
 * sends: `fetchIssues` (src/kite/kite-fetch.ts) appends `getQueryString(issueQuery)`
 * (src/k8s/k8s-utils.ts) to `issues/?`; `getQueryString` keeps the object's key order,
 * URI-encodes each value and turns an undefined value into `key=`. So the hooks' spread
 * order decides the order of the parameters, and an unset filter arrives as an empty one,
 * which must mean "not given" (not a 400).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useTestServer } from '../support/test-server.js';

const { api, onStart } = useTestServer();
const ns = 'ui-ns';

onStart(async () => {
  const specs: [string, string, string][] = [
    ['critical', 'build', 'api'],
    ['critical', 'test', 'web'],
    ['major', 'release', 'portal'],
    ['minor', 'dependency', 'deps'],
    ['info', 'pipeline', 'nightly'],
  ];
  for (const [severity, issueType, name] of specs) {
    const answer = await api.post('/api/v1/issues', {
      title: `${issueType} problem in ${name}`,
      description: 'seen by the UI test',
      severity,
      issueType,
      namespace: ns,
      scope: { resourceType: 'component', resourceName: name },
    });
    assert.equal(answer.status, 201);
  }
  // 23 more, so that the infinite list has a second page.
  for (let i = 0; i < 23; i++) {
    const answer = await api.post('/api/v1/webhooks/pipeline-failure', {
      pipelineName: `run-${i}`,
      namespace: ns,
      failureReason: 'step build exited 1',
    });
    assert.equal(answer.status, 201);
  }
  const major = await api.get(`/api/v1/issues?namespace=${ns}&severity=major`);
  await api.post(`/api/v1/issues/${major.body.data[0].id}/resolve`);
  await api.post('/api/v1/issues', {
    title: 'elsewhere',
    description: 'another namespace',
    severity: 'critical',
    issueType: 'build',
    namespace: 'ui-other-ns',
    scope: { resourceType: 'component', resourceName: 'x' },
  });
});

/** Status 200 and the same whole body as the query without the UI's empty parameters. */
async function assertSameAs(uiPath: string, plainPath: string) {
  const ui = await api.get(uiPath);
  assert.equal(ui.status, 200, `${uiPath}: ${JSON.stringify(ui.body)}`);
  const plain = await api.get(plainPath);
  assert.equal(plain.status, 200, plainPath);
  assert.deepEqual(ui.body, plain.body, uiPath);
  return ui.body;
}

const totalOf = async (path: string) => {
  const answer = await api.get(path);
  assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.body)}`);
  return answer.body.total as number;
};

describe("konflux-ui's cards and hooks, as they really query", () => {
  it('health: fetchHealth and checkIfKiteServiceIsEnabled ask /api/v1/health/ (trailing slash)', async () => {
    // src/kite/kite-fetch.ts fetchHealth: fetchKite('health/');
    // src/kite/conditional-checks.ts: commonFetch('/api/v1/health/', …)
    const answer = await api.get('/api/v1/health/');
    assert.equal(answer.status, 200);
    assert.equal(answer.body.status, 'UP');
  });

  it('IssueDistributionCard by severity: useIssueCountsBySeverity reads each total with limit=1', async () => {
    // src/kite/kite-hooks.ts useIssueCountsBySeverity: useIssues({ severity, ...{ namespace, limit: 1 } })
    const totals: Record<string, number> = {};
    for (const severity of ['critical', 'major', 'minor', 'info']) {
      totals[severity] = await totalOf(
        `/api/v1/issues/?severity=${severity}&namespace=${ns}&limit=1`,
      );
    }
    // 23 pipeline failures are major (the webhook's default) and one seeded major is resolved.
    assert.deepEqual(totals, { critical: 2, major: 24, minor: 1, info: 1 });
  });

  it('IssueDistributionCard by type: useIssueCountsByType reads each total with limit=1', async () => {
    // src/kite/kite-hooks.ts useIssueCountsByType: useIssues({ issueType, ...{ namespace, limit: 1 } })
    const totals: Record<string, number> = {};
    for (const issueType of ['build', 'test', 'release', 'dependency', 'pipeline']) {
      totals[issueType] = await totalOf(
        `/api/v1/issues/?issueType=${issueType}&namespace=${ns}&limit=1`,
      );
    }
    assert.deepEqual(totals, { build: 1, test: 1, release: 1, dependency: 1, pipeline: 24 });
  });

  it('IssuesNavItemContent: useCriticalAndMajorIssues reads the active critical and major totals', async () => {
    // src/kite/kite-hooks.ts useCriticalAndMajorIssues:
    //   useIssues({ severity, ...{ namespace, state: IssueState.ACTIVE, limit: 1 } })
    assert.equal(
      await totalOf(`/api/v1/issues/?severity=critical&namespace=${ns}&state=ACTIVE&limit=1`),
      2,
    );
    assert.equal(
      await totalOf(`/api/v1/issues/?severity=major&namespace=${ns}&state=ACTIVE&limit=1`),
      23,
    );
  });

  it('LatestIssuesCard: the 10 newest active issues', async () => {
    // src/components/Issues/LatestIssuesCard.tsx: useIssues({ namespace, state: IssueState.ACTIVE, limit: 10 })
    const answer = await api.get(`/api/v1/issues/?namespace=${ns}&state=ACTIVE&limit=10`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.data.length, 10);
    assert.equal(answer.body.total, 27);
    assert.equal(answer.body.limit, 10);
    assert.equal(answer.body.offset, 0);
  });

  it('IssuesByStatusCard and IssueListView: the namespace alone', async () => {
    // src/components/Issues/IssuesByStatusCard.tsx and
    // src/components/Issues/IssuesListView/IssueListView.tsx: useIssues({ namespace })
    const answer = await api.get(`/api/v1/issues/?namespace=${ns}`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.total, 28);
    assert.equal(answer.body.data.length, 28);
    assert.equal(answer.body.limit, 50);
  });

  it('useInfiniteIssues: the first page sends offset= (empty), the next the offset it computed', async () => {
    // src/kite/kite-query.ts createInfiniteIssueQueryOptions: initialPageParam undefined,
    //   { ...issueQuery, offset: pageParam, limit: issueQuery.limit || 20 }
    const first = await assertSameAs(
      `/api/v1/issues/?namespace=${ns}&offset=&limit=20`,
      `/api/v1/issues/?namespace=${ns}&limit=20`,
    );
    assert.equal(first.data.length, 20);
    assert.equal(first.offset, 0);
    assert.equal(first.limit, 20);
    // getNextPageParam: (lastPage.offset || 0) + lastPage.data.length
    const second = await api.get(`/api/v1/issues/?namespace=${ns}&offset=20&limit=20`);
    assert.equal(second.status, 200);
    assert.equal(second.body.data.length, 8);
    const ids = new Set([...first.data, ...second.body.data].map((issue: any) => issue.id));
    assert.equal(ids.size, 28, 'the two pages together hold every issue once');
  });

  it('an IssueQuery with every optional field left undefined: each becomes key= and means no filter', async () => {
    // src/kite/issue-type.ts IssueQuery: namespace, severity?, issueType?, state?,
    // resourceType?, resourceName?, search?, limit?, offset?; getQueryString writes an
    // undefined value as `key=` (src/k8s/k8s-utils.ts).
    await assertSameAs(
      `/api/v1/issues/?namespace=${ns}&severity=&issueType=&state=&resourceType=&resourceName=&search=&limit=&offset=`,
      `/api/v1/issues/?namespace=${ns}`,
    );
  });
});

describe('empty query values mean "not given" on every list and count route', () => {
  it('an empty namespace= reads every namespace the caller may read', async () => {
    await assertSameAs('/api/v1/issues?namespace=&limit=100', '/api/v1/issues?limit=100');
    await assertSameAs(
      `/api/v1/issues?namespace=&namespace=${ns}`,
      `/api/v1/issues?namespace=${ns}`,
    );
  });

  it('counts take empty filters as absent, labelSelector= included', async () => {
    const body = await assertSameAs(
      `/api/v1/issues/counts?namespace=${ns}&severity=&issueType=&state=&search=&labelSelector=`,
      `/api/v1/issues/counts?namespace=${ns}`,
    );
    assert.equal(body.total, 28);
    await assertSameAs(
      `/api/v1/issues?namespace=${ns}&labelSelector=`,
      `/api/v1/issues?namespace=${ns}`,
    );
  });

  it("an issue's timeline and the MintMaker run list take empty limit= and offset= as absent", async () => {
    const one = await api.get(`/api/v1/issues?namespace=${ns}&limit=1`);
    const id = one.body.data[0].id;
    await assertSameAs(`/api/v1/issues/${id}/events?limit=&offset=`, `/api/v1/issues/${id}/events`);
    const runs = await assertSameAs(
      `/api/v1/mintmaker/runs?namespace=&component=&limit=&offset=`,
      '/api/v1/mintmaker/runs',
    );
    assert.deepEqual(runs, { data: [], total: 0, limit: 50, offset: 0 });
  });

  const invalid: [string, string][] = [
    ['offset=abc', 'offset'],
    ['limit=0', 'limit'],
    ['severity=urgent', 'severity'],
    ['issueType=bug', 'issueType'],
    ['state=open', 'state'],
  ];
  for (const [query, field] of invalid) {
    it(`a non-empty invalid value still answers 400 naming the field: ${query}`, async () => {
      const answer = await api.get(`/api/v1/issues?namespace=${ns}&${query}`);
      assert.equal(answer.status, 400);
      assert.match(JSON.stringify(answer.body), new RegExp(field));
    });
  }
});

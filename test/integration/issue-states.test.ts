/**
 * The count behind the `kite_issues` gauge: every state is reported, a state without
 * issues as 0, and the numbers are the table's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countIssuesByState } from '../../src/store/issue-states.js';
import { useTestServer } from '../support/test-server.js';

const { server, api } = useTestServer();

const report = (resourceName: string) =>
  api.post('/api/v1/issues', {
    title: `Build failed: ${resourceName}`,
    description: 'exit 1',
    severity: 'major',
    issueType: 'build',
    namespace: 'states-ns',
    scope: { resourceType: 'component', resourceName },
  });

describe('issues by state', () => {
  it('an empty store counts 0 in every state', async () => {
    assert.deepEqual(await countIssuesByState(server.db), [
      { state: 'ACTIVE', issues: 0 },
      { state: 'RESOLVED', issues: 0 },
    ]);
  });

  it('counts each issue in the state it is in', async () => {
    const ids: string[] = [];
    for (const name of ['api', 'web', 'worker']) ids.push((await report(name)).body.id);
    assert.equal((await api.post(`/api/v1/issues/${ids[0]}/resolve`)).status, 200);
    assert.deepEqual(await countIssuesByState(server.db), [
      { state: 'ACTIVE', issues: 2 },
      { state: 'RESOLVED', issues: 1 },
    ]);
  });
});

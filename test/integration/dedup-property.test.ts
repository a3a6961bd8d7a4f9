/**
 * Property: whatever sequence of failures and successes arrives, the store holds one
 * issue per identity, counts every failure, and ends in the state of the last report,
 * exactly as a simple in-memory model says.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { IssueType } from '../../src/domain/issue.js';
import { createIssueStore, type IssueStore } from '../../src/store/issue-store.js';
import { useTestServer } from '../support/test-server.js';

const { server, onStart } = useTestServer();
let store: IssueStore;

onStart(() => {
  store = createIssueStore(server.db);
});

type Step = { kind: 'fail' | 'succeed'; scope: string; issueType: IssueType };

const step = fc.record({
  kind: fc.constantFrom('fail' as const, 'succeed' as const),
  scope: fc.constantFrom('a', 'b', 'c', 'a/b@main', 'A'),
  issueType: fc.constantFrom<IssueType>('build', 'test'),
});

describe('deduplication identity', () => {
  it('one issue per (namespace, type, scope); occurrences and state follow the report sequence', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps: Step[]) => {
        run += 1;
        const namespace = `prop-${run}`;
        const model = new Map<string, { occurrences: number; state: 'ACTIVE' | 'RESOLVED' }>();
        for (const s of steps) {
          const scope = {
            resourceType: 'component',
            resourceName: s.scope,
            resourceNamespace: namespace,
          };
          const key = `${s.issueType}|${s.scope}`;
          if (s.kind === 'fail') {
            await store.report({
              namespace,
              issueType: s.issueType,
              scope,
              title: 't',
              description: 'd',
              severity: 'major',
            });
            const known = model.get(key);
            model.set(key, { occurrences: (known?.occurrences ?? 0) + 1, state: 'ACTIVE' });
          } else {
            await store.resolveScope({ namespace, scope }, s.issueType);
            const known = model.get(key);
            if (known) known.state = 'RESOLVED';
          }
        }
        const page = await store.list({ namespaces: [namespace] }, { limit: 100, offset: 0 });
        const actual = new Map(
          page.data.map((issue) => [
            `${issue.issueType}|${issue.scope.resourceName}`,
            { occurrences: issue.occurrences, state: issue.state },
          ]),
        );
        assert.equal(page.total, model.size);
        assert.deepEqual(actual, model);
      }),
      { numRuns: 25 },
    );
  });
});

/**
 * The one MintMaker run shape: its status list is the one the database enforces, a
 * registration maps to a run one way, and listings sort undated (running) runs first.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MINTMAKER_RUN_STATUSES,
  registrationOf,
  runOfRegistration,
  runTime,
  viewRun,
} from '../../src/domain/mintmaker-run.js';
import { MINTMAKER_LOGS_SCHEMA } from '../../src/store/schema.js';

describe('MintMaker run', () => {
  it("the status CHECK of mintmaker_runs lists exactly the domain's statuses, in order", () => {
    const check = /status text NOT NULL CHECK \(status IN \(([^)]*)\)\)/.exec(
      MINTMAKER_LOGS_SCHEMA,
    );
    assert.ok(check, 'migration 3 declares the status CHECK');
    const values = (check[1] ?? '').split(',').map((value) => value.trim().replace(/^'|'$/g, ''));
    assert.deepEqual(values, [...MINTMAKER_RUN_STATUSES]);
  });

  it('a registration becomes a run: default run namespace, absent facts null, empty text as none', () => {
    const run = runOfRegistration(
      { name: 'r', uid: 'u', namespace: 'team-a', component: 'c', status: 'Failed', branch: '' },
      'mintmaker',
    );
    assert.deepEqual(run, {
      name: 'r',
      runNamespace: 'mintmaker',
      uid: 'u',
      namespace: 'team-a',
      component: 'c',
      gitHost: null,
      repository: null,
      branch: null,
      repoBranchHash: null,
      status: 'Failed',
      startTime: null,
      completionTime: null,
    });
    assert.deepEqual(viewRun(run, undefined), {
      name: 'r',
      runNamespace: 'mintmaker',
      namespace: 'team-a',
      component: 'c',
      gitHost: null,
      repository: null,
      branch: null,
      status: 'Failed',
      startTime: null,
      completionTime: null,
      archived: false,
      logBytes: 0,
      truncated: false,
    });
  });

  it('a run sent as a registration (the operator) comes back as the same run', () => {
    const run = {
      name: 'r',
      runNamespace: 'elsewhere',
      uid: 'u',
      namespace: 'team-a',
      component: 'c',
      gitHost: 'github.com',
      repository: 'acme/app',
      branch: null,
      repoBranchHash: 'abcdef012345',
      status: 'Succeeded' as const,
      startTime: '2026-12-03T04:00:00Z',
      completionTime: null,
    };
    const sent = registrationOf(run);
    assert.equal('branch' in sent, false, 'an absent fact is left out, not sent as null');
    assert.deepEqual(runOfRegistration(sent, 'mintmaker'), run);
  });

  it('a run sorts by its completion, else its start; without either (or unreadable) it has no time', () => {
    const at = (startTime: string | null, completionTime: string | null) =>
      runTime({ startTime, completionTime });
    assert.equal(at('2026-12-03T04:00:00Z', '2026-12-03T04:05:00Z'), Date.UTC(2026, 11, 3, 4, 5));
    assert.equal(at('2026-12-03T04:00:00Z', null), Date.UTC(2026, 11, 3, 4, 0));
    assert.equal(at(null, null), null);
    assert.equal(at('not a time', null), null);
  });
});

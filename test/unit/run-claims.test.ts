import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeRunClaim } from '../../src/domain/mintmaker.js';

describe("a client's claim on a MintMaker run against the cluster", () => {
  const live = { namespace: 'team-a', uid: 'uid-1' };

  it('with no live run the claim is all there is', () => {
    assert.equal(judgeRunClaim({ namespace: 'team-b', uid: 'uid-1' }, undefined), 'no-live-run');
  });

  it('the live owner decides: another namespace is another owner, whatever the uid', () => {
    assert.equal(judgeRunClaim({ namespace: 'team-b', uid: 'uid-1' }, live), 'other-owner');
    assert.equal(judgeRunClaim({ namespace: 'team-b', uid: 'uid-2' }, live), 'other-owner');
    assert.equal(judgeRunClaim({ namespace: 'team-b' }, live), 'other-owner');
  });

  it('the same owner with another uid is another run under the live run name', () => {
    assert.equal(judgeRunClaim({ namespace: 'team-a', uid: 'uid-2' }, live), 'other-run');
  });

  it('the same owner and uid agree', () => {
    assert.equal(judgeRunClaim({ namespace: 'team-a', uid: 'uid-1' }, live), 'agrees');
    assert.equal(judgeRunClaim({ namespace: 'team-a' }, live), 'agrees');
  });
});

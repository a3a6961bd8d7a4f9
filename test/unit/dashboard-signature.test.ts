/** The dashboard shows a failure signature key as its decisive lines and where they were. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeSignature } from '../../web/src/signature.js';

describe('a signature key for people', () => {
  it('is its decisive lines, without the type and class the page shows as labels', () => {
    assert.deepEqual(
      describeSignature('build|token-expired||||unauthorized: authentication required'),
      { lines: 'unauthorized: authentication required', where: '' },
    );
  });

  it('says the task, step and dependency it happened in', () => {
    assert.deepEqual(
      describeSignature('mintmaker|dependency-conflict|renovate|run|react|eresolve <n>|npm err!'),
      { lines: 'eresolve <n> | npm err!', where: 'task renovate, step run, dependency react' },
    );
  });

  it('shows a key of another shape as it is, never an empty cause', () => {
    assert.deepEqual(describeSignature('odd key'), { lines: 'odd key', where: '' });
    assert.deepEqual(describeSignature('build|other||||'), { lines: 'build|other||||', where: '' });
  });
});

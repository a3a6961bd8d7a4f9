import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptsGzip } from '../../src/api/content-coding.js';

describe('which clients get gzip', () => {
  it('gzip is sent only to a client that accepts it with a quality above 0', () => {
    for (const [header, expected] of [
      [undefined, false],
      ['', false],
      ['identity', false],
      ['gzip', true],
      ['gzip, deflate, br', true],
      ['br;q=1.0, GZIP;q=0.5', true],
      ['x-gzip', true],
      ['gzip;q=0', false],
      ['gzip; q=0.000', false],
      ['*', true],
      ['*;q=0', false],
      ['gzip;q=0, *', false],
      ['deflate, *;q=0.1', true],
      ['notgzip', false],
    ] as const) {
      assert.equal(acceptsGzip(header), expected, String(header));
    }
  });
});

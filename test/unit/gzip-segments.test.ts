import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import {
  crc32Combine,
  deflateSegment,
  GzipJoiner,
  parallelGzip,
  SEGMENT,
} from '../../src/logs/gzip-segments.js';

describe('gzip out of separately compressed segments', () => {
  it('the combined CRC-32 of two texts is the CRC-32 of the two together', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.uint8Array({ maxLength: 3000 }),
        (a, b) => {
          const whole = crc32(Buffer.concat([a, b]));
          assert.equal(crc32Combine(crc32(a), crc32(b), b.length), whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('joined segments are one gzip body that strict gunzip accepts, holding the texts in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.string({ maxLength: 2000 })), { maxLength: 12 }),
        (pieces) => {
          const joiner = new GzipJoiner();
          const body = [joiner.header()];
          for (const [stored, text] of pieces) {
            if (stored) {
              const raw = Buffer.from(text);
              body.push(joiner.segment(deflateSegment(raw), crc32(raw), raw.length));
            } else {
              body.push(joiner.text(text));
            }
          }
          body.push(joiner.end());
          // gunzipSync checks the trailer's CRC-32 and length.
          assert.equal(
            gunzipSync(Buffer.concat(body)).toString(),
            pieces.map(([, t]) => t).join(''),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a segment inflates alone to its text', () => {
    const text = '{"level":20,"msg":"Found update"}\n'.repeat(1000);
    assert.equal(inflateRawSync(deflateSegment(text), SEGMENT).toString(), text);
  });

  it('a wrong stored CRC-32 makes the body fail its check rather than pass', () => {
    const joiner = new GzipJoiner();
    const raw = Buffer.from('some log text\n');
    const body = Buffer.concat([
      joiner.header(),
      joiner.segment(deflateSegment(raw), crc32(raw) ^ 1, raw.length),
      joiner.end(),
    ]);
    assert.throws(() => gunzipSync(body), /incorrect data check/);
  });
});

describe('gzip on the fly, several segments at once', () => {
  it('gives one gzip body of exactly its input however the input is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 5000 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 4 }),
        async (pieces, parallel) => {
          const input = Buffer.concat(pieces);
          const gzip = parallelGzip({ parallel, segmentBytes: 4096 });
          const body = await buffer(Readable.from(pieces.map((p) => Buffer.from(p))).pipe(gzip));
          assert.deepEqual(gunzipSync(body), input);
        },
      ),
      { numRuns: 100 },
    );
  });
});

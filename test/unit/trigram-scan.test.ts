import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { assemble } from '../../scripts/assemble-wasm.js';
import { TRIGRAMS as REDACTION_TRIGRAMS } from '../../src/logs/redact.js';
import { createTrigramScan } from '../../src/logs/trigram-scan.js';

const BUCKETS = [['tok', 'uth'], ['://'], ['b_p', '-be'], ['hp_', 'ho_']];
const TRIGRAMS = BUCKETS.flat();
const scan = createTrigramScan(BUCKETS);
/** What the scan is copied in: a trigram across two of them must be found too. */
const WINDOW = 256 * 1024;

/** Every position the scan reports, visiting each (going on from the next position). */
function reported(bytes: Buffer, from = 0): number[] {
  const found: number[] = [];
  scan(bytes, from, (position) => {
    found.push(position);
    return position + 1;
  });
  return found;
}

/** Where a trigram begins, ASCII case aside: what the scan must report, at the least. */
function occurrences(bytes: Buffer): number[] {
  const lower = (byte: number | undefined) =>
    byte !== undefined && byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte;
  const found: number[] = [];
  for (let at = 0; at + 3 <= bytes.length; at += 1) {
    const text = String.fromCharCode(
      lower(bytes[at]) ?? 0,
      lower(bytes[at + 1]) ?? 0,
      lower(bytes[at + 2]) ?? 0,
    );
    if (TRIGRAMS.includes(text)) found.push(at);
  }
  return found;
}

/** A trigram in random letter case. */
const anyCase = fc
  .tuple(fc.constantFrom(...TRIGRAMS), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }))
  .map(([trigram, upper]) => [...trigram].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));

describe('trigram scan (the SIMD first pass of redaction)', () => {
  it('the committed trigram-scan.wasm is the assembly of trigram-scan.wat', async () => {
    const committed = readFileSync('src/logs/trigram-scan.wasm');
    const assembled = await assemble('src/logs/trigram-scan.wat');
    assert.ok(committed.equals(assembled), 'run `npm run build:wasm` and commit the result');
  });

  it('reports every position where a trigram begins, in any case, among any bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), anyCase), { maxLength: 60 }),
        (pieces) => {
          const bytes = Buffer.concat(
            pieces.map((piece) => (typeof piece === 'string' ? Buffer.from(piece) : piece)),
          );
          const found = new Set(reported(bytes));
          for (const at of occurrences(bytes)) assert.ok(found.has(at), `missed ${at}`);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('finds trigrams on both sides of, and across, the edge of a copied window', () => {
    for (const edge of [WINDOW, 2 * WINDOW]) {
      for (let at = edge - 20; at <= edge + 20; at += 1) {
        const bytes = Buffer.alloc(2 * WINDOW + 64, '.');
        bytes.write('ToK', at, 'latin1');
        bytes.write('://', at + 5, 'latin1');
        assert.deepEqual(reported(bytes), [at, at + 5], `trigrams at ${at}`);
      }
    }
    const last = Buffer.from('......tok');
    assert.deepEqual(reported(last), [6], 'a trigram ending the bytes');
    assert.deepEqual(reported(Buffer.from('to')), [], 'bytes shorter than a trigram');
  });

  it("the redaction's trigrams report nothing in ordinary Renovate log lines", () => {
    const line =
      '{"name":"renovate","level":30,"logContext":"a1b2c3","repository":"acme/frontend","baseBranch":"main","automerge":false,"msg":"Dependency extraction complete","stats":{"managers":{"npm":{"fileCount":1,"depCount":42}}}}\n';
    const redaction = createTrigramScan(REDACTION_TRIGRAMS);
    let reports = 0;
    redaction(Buffer.from(line.repeat(100)), 0, (position) => {
      reports += 1;
      return position + 1;
    });
    assert.equal(reports, 0);
  });

  it('reports nothing before where it starts, or before where a visit says to go on', () => {
    const bytes = Buffer.from('tok tok tok :// tok');
    assert.deepEqual(reported(bytes, 5), [8, 12, 16]);
    const visited: number[] = [];
    scan(bytes, 0, (position) => {
      visited.push(position);
      return position === 0 ? 12 : position + 1;
    });
    assert.deepEqual(visited, [0, 12, 16]);
  });

  it('refuses trigrams that are not three printable ASCII characters, and over 16 buckets', () => {
    assert.throws(() => createTrigramScan([['to']]), /three printable ASCII characters/);
    assert.throws(() => createTrigramScan([['tök']]), /three printable ASCII characters/);
    assert.throws(() => createTrigramScan(Array.from({ length: 17 }, () => ['abc'])), /16 buckets/);
  });
});

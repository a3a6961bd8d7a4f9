/**
 * The first pass of log redaction: every place in a run of bytes where one of a few
 * trigrams (three ASCII characters, case aside) may begin, found 16 bytes at a time with
 * WebAssembly SIMD (trigram-scan.wat): over five times the speed of the regular
 * expression that used to search every byte, and that now only confirms what this
 * reports (docs/decisions/0009-redaction-scan-in-webassembly.md).
 *
 * Threat model: redaction rewrites only the lines around what this reports, so a missed
 * trigram is a secret served as it came. The scan may report places that hold no
 * trigram, never skip one; the caller confirms each report. It reports too much in
 * two ways, both by construction: every byte is folded with `| 0x20` (which lowers ASCII
 * letters, and also maps a few other bytes onto the trigrams' punctuation), and a
 * bucket's tables accept every pairing of the nibbles of its bytes.
 *
 * Method (Hyperscan's "Teddy"): the trigrams are spread over at most 16 buckets, one
 * bit each in one of two sets of tables (8 buckets a set). For position k of a trigram,
 * a table indexed by a byte's low nibble and one indexed by its high nibble give the
 * buckets that byte may belong to; a position p is reported when some bucket's bit
 * survives the AND of its first byte's tables at p, its second's at p + 1 and its
 * third's at p + 2. Sixteen positions are looked up at once with `i8x16.swizzle`. More
 * buckets cost a second set of lookups per step but report far less that is not a
 * trigram: a bucket's tables accept the cross product of its trigrams' nibbles.
 */
import { readFileSync } from 'node:fs';

/**
 * Calls `visit` with each reported position at or after `from`, in order; `visit` returns
 * where to go on from (positions before that are not reported). One scan at a time: a
 * `visit` must not start another scan of the same instance.
 */
export type TrigramScan = (
  bytes: Buffer,
  from: number,
  visit: (position: number) => number,
) => void;

/** Where the tables and the data lie in the module's memory (trigram-scan.wat). */
const TABLES = 0;
const DATA = 256;
/** Bytes copied into the module's memory at a time; it holds DATA + WINDOW + SLACK. */
const WINDOW = 256 * 1024;
/** The scan's loads reach this far beyond the end of the data. */
const SLACK = 18;
const BUCKETS = 16;
/** Bytes of one set of tables (8 buckets, one bit each). */
const TABLE_SET = 96;

/**
 * The part of Node's WebAssembly global used here (TypeScript types it only in its DOM
 * and web worker libraries, which this project does not load).
 */
declare const WebAssembly: {
  Module: new (binary: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
};

interface ScanExports {
  memory: { buffer: ArrayBuffer };
  scan(position: number, end: number): number;
}

let compiled: object | undefined;

/**
 * A scan for `buckets` of trigrams (three printable ASCII characters each). Which
 * trigrams share a bucket only changes how much is reported that is not one of them.
 */
export function createTrigramScan(buckets: readonly (readonly string[])[]): TrigramScan {
  if (buckets.length > BUCKETS) throw new Error(`at most ${BUCKETS} buckets of trigrams`);
  compiled ??= new WebAssembly.Module(
    readFileSync(new URL('./trigram-scan.wasm', import.meta.url)),
  );
  const exports = new WebAssembly.Instance(compiled).exports as ScanExports;
  const memory = new Uint8Array(exports.memory.buffer);
  for (const [bucket, trigrams] of buckets.entries()) {
    for (const trigram of trigrams) {
      if (!/^[\x20-\x7e]{3}$/.test(trigram)) {
        throw new Error(`a trigram is three printable ASCII characters, not ${trigram}`);
      }
      const set = TABLES + TABLE_SET * Math.floor(bucket / 8);
      for (let k = 0; k < 3; k += 1) {
        const byte = trigram.charCodeAt(k) | 0x20;
        const low = set + 32 * k + (byte & 0x0f);
        const high = set + 32 * k + 16 + (byte >> 4);
        memory[low] = (memory[low] ?? 0) | (1 << (bucket % 8));
        memory[high] = (memory[high] ?? 0) | (1 << (bucket % 8));
      }
    }
  }
  return (bytes, from, visit) => {
    let start = Math.max(0, from);
    while (start < bytes.length) {
      // A window, with the two bytes after it that complete its last trigrams, then
      // zeros where the loads run past the end.
      const stop = Math.min(bytes.length, start + WINDOW);
      const copied = Math.min(bytes.length, stop + 2) - start;
      memory.set(bytes.subarray(start, start + copied), DATA);
      memory.fill(0, DATA + copied, DATA + copied + SLACK);
      const end = DATA + (stop - start);
      let next = stop;
      let found = exports.scan(DATA, end);
      while (found >= 0) {
        const position = start + (found - DATA);
        const resume = Math.max(position + 1, visit(position));
        if (resume >= stop) {
          next = resume;
          break;
        }
        found = exports.scan(DATA + (resume - start), end);
      }
      start = next;
    }
  };
}

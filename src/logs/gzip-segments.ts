/**
 * One gzip stream out of separately compressed pieces, without decompressing them.
 *
 * Archived log chunks are stored as raw DEFLATE segments that each end with a sync
 * flush: non-final blocks ending on a byte boundary, compressed independently (no
 * reference reaches into an earlier segment). Such segments placed one after another
 * are one valid DEFLATE stream; a gzip header before them, an empty final block and
 * the trailer (CRC-32 and length of the whole text) after them make a gzip body. The
 * CRC-32 of the whole is combined from the chunks' own, stored with them.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw as deflateRawCb, deflateRawSync } from 'node:zlib';

const deflateRaw = promisify(deflateRawCb);

/** Inflate and deflate options for segments that end with a sync flush, not a final block. */
export const SEGMENT = { finishFlush: constants.Z_SYNC_FLUSH } as const;

/** gzip, DEFLATE, no flags, no time, unknown OS (RFC 1952). */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff]);
/** An empty final block with fixed codes (after a sync flush, on a byte boundary). */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

/** The CRC-32 polynomial, reflected. */
const POLY = 0xedb88320;

/** a(x)·b(x) modulo the CRC polynomial, both in CRC-32's reflected bit order. */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  for (let bit = 0x80000000; bit !== 0; bit >>>= 1) {
    if ((a & bit) !== 0) product ^= b;
    b = (b & 1) !== 0 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/** x^(2^k) modulo the polynomial, k = 0..31. */
const X_POW_2K: readonly number[] = (() => {
  const table = [0x40000000]; // x^1
  for (let k = 1; k < 32; k += 1) {
    const previous = table[k - 1] ?? 0;
    table.push(multiplyModP(previous, previous));
  }
  return table;
})();

/** x^(8·bytes) modulo the polynomial: appending `bytes` zero bytes, as an operator. */
function shiftOperator(bytes: number): number {
  let result = 0x80000000; // x^0
  let k = 3; // 8 = 2^3 bits per byte
  for (let n = bytes; n > 0; n = Math.floor(n / 2), k += 1) {
    if (n % 2 === 1) result = multiplyModP(X_POW_2K[k % 32] ?? 0, result);
  }
  return result;
}

/** The CRC-32 of A followed by B, from CRC-32(A), CRC-32(B) and the length of B (zlib's crc32_combine). */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multiplyModP(shiftOperator(lengthB), crcA) ^ crcB) >>> 0;
}

/** Compresses a small text as one segment (raw DEFLATE ending with a sync flush). */
export function deflateSegment(data: Buffer | string): Buffer {
  return deflateRawSync(data, SEGMENT);
}

/** Builds a gzip body from segments and texts, in order. */
export class GzipJoiner {
  private crc = 0;
  private size = 0;

  /** The gzip header: first. */
  header(): Buffer {
    return HEADER;
  }

  /** A stored segment holding `bytes` bytes of text whose CRC-32 is `crc`. */
  segment(data: Buffer, crc: number, bytes: number): Buffer {
    this.account(crc, bytes);
    return data;
  }

  /** Counts a segment in the trailer, in its place, before its data is at hand. */
  account(crc: number, bytes: number): void {
    this.crc = crc32Combine(this.crc, crc, bytes);
    this.size += bytes;
  }

  /** A text of the server's own (a heading, a notice), compressed here. */
  text(text: string): Buffer {
    const raw = Buffer.from(text);
    return this.segment(deflateSegment(raw), crc32(raw), raw.length);
  }

  /** The final block and the trailer: last. */
  end(): Buffer {
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc, 0);
    trailer.writeUInt32LE(this.size % 2 ** 32, 4);
    return Buffer.concat([FINAL_BLOCK, trailer]);
  }
}

/**
 * gzip on the fly, several segments at once: the text is cut into segments of at least
 * `segmentBytes`, compressed on the thread pool `parallel` at a time and joined in order
 * into one gzip body. A single zlib stream compresses on one thread, far slower than the
 * rest of a log's way out; this one is not the bottleneck. Not for following a log (a
 * segment waits for `segmentBytes` of text): that takes a sync-flushing zlib stream.
 */
export function parallelGzip(
  options: { level?: number; parallel?: number; segmentBytes?: number } = {},
): Transform {
  const level = options.level ?? constants.Z_BEST_SPEED;
  const parallel = options.parallel ?? 4;
  const segmentBytes = options.segmentBytes ?? 256 * 1024;
  const joiner = new GzipJoiner();
  let started = false;
  let pending: Buffer[] = [];
  let size = 0;
  /** Segments being compressed, in output order. */
  const inFlight: Promise<Buffer>[] = [];
  const start = (stream: Transform) => {
    if (!started) stream.push(joiner.header());
    started = true;
  };
  const dispatch = () => {
    const text = Buffer.concat(pending, size);
    pending = [];
    size = 0;
    joiner.account(crc32(text), text.length);
    const segment = deflateRaw(text, { ...SEGMENT, level });
    // Awaited in order below; until then a failure must not count as unhandled.
    segment.catch(() => undefined);
    inFlight.push(segment);
  };
  /** Sends finished segments in order, waiting while more than `keep` are in flight. */
  const send = async (stream: Transform, keep: number) => {
    while (inFlight.length > keep) stream.push(await inFlight.shift());
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      start(this);
      pending.push(chunk);
      size += chunk.length;
      if (size >= segmentBytes) dispatch();
      send(this, parallel - 1).then(() => callback(), callback);
    },
    flush(callback: TransformCallback) {
      start(this);
      if (size > 0) dispatch();
      send(this, 0).then(() => {
        this.push(joiner.end());
        callback();
      }, callback);
    },
  });
}

/**
 * The text of a run's log as it is served: the archive's chunks (or, to a gzip client,
 * its stored segments joined as they are) and the live pods' logs, each step headed
 * `==> task <task>, step <step> <==`; and a line-by-line transform for `format=text`.
 * Streams all the way: nothing here holds a whole log.
 */
import { PassThrough, type Readable, Transform } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import type { ArchivedRun, LogArchive } from './archive.js';
import { GzipJoiner } from './gzip-segments.js';
import type { LiveCluster, LiveRun, LiveStep } from './live.js';

/** While following a running run, how often to look for the next steps. */
const FOLLOW_POLL_MS = 1000;

/** Lines longer than this pass through `linewise` as they are, in pieces. */
const MAX_RENDERED_LINE = 1024 * 1024;

/**
 * A transform applying `render` to every line of a UTF-8 text stream (characters split
 * between chunks decoded whole). A line `render` fails on, and a line longer than
 * MAX_RENDERED_LINE, pass as they are: memory stays bounded and no text stops the stream.
 */
export function linewise(render: (line: string) => string): Transform {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  /** In the middle of an overlong line, already passed on in pieces. */
  let overlong = false;
  const safely = (line: string) => {
    try {
      return render(line);
    } catch {
      return line;
    }
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      pending += decoder.write(chunk);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      const out = lines.map((line, index) =>
        index === 0 && overlong ? `${line}\n` : `${safely(line)}\n`,
      );
      if (lines.length > 0) overlong = false;
      if (pending.length > MAX_RENDERED_LINE) {
        out.push(pending);
        pending = '';
        overlong = true;
      }
      if (out.length > 0) this.push(out.join(''));
      callback();
    },
    flush(callback) {
      pending += decoder.end();
      if (pending) this.push(overlong ? pending : safely(pending));
      callback();
    },
  });
}

const header = (task: string, step: string, first: boolean) =>
  `${first ? '' : '\n'}==> task ${task}, step ${step} <==\n`;

/**
 * The archived log, each step headed. With `gzip`, the gzip body itself: the stored
 * segments as they are, joined with the headings compressed here.
 */
export async function* archiveSections(
  archive: LogArchive,
  run: ArchivedRun,
  step: string | undefined,
  gzip: boolean,
): AsyncGenerator<Buffer> {
  const joiner = gzip ? new GzipJoiner() : undefined;
  const text = (value: string) => (joiner ? joiner.text(value) : Buffer.from(value));
  if (joiner) yield joiner.header();
  if (run.truncated) {
    yield text('[kite] the archived log was over the size cap: its beginning was dropped\n');
  }
  let current = '';
  /** The heading of a step, before its first chunk. */
  const heading = (chunk: { task: string; step: string }) => {
    const section = `${chunk.task}/${chunk.step}`;
    if (section === current) return [];
    const first = current === '';
    current = section;
    return [text(header(chunk.task, chunk.step, first))];
  };
  if (joiner) {
    for await (const segment of archive.readSegments(run.id, step)) {
      yield* heading(segment);
      yield joiner.segment(segment.data, segment.crc32, segment.bytes);
    }
  } else {
    for await (const chunk of archive.read(run.id, step)) {
      yield* heading(chunk);
      yield chunk.data;
    }
  }
  if (joiner) yield joiner.end();
}

/**
 * The live log, step after step. Following, each running step is streamed until its
 * container ends, and new steps are picked up until the run completes. Each pod log is
 * piped into the body as it comes (no copy, no promise per piece); a pod log that fails
 * midway fails the body, and a body closed by the client closes the pod log.
 */
export function liveSections(
  live: LiveCluster,
  run: LiveRun,
  matches: (step: { task: string; step: string }) => boolean,
  follow: boolean,
  /** The run's steps as the caller just read them, for the first round. */
  known?: LiveStep[],
): Readable {
  const body = new PassThrough();
  /** Writes with backpressure; fails once the client has gone. */
  const write = async (text: string) => {
    if (body.destroyed) throw new Error('the client went away');
    if (body.write(text)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        body.off('drain', done).off('close', done);
        resolve();
      };
      body.once('drain', done).once('close', done);
    });
  };
  let firstRound = known;
  const produce = async () => {
    const seen = new Set<string>();
    while (!body.destroyed) {
      let progressed = false;
      const steps = firstRound ?? (await live.steps(run));
      firstRound = undefined;
      for (const step of steps) {
        const key = `${step.task}/${step.step}`;
        if (seen.has(key) || !matches(step)) continue;
        await write(header(step.task, step.step, seen.size === 0));
        seen.add(key);
        progressed = true;
        const stream = await live.stream(run.runNamespace, step, follow && !step.terminated);
        if (!stream) {
          await write('[kite] the log of this step is no longer available\n');
          continue;
        }
        await pipelineAsync(stream, body, { end: false });
      }
      if (!follow) return;
      const current = await live.findRun(run.runNamespace, run.name);
      const done = !current || current.status !== 'Running';
      if (done && !progressed) return;
      if (!progressed) await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
    }
  };
  produce().then(
    () => body.end(),
    (error: unknown) => body.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return body;
}

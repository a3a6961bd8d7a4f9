/**
 * A run's log as lines, read from the logs API as a stream: the bytes are decoded and
 * split as they arrive, kept as one string per line (no DOM), and the reader is told at
 * most every 100 ms that more lines came (a 50 MB log arrives in tens of updates, not one per
 * chunk). Step headers (`==> task <task>, step <step> <==`) become sections.
 */
import { useEffect, useRef, useState } from 'react';
import { kite } from '../api.js';
import { LineSplitter, sectionOf } from './log-text.js';

export interface LogSection {
  /** "task/step". */
  label: string;
  /** The header line's index. */
  line: number;
}

export interface LogState {
  lines: string[];
  sections: LogSection[];
  bytes: number;
  done: boolean;
  error?: unknown;
  /** Bumped with each batch of lines, so the viewer renders again. */
  version: number;
}

export interface LogSource {
  run: string;
  format: 'raw' | 'text';
  follow: boolean;
  runNamespace?: string | undefined;
}

const FLUSH_MS = 100;

async function read(
  source: LogSource,
  state: LogState,
  signal: AbortSignal,
  changed: () => void,
): Promise<void> {
  const splitter = new LineSplitter((line) => {
    const label = line.startsWith('==> ') ? sectionOf(line) : undefined;
    if (label) state.sections.push({ label, line: state.lines.length });
    state.lines.push(line);
  });
  const stream = await kite.runLog(
    source.run,
    {
      format: source.format,
      follow: source.follow || undefined,
      runNamespace: source.runNamespace,
    },
    { signal, timeoutMs: null, retries: 0 },
  );
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  // At most one update per FLUSH_MS, and always one after the last piece (a followed
  // log may then be quiet for minutes).
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    changed();
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      state.bytes += value.byteLength;
      splitter.push(decoder.decode(value, { stream: true }));
      timer ??= setTimeout(flush, FLUSH_MS);
    }
  } finally {
    clearTimeout(timer);
  }
  splitter.push(decoder.decode());
  splitter.end();
}

/** The log of `source`, read again whenever the source changes; aborted on unmount. */
export function useLog(source: LogSource): LogState {
  const [, setVersion] = useState(0);
  const state = useRef<LogState>(fresh());
  const key = `${source.run}\n${source.format}\n${source.follow}\n${source.runNamespace ?? ''}`;
  useEffect(() => {
    const controller = new AbortController();
    const current = fresh();
    state.current = current;
    const changed = () => {
      current.version += 1;
      setVersion(current.version);
    };
    changed();
    read(source, current, controller.signal, changed)
      .catch((error: unknown) => {
        if (!controller.signal.aborted) current.error = error;
      })
      .finally(() => {
        if (controller.signal.aborted) return;
        current.done = true;
        changed();
      });
    return () => controller.abort();
    // `key` names the source; `source` itself is a new object on every render.
  }, [key]);
  return state.current;
}

function fresh(): LogState {
  return { lines: [], sections: [], bytes: 0, done: false, version: 0 };
}

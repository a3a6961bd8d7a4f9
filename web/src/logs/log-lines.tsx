/**
 * The log's lines, windowed: a scroll box as tall as every line (one spacer element) in
 * which only the lines in view, and a few either side, exist as DOM nodes. Every line
 * is LINE_HEIGHT pixels (no wrapping; long lines scroll sideways), so the line at a
 * scroll position is a division away. A 50 MB log keeps about a hundred line nodes.
 * Line numbers are links to `#L<n>` (shareable, kept on reload). Text is rendered as
 * React text nodes only.
 */
import { useCallback, useEffect, useImperativeHandle, useRef, useState, type Ref } from 'react';
import { levelOf, sectionOf, splitHits } from './log-text.js';

export const LINE_HEIGHT = 20;
const OVERSCAN = 30;

export interface LogLinesHandle {
  /** Scrolls line `index` (0-based) into the upper third of the view. */
  scrollTo(index: number): void;
  scrollToEnd(): void;
}

interface Props {
  lines: string[];
  version: number;
  label: string;
  query: string;
  /** The current search match (0-based line), drawn apart from other matches. */
  current: number;
  /** The line named by the URL's anchor (0-based), or -1. */
  anchored: number;
  onAnchor: (index: number) => void;
  /** The view moved: its first line (for the step menu), and whether it moved up (ends following). */
  onView?: (first: number, up: boolean) => void;
  handle: Ref<LogLinesHandle>;
}

function Line({ text, query }: { text: string; query: string }) {
  return (
    <>
      {splitHits(text, query).map((part, i) =>
        part.hit ? <mark key={i}>{part.text}</mark> : part.text,
      )}
    </>
  );
}

export function LogLines(props: Props) {
  const { lines, query, current, anchored, onAnchor, onView } = props;
  const box = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 600 });
  const lastTop = useRef(0);
  const measure = useCallback(() => {
    const element = box.current;
    if (!element) return;
    setView({ top: element.scrollTop, height: element.clientHeight });
    const first = Math.floor(element.scrollTop / LINE_HEIGHT);
    // Scrolled up by the reader (lines arriving only ever make the box taller).
    const up = element.scrollTop < lastTop.current;
    lastTop.current = element.scrollTop;
    onView?.(first, up);
  }, [onView]);
  useEffect(() => {
    measure();
    window.addEventListener('resize', measure);
    return () => window.removeEventListener('resize', measure);
  }, [measure]);
  useImperativeHandle(
    props.handle,
    () => ({
      scrollTo(index) {
        const element = box.current;
        if (!element) return;
        element.scrollTop = Math.max(0, index * LINE_HEIGHT - element.clientHeight / 3);
        measure();
      },
      scrollToEnd() {
        const element = box.current;
        if (!element) return;
        element.scrollTop = element.scrollHeight;
        measure();
      },
    }),
    [measure],
  );
  const first = Math.max(0, Math.floor(view.top / LINE_HEIGHT) - OVERSCAN);
  const last = Math.min(lines.length, Math.ceil((view.top + view.height) / LINE_HEIGHT) + OVERSCAN);
  const digits = String(lines.length).length;
  const path = window.location.pathname + window.location.search;
  const rows = [];
  for (let i = first; i < last; i++) {
    const text = lines[i]!;
    const section = text.startsWith('==> ') && sectionOf(text) !== undefined;
    const classes = ['kite-log-line'];
    if (section) classes.push('kite-log-section');
    else {
      const level = levelOf(text);
      if (level) classes.push(`kite-log-${level}`);
    }
    if (i === anchored) classes.push('kite-log-anchored');
    if (i === current) classes.push('kite-log-current');
    rows.push(
      <div key={i} className={classes.join(' ')} data-line={i + 1}>
        <a
          className="kite-log-number"
          href={`${path}#L${i + 1}`}
          aria-label={`Line ${i + 1}`}
          onClick={(event) => {
            event.preventDefault();
            onAnchor(i);
          }}
        >
          {String(i + 1).padStart(digits)}
        </a>
        <span className="kite-log-text">
          <Line text={text} query={query} />
        </span>
      </div>,
    );
  }
  return (
    <div
      ref={box}
      className="kite-log-box"
      role="region"
      aria-label={props.label}
      tabIndex={0}
      onScroll={measure}
      data-testid="log-box"
    >
      <div className="kite-log-spacer" style={{ height: lines.length * LINE_HEIGHT }}>
        <div
          className="kite-log-window"
          style={{ transform: `translateY(${first * LINE_HEIGHT}px)` }}
        >
          {rows}
        </div>
      </div>
    </div>
  );
}

/**
 * The MintMaker run log viewer (loaded on demand: `lazy(() => import('./log-viewer.js'))`):
 * the log streamed from the logs API into lines, shown windowed (log-lines.tsx), with its
 * steps as sections, Renovate levels coloured, search, follow mode for running runs,
 * download, and `#L<n>` line anchors in the URL.
 */
import { Alert, Flex, FlexItem } from '@patternfly/react-core';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { describeError } from '../api.js';
import { LogLines, type LogLinesHandle } from './log-lines.js';
import { nextMatch, noMatches, updateMatches } from './log-text.js';
import { useLog } from './log-store.js';
import { LogToolbar } from './log-toolbar.js';
import './log-viewer.css';

export interface LogViewerProps {
  run: string;
  runNamespace?: string | undefined;
  /** Follow from the start (the run is running). */
  running?: boolean;
  /** Whether `#L<n>` anchors apply to this viewer (not when shown inside another page). */
  anchors?: boolean;
}

const anchorOf = (hash: string) => {
  const found = /^#L(\d+)$/.exec(hash);
  return found ? Number(found[1]) - 1 : -1;
};

function download(run: string, lines: string[]) {
  const url = URL.createObjectURL(new Blob([lines.join('\n'), '\n'], { type: 'text/plain' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `${run}.log`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const size = (bytes: number) =>
  bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;

export default function LogViewer({
  run,
  runNamespace,
  running = false,
  anchors = true,
}: LogViewerProps) {
  const [format, setFormat] = useState<'raw' | 'text'>('text');
  const [streamFollow, setStreamFollow] = useState(running);
  const [follow, setFollow] = useState(running);
  const log = useLog({ run, format, follow: streamFollow, runNamespace });
  const list = useRef<LogLinesHandle>(null);
  const [anchored, setAnchored] = useState(() => (anchors ? anchorOf(window.location.hash) : -1));
  const [pendingScroll, setPendingScroll] = useState(anchored);
  const [query, setQuery] = useState('');
  const [matches, setMatches] = useState(noMatches);
  const [current, setCurrent] = useState(-1);
  const [first, setFirst] = useState(0);

  // The search runs 200 ms after the last keystroke (a 50 MB log takes a few hundred ms
  // to scan), or at once on Enter; then it keeps up with the lines read since.
  const [searched, setSearched] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setSearched(query), 200);
    return () => clearTimeout(timer);
  }, [query]);
  useEffect(() => {
    setMatches((previous) => updateMatches(previous, searched, log.lines));
  }, [searched, log.lines, log.version]);
  // An anchored line scrolls into view once it has been rendered: the stream keeps
  // appending to `log.lines` between renders, so the length read here (the one the list
  // was just drawn with) decides, not the array's length when the effect runs; a line
  // that arrived after this render would scroll past the list's end and be lost.
  const rendered = log.lines.length;
  useEffect(() => {
    if (pendingScroll >= 0 && pendingScroll < rendered) {
      list.current?.scrollTo(pendingScroll);
      setPendingScroll(-1);
    }
  }, [pendingScroll, rendered]);
  // Follow mode keeps the end in view.
  useEffect(() => {
    if (follow && pendingScroll < 0) list.current?.scrollToEnd();
  }, [follow, log.version, pendingScroll]);
  useEffect(() => {
    if (!anchors) return;
    const onHash = () => {
      const line = anchorOf(window.location.hash);
      setAnchored(line);
      setPendingScroll(line);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [anchors]);

  const onAnchor = useCallback(
    (line: number) => {
      setAnchored(line);
      if (anchors) {
        const { pathname, search } = window.location;
        window.history.replaceState(window.history.state, '', `${pathname}${search}#L${line + 1}`);
      }
    },
    [anchors],
  );
  const onView = useCallback((top: number, up: boolean) => {
    setFirst(top);
    if (up) setFollow(false);
  }, []);
  const find = (direction: 1 | -1) => {
    let found = matches;
    if (found.query !== query) {
      found = updateMatches(found, query, log.lines);
      setMatches(found);
      setSearched(query);
    }
    const from = current >= 0 ? current : first - (direction === 1 ? 1 : 0);
    const index = nextMatch(found.lines, from, direction);
    if (index < 0) return;
    const line = found.lines[index]!;
    setFollow(false);
    setCurrent(line);
    list.current?.scrollTo(line);
  };
  const section = useMemo(() => {
    let found = log.sections[0]?.line ?? -1;
    for (const s of log.sections) if (s.line <= first + 1) found = s.line;
    return found;
  }, [log.sections, log.version, first]);
  const position = current >= 0 ? matches.lines.indexOf(current) + 1 : 0;
  const count = matches.query === query ? matches.lines.length : 0;

  return (
    <div className="kite-log" data-testid="log-viewer">
      <LogToolbar
        sections={log.sections}
        section={section}
        onSection={(line) => {
          setFollow(false);
          list.current?.scrollTo(line);
        }}
        format={format}
        onFormat={(next) => {
          setFormat(next);
          setQuery('');
          setCurrent(-1);
        }}
        query={query}
        onQuery={(next) => {
          setQuery(next);
          setCurrent(-1);
        }}
        position={position}
        count={count}
        onFind={find}
        follow={follow}
        onFollow={(on) => {
          setFollow(on);
          if (on) setStreamFollow(true);
        }}
        onDownload={() => download(run, log.lines)}
      />
      {log.error !== undefined && (
        <Alert variant="danger" isInline title={errorTitle(log.error)} data-testid="error-state">
          {describeError(log.error).message}
        </Alert>
      )}
      <LogLines
        lines={log.lines}
        version={log.version}
        label={`Log of run ${run}`}
        query={matches.query}
        current={current}
        anchored={anchored}
        onAnchor={onAnchor}
        onView={onView}
        handle={list}
      />
      <Flex className="kite-log-status">
        <FlexItem data-testid="log-status">
          {log.lines.length.toLocaleString('en')} {log.lines.length === 1 ? 'line' : 'lines'},{' '}
          {size(log.bytes)}
          {log.done ? '' : streamFollow ? ', following…' : ', loading…'}
        </FlexItem>
      </Flex>
    </div>
  );
}

function errorTitle(error: unknown) {
  const { status } = describeError(error);
  return status ? `Could not load the log: HTTP ${status}` : 'Could not load the log';
}

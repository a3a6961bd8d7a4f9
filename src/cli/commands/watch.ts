/**
 * `kite issues watch` and `kite issues list -w`: the live changes of `/api/v1/events`,
 * one line each (for `watch`, EVENT first and a header once), or one JSON
 * object a line with `-o json`. A dropped connection is reopened from the position the
 * stream reached (the server sets one as it opens it), so nothing is missed; the server
 * says `reset` when it cannot replay.
 */
import { KiteTransportError } from '../../client/errors.js';
import type { EventStream } from '../../client/client.js';
import type { Issue, IssueChange, StreamEvent } from '../../client/types.js';
import type { Session } from '../connection.js';
import { note, render, write, type Format } from '../output.js';
import type { Column } from '../table.js';
import { issueColumns, issueName } from './issue-columns.js';

export interface WatchFilter {
  severity?: string;
  issueType?: string;
  state?: string;
}

interface Row {
  event: string;
  issue: Issue;
}

const RECONNECT_MS = 1000;

export async function watchIssues(
  session: Session,
  filter: WatchFilter,
  format: Format,
  header: boolean,
  options: { since?: string; opened?: EventStream } = {},
): Promise<void> {
  // After a list (`list -w`), rows continue its table: no EVENT column, no second header.
  const columns: Column<Row>[] = [
    ...(header ? [{ header: 'EVENT', value: (row: Row) => row.event }] : []),
    ...issueColumns(!session.namespace).map((column) => ({
      ...column,
      value: (row: Row) => column.value(row.issue),
      colour: column.colour && ((row: Row) => column.colour?.(row.issue)),
    })),
  ];
  let headerDue = header;
  let lastEventId = options.since;
  const show = async (row: Row, change: IssueChange) => {
    if (format.kind === 'json') {
      write(`${JSON.stringify({ type: change.type, change, issue: row.issue })}\n`);
      return;
    }
    const text = await render(format, {
      data: { type: change.type, change, issue: row.issue },
      rows: [row],
      columns,
      name: (r) => issueName(r.issue),
    });
    const table = format.kind === 'table' || format.kind === 'wide';
    const lines = text.split('\n');
    write(table && !headerDue ? lines.slice(1).join('\n') : text);
    if (table) headerDue = false;
  };
  let opened = options.opened;
  for (;;) {
    const stream = opened ?? (await openEvents(session, lastEventId));
    opened = undefined;
    if (process.stderr.isTTY) {
      note(
        `Watching issues in ${session.namespace ?? 'every namespace you may read'} (Ctrl-C stops)`,
      );
    }
    try {
      for await (const message of stream) {
        if ('change' in message) {
          if (!matches(message.change, filter)) continue;
          await show(
            { event: message.type, issue: await issueOf(session, message) },
            message.change,
          );
        } else if (message.type === 'reset') {
          note(
            `Some changes were missed and cannot be replayed (${message.reason}); run list again.`,
          );
        } else if (message.type === 'dropped') {
          note(`No longer allowed to read ${message.namespaces.join(', ')}.`);
        }
      }
    } catch (error) {
      if (!(error instanceof KiteTransportError) && !(error instanceof TypeError)) throw error;
    } finally {
      // Where the stream got to, set by the server as it opened it: so a stream that
      // broke before its first change resumes from there too.
      lastEventId = stream.position ?? lastEventId;
    }
    // The server ended the stream (a restart) or the connection broke: reopen and resume.
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

/**
 * Opens the stream of the session's namespace(s), from `lastEventId` when given. `list -w`
 * opens it before listing, so no change between the list and the watch is missed.
 */
export function openEvents(session: Session, lastEventId?: string): Promise<EventStream> {
  const namespaces = session.namespace ? [session.namespace] : undefined;
  return session.call((kite) =>
    kite.events(
      {
        ...(namespaces ? { namespace: namespaces } : {}),
        ...(session.cluster ? { cluster: [session.cluster] } : {}),
      },
      lastEventId ? { lastEventId } : {},
    ),
  );
}

function matches(change: IssueChange, filter: WatchFilter): boolean {
  return (
    (!filter.severity || change.severity === filter.severity) &&
    (!filter.issueType || change.issueType === filter.issueType) &&
    (!filter.state || change.state === filter.state)
  );
}

/** The issue now (its title, scope…); for a deleted one, what the change says of it. */
async function issueOf(session: Session, message: StreamEvent & { change: IssueChange }) {
  const change = message.change;
  const known = {
    id: change.id,
    namespace: change.namespace,
    severity: change.severity,
    issueType: change.issueType,
    state: change.state,
    title: '',
    labels: {},
    scope: { resourceType: '', resourceName: '' },
  } as unknown as Issue;
  if (change.type === 'deleted') return known;
  return session.client.getIssue(change.id).catch(() => known);
}

/**
 * `kite issues list|get|resolve|ack|unack|events|counts|watch`: the issues of the namespaces the
 * caller may read, with kubectl's flags and output formats.
 */
import { Option, type Command } from 'commander';
import type { Issue, IssueCountQuery, IssueCounts, IssueListQuery } from '../../client/types.js';
import type { KiteClient } from '../../client/client.js';
import { ISSUE_SORTS } from '../../domain/issue-sort.js';
import { begin, withConnection, type ConnectionFlags, type Session } from '../connection.js';
import { usageError } from '../failure.js';
import { note, outputOption, print } from '../output.js';
import { eventColumns, issueColumns, issueName, sortIssues } from './issue-columns.js';
import { addAcknowledgeCommands } from './silences.js';
import { openEvents, watchIssues, type WatchFilter } from './watch.js';

interface FilterFlags {
  selector?: string;
  severity?: string;
  type?: string;
  state?: string;
  search?: string;
  resourceType?: string;
  resourceName?: string;
  dueBefore?: string;
  hasMigration?: string;
}
type Flags = ConnectionFlags &
  FilterFlags & {
    output?: string;
    limit?: string;
    sort?: string;
    sortBy?: string;
    watch?: boolean;
    since?: string;
  };

function filterOptions(command: Command): Command {
  return command
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
    .option('--severity <severity>', 'info, minor, major or critical')
    .option('--type <type>', 'build, test, release, dependency, pipeline or task-update')
    .option('--state <state>', 'ACTIVE or RESOLVED')
    .option('--search <text>', 'text in the title or description')
    .option('--resource-type <type>', "the scope's resource type, e.g. component")
    .option('--resource-name <name>', "the scope's resource name")
    .option('--due-before <time>', 'RFC 3339: issues due before it, e.g. 2027-01-15T00:00:00Z')
    .option('--has-migration <bool>', 'true: issues with migration information; false: without');
}

function filterQuery(flags: FilterFlags, session: Session): IssueCountQuery {
  // The server checks each value and names the allowed ones (exit code 2).
  return {
    ...(session.namespace ? { namespace: [session.namespace] } : {}),
    ...(session.cluster ? { cluster: [session.cluster] } : {}),
    severity: flags.severity as IssueCountQuery['severity'],
    issueType: flags.type as IssueCountQuery['issueType'],
    state: flags.state?.toUpperCase() as IssueCountQuery['state'],
    search: flags.search,
    labelSelector: flags.selector,
    resourceType: flags.resourceType,
    resourceName: flags.resourceName,
    dueBefore: flags.dueBefore,
    ...(flags.hasMigration === undefined ? {} : { hasMigration: hasMigration(flags.hasMigration) }),
  };
}

function hasMigration(value: string): boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  throw usageError('--has-migration must be true or false');
}

export function addIssueCommands(program: Command): void {
  const issues = withConnection(
    program.command('issues').alias('issue').description('list, read, resolve and watch issues'),
  );

  filterOptions(issues.command('list').alias('ls').description('list issues'))
    .addOption(outputOption())
    .option('--limit <n>', 'at most this many issues (1-1000)', '100')
    .option(
      '--sort <order>',
      `the server's order, before --limit: ${ISSUE_SORTS.join(', ')} (default -detectedAt)`,
    )
    .option('--sort-by <field>', 'sort by a field: severity, .lastSeenAt, {.scope.resourceName}')
    .option('-w, --watch', 'after the list, print each change as it happens')
    .action(async (_options: unknown, command: Command) => {
      const { flags, format, session } = await begin<Flags>(command);
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw usageError('--limit must be a whole number from 1 to 1000');
      }
      const filter = flags.watch ? watchFilter(flags) : undefined;
      // The stream opens first, so a change made while the list loads is not missed.
      const opened = filter ? await openEvents(session) : undefined;
      const query: IssueListQuery = {
        ...filterQuery(flags, session),
        limit,
        // The server names the allowed orders when this is none of them (exit code 2).
        sort: flags.sort as IssueListQuery['sort'],
      };
      const page = await session.call((kite) => kite.listIssues(query));
      const rows = flags.sortBy ? sortIssues(page.data, flags.sortBy) : page.data;
      const data = flags.sortBy ? { ...page, data: rows } : page;
      const withNamespace = !session.namespace;
      if (
        rows.length === 0 &&
        !flags.watch &&
        (format.kind === 'table' || format.kind === 'wide')
      ) {
        note(session.namespace ? `No issues found in ${session.namespace}.` : 'No issues found.');
      }
      const columns = issueColumns(withNamespace, rows);
      await print(format, { data, rows, columns, name: issueName });
      if (page.total > rows.length && !flags.watch && format.kind !== 'json') {
        if (process.stderr.isTTY) note(`(${rows.length} of ${page.total}; --limit shows more)`);
      }
      if (filter && opened) await watchIssues(session, filter, format, false, { opened });
    });

  idCommand(issues, 'get', 'show issues by id', (kite, id) => kite.getIssue(id));
  idCommand(
    issues,
    'resolve',
    'mark issues resolved',
    (kite, id) => kite.resolveIssue(id),
    'resolved',
  );

  addAcknowledgeCommands(issues);

  issues
    .command('events')
    .description("an issue's timeline (reported, updated, resolved…), newest first")
    .argument('<id>', 'issue id')
    .addOption(outputOption())
    .option('--limit <n>', 'at most this many events', '50')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { flags, format, session } = await begin<Flags>(command);
      const page = await session.call((kite) =>
        kite.issueEvents(id, { limit: Number(flags.limit) }),
      );
      await print(format, {
        data: page,
        rows: page.data,
        columns: eventColumns,
        name: (event) => `event/${event.id}`,
      });
    });

  filterOptions(
    issues.command('counts').description('how many issues, by severity, type and state'),
  )
    .addOption(outputOption())
    .action(async (_options: unknown, command: Command) => {
      const { flags, format, session } = await begin<Flags>(command);
      const counts = await session.call((kite) => kite.countIssues(filterQuery(flags, session)));
      await print(format, {
        data: counts,
        rows: countRows(counts),
        columns: [
          { header: 'BY', value: (row) => row.by },
          { header: 'VALUE', value: (row) => row.value },
          { header: 'COUNT', value: (row) => String(row.count) },
        ],
        name: (row) => `${row.by}/${row.value}`,
      });
    });

  filterOptions(
    issues.command('watch').description('print each change to issues as it happens (Ctrl-C stops)'),
  )
    .addOption(outputOption())
    .addOption(new Option('--since <event-id>', 'replay the changes after this event id'))
    .action(async (_options: unknown, command: Command) => {
      const { flags, format, session } = await begin<Flags>(command);
      await watchIssues(session, watchFilter(flags), format, true, { since: flags.since });
    });
}

/** A command over issue ids; with `said`, a table prints `issue/<id> <said>` per issue. */
function idCommand(
  issues: Command,
  name: string,
  description: string,
  work: (kite: KiteClient, id: string) => Promise<Issue>,
  said?: string,
): void {
  issues
    .command(name)
    .description(description)
    .argument('<id...>', 'issue ids')
    .addOption(outputOption())
    .action(async (ids: string[], _options: unknown, command: Command) => {
      const { format, session } = await begin<Flags>(command);
      const found: Issue[] = [];
      for (const id of ids) found.push(await session.call((kite) => work(kite, id)));
      if (said && (format.kind === 'table' || format.kind === 'wide')) {
        for (const issue of found) console.log(`${issueName(issue)} ${said}`);
        return;
      }
      const data = found.length === 1 ? found[0] : { data: found };
      const columns = issueColumns(true, found);
      await print(format, { data, rows: found, columns, name: issueName });
    });
}

function watchFilter(flags: FilterFlags): WatchFilter {
  const { selector, search, resourceType, resourceName, dueBefore, hasMigration } = flags;
  if (selector || search || resourceType || resourceName || dueBefore || hasMigration) {
    throw usageError('watch filters by --severity, --type and --state only');
  }
  return { severity: flags.severity, issueType: flags.type, state: flags.state?.toUpperCase() };
}

function countRows(counts: IssueCounts) {
  const rows = [{ by: 'total', value: 'all', count: counts.total }];
  for (const [by, table] of [
    ['severity', counts.bySeverity],
    ['type', counts.byType],
    ['state', counts.byState],
  ] as const) {
    for (const [value, count] of Object.entries(table)) rows.push({ by, value, count });
  }
  return rows;
}

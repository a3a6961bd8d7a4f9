/**
 * `kite report failure|success`: a script or another CI (GitLab, Jenkins) reports a run's
 * outcome through the `run-failure` and `run-success` webhooks, as the bridge operator
 * does. A failure prints the issue it opened or updated (`-o name`: `issue/<id>`); a
 * success what it resolved. The exit code says whether KITE took the report.
 */
import type { Command } from 'commander';
import { begin, requireNamespace, withConnection, type ConnectionFlags } from '../connection.js';
import { usageError } from '../failure.js';
import { outputOption, print } from '../output.js';
import { issueColumns, issueName } from './issue-columns.js';

type ReportFlags = ConnectionFlags &
  Record<'type' | 'scope', string> &
  Partial<Record<'output' | 'title' | 'reason' | 'severity' | 'runId' | 'logsUrl', string>>;

function outcomeOptions(command: Command): Command {
  return command
    .requiredOption('--type <type>', 'build, test, release, dependency or pipeline')
    .requiredOption('--scope <kind/name>', 'what failed, e.g. component/frontend, pipeline/nightly')
    .option('--run-id <id>', 'the run (a run reported twice is counted once)')
    .addOption(outputOption());
}

function scopeOf(scope: string): { scopeType: string; scopeName: string } {
  const slash = scope.indexOf('/');
  if (slash <= 0 || slash === scope.length - 1) {
    throw usageError(`--scope ${scope}: write it as kind/name, e.g. component/frontend`);
  }
  return { scopeType: scope.slice(0, slash), scopeName: scope.slice(slash + 1) };
}

export function addReportCommands(program: Command): void {
  const report = withConnection(
    program.command('report').description("report a run's outcome from a script or another CI"),
  );

  outcomeOptions(report.command('failure').description('a run failed: open or update its issue'))
    .requiredOption('--title <title>', "the issue's title")
    .requiredOption('--reason <text>', 'why it failed (the description)')
    .option('--severity <severity>', 'info, minor, major or critical (default: major)')
    .option('--logs-url <url>', "a link to the run's logs")
    .action((_options: unknown, command: Command) =>
      send(command, 'run-failure', (flags) => ({
        title: flags.title,
        reason: flags.reason,
        severity: flags.severity,
        logsUrl: flags.logsUrl,
      })),
    );

  outcomeOptions(
    report
      .command('success')
      .description('a run succeeded: resolve the active issues of its scope'),
  ).action((_options: unknown, command: Command) => send(command, 'run-success', () => ({})));
}

/** Sends the outcome to its webhook and prints the answer: the issue, or what was resolved. */
async function send(
  command: Command,
  webhook: 'run-failure' | 'run-success',
  fields: (flags: ReportFlags) => Record<string, string | undefined>,
): Promise<void> {
  const { flags, format, session } = await begin<ReportFlags>(command);
  const payload = {
    namespace: requireNamespace(session, 'kite report'),
    issueType: flags.type,
    ...scopeOf(flags.scope),
    runId: flags.runId,
    ...fields(flags),
  };
  // Absent fields are left out, not sent as undefined.
  const given = Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined));
  const answer = await session.call((kite) =>
    kite.webhook(webhook, given as typeof payload & { namespace: string }),
  );
  const table = format.kind === 'table' || format.kind === 'wide';
  if ('issue' in answer) {
    if (table) {
      console.log(
        `${issueName(answer.issue)} reported (${answer.issue.occurrences} occurrence(s))`,
      );
      return;
    }
    await print(format, {
      data: answer,
      rows: [answer.issue],
      columns: issueColumns(true),
      name: issueName,
    });
  } else if (table) {
    console.log('message' in answer ? answer.message : answer.info);
  } else {
    await print(format, { data: answer, rows: [], columns: [], name: () => '' });
  }
}

/**
 * `kite report failure|success`: a script or another CI (GitLab, Jenkins) reports a run's
 * outcome through the `run-failure` and `run-success` webhooks, as the bridge operator
 * does. A failure prints the issue it opened or updated (`-o name`: `issue/<id>`); a
 * success what it resolved. The exit code says whether KITE took the report.
 */
import type { Command } from 'commander';
import type { WebhookReportAnswer, WebhookResolveAnswer } from '../../client/types.js';
import { connect, requireNamespace, withConnection, type ConnectionFlags } from '../connection.js';
import { usageError } from '../failure.js';
import { outputOption, parseFormat, print } from '../output.js';
import { issueColumns, issueName } from './issue-columns.js';

type ReportFlags = ConnectionFlags & {
  output?: string;
  type: string;
  scope: string;
  title?: string;
  reason?: string;
  severity?: string;
  runId?: string;
  logsUrl?: string;
};

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
    .action(async (_options: unknown, command: Command) => {
      const flags = command.optsWithGlobals<ReportFlags>();
      const format = parseFormat(flags.output);
      const session = await connect(flags);
      const namespace = requireNamespace(session, 'kite report');
      const answer = (await session.call((kite) =>
        kite.webhook('run-failure', {
          namespace,
          issueType: flags.type,
          ...scopeOf(flags.scope),
          title: flags.title,
          reason: flags.reason,
          ...(flags.severity ? { severity: flags.severity } : {}),
          ...(flags.runId ? { runId: flags.runId } : {}),
          ...(flags.logsUrl ? { logsUrl: flags.logsUrl } : {}),
        }),
      )) as WebhookReportAnswer;
      if (format.kind === 'table' || format.kind === 'wide') {
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
    });

  outcomeOptions(
    report
      .command('success')
      .description('a run succeeded: resolve the active issues of its scope'),
  ).action(async (_options: unknown, command: Command) => {
    const flags = command.optsWithGlobals<ReportFlags>();
    const format = parseFormat(flags.output);
    const session = await connect(flags);
    const namespace = requireNamespace(session, 'kite report');
    const answer = (await session.call((kite) =>
      kite.webhook('run-success', {
        namespace,
        issueType: flags.type,
        ...scopeOf(flags.scope),
        ...(flags.runId ? { runId: flags.runId } : {}),
      }),
    )) as WebhookResolveAnswer;
    if (format.kind === 'table' || format.kind === 'wide') {
      console.log(answer.message);
      return;
    }
    await print(format, { data: answer, rows: [], columns: [], name: () => '' });
  });
}

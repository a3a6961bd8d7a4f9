/**
 * MintMaker: `kite runs list` (the dependency-update runs of a namespace, live and
 * archived) and `kite logs <run>` (a run's redacted log, all steps or one, followed while
 * the run is live).
 */
import type { Command } from 'commander';
import type { MintmakerRun } from '../../client/types.js';
import { begin, connect, withConnection, type ConnectionFlags } from '../connection.js';
import { usageError } from '../failure.js';
import { note, outputOption, print } from '../output.js';
import { age } from '../table.js';

type RunFlags = ConnectionFlags & {
  output?: string;
  component?: string;
  status?: string;
  limit?: string;
};
type LogFlags = ConnectionFlags & {
  step?: string;
  follow?: boolean;
  format?: string;
  runNamespace?: string;
};

const size = (bytes: number) =>
  bytes < 1024
    ? `${bytes}B`
    : bytes < 1048576
      ? `${(bytes / 1024).toFixed(1)}Ki`
      : `${(bytes / 1048576).toFixed(1)}Mi`;

export function addRunCommands(program: Command): void {
  const runs = withConnection(program.command('runs').description('MintMaker runs'));
  runs
    .command('list')
    .alias('ls')
    .description('list MintMaker runs, newest first')
    .addOption(outputOption())
    .option('--component <name>', 'runs of this component')
    .option('--status <status>', 'Running, Succeeded or Failed')
    .option('--limit <n>', 'at most this many runs (1-500)', '50')
    .action(async (_options: unknown, command: Command) => {
      const { flags, format, session } = await begin<RunFlags>(command);
      const page = await session.call((kite) =>
        kite.listRuns({
          namespace: session.namespace,
          component: flags.component,
          status: flags.status as MintmakerRun['status'] | undefined,
          limit: Number(flags.limit),
        }),
      );
      if (page.data.length === 0 && (format.kind === 'table' || format.kind === 'wide')) {
        note('No runs found.');
      }
      await print(format, {
        data: page,
        rows: page.data,
        name: (run) => `run/${run.name}`,
        columns: [
          ...(session.namespace
            ? []
            : [{ header: 'NAMESPACE', value: (r: MintmakerRun) => r.namespace }]),
          { header: 'NAME', value: (r) => r.name },
          { header: 'COMPONENT', value: (r) => r.component },
          {
            header: 'STATUS',
            value: (r) => r.status,
            colour: (r) =>
              r.status === 'Failed' ? '31' : r.status === 'Succeeded' ? '32' : undefined,
          },
          { header: 'AGE', value: (r) => age(r.startTime) },
          { header: 'LOG', value: (r) => (r.archived ? size(r.logBytes) : 'live') },
          { header: 'BRANCH', value: (r) => r.branch ?? '', wide: true },
          { header: 'REPOSITORY', value: (r) => r.repository ?? '', flex: true, wide: true },
        ],
      });
    });

  withConnection(program.command('logs'))
    .description("print a MintMaker run's log (redacted), every step in order or one")
    .argument('<run>', 'the PipelineRun name')
    .option('--step <step>', 'one step: task/step or a step name')
    .option('-f, --follow', 'keep printing while the run is live')
    .option('--format <format>', 'raw (as written) or text (escape codes removed)', 'raw')
    .option('--run-namespace <namespace>', 'where the PipelineRun ran (default: MintMaker)')
    .action(async (run: string, _options: unknown, command: Command) => {
      const flags = command.optsWithGlobals<LogFlags>();
      if (flags.format !== 'raw' && flags.format !== 'text') {
        throw usageError('--format must be raw or text');
      }
      const session = await connect(flags);
      const query = {
        step: flags.step,
        format: flags.format,
        runNamespace: flags.runNamespace,
        follow: flags.follow,
      } as const;
      const body = await session.call((kite) =>
        kite.runLog(run, query, flags.follow ? { timeoutMs: null } : {}),
      );
      await session.call(async () => {
        for await (const chunk of body) process.stdout.write(chunk);
      });
    });
}

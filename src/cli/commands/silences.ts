/**
 * `kite silence create|list|get|expire` (docs/silences.md) and `kite issues ack|unack`:
 * thin commands over the client. Matchers are `--match name=value` (repeatable);
 * durations are Go/kubectl style (`90s`, `30m`, `2h`, `1d`, `1h30m`).
 */
import type { Command } from 'commander';
import type { Issue, Silence, SilenceCreate, SilenceQuery } from '../../client/types.js';
import { InputError } from '../../domain/errors.js';
import { parseMatchers, SILENCE_STATES } from '../../domain/silence.js';
import {
  begin,
  commandGroup,
  idCommand,
  requireNamespace,
  type ConnectionFlags,
} from '../connection.js';
import { usageError } from '../failure.js';
import { outputOption, printOne, printPage, type Format } from '../output.js';
import { age, type Column } from '../table.js';
import { issueColumns, issueName } from './issue-columns.js';

type Flags = ConnectionFlags & {
  output?: string;
  match?: string[];
  duration?: string;
  startsAt?: string;
  endsAt?: string;
  comment?: string;
  state?: string;
  limit?: string;
  note?: string;
  until?: string;
};

const UNIT_MS: Readonly<Record<string, number>> = { s: 1e3, m: 6e4, h: 36e5, d: 864e5 };

/** Milliseconds of `90s`, `30m`, `2h`, `1d`, `1h30m`; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+[smhd])+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhd])/g))
    ms += Number(amount) * (UNIT_MS[unit ?? 's'] ?? 0);
  return ms > 0 ? ms : undefined;
}

/** A time flag: a duration from now, or an RFC 3339 time passed on to the server. */
function timeFlag(text: string, now = Date.now()): string {
  const ms = parseDuration(text);
  return ms === undefined ? text : new Date(now + ms).toISOString();
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function matcherText(silence: Silence): string {
  const { labels, ...fields } = silence.matchers;
  const pairs = Object.entries(fields).map(([name, value]) => `${name}=${value}`);
  for (const [key, value] of Object.entries(labels ?? {})) pairs.push(`label:${key}=${value}`);
  return pairs.join(',');
}

function silenceColumns(withNamespace: boolean): Column<Silence>[] {
  const columns: Column<Silence>[] = [
    { header: 'ID', value: (s) => s.id },
    {
      header: 'STATE',
      value: (s) => s.state,
      colour: (s) => (s.state === 'active' ? '33' : undefined),
    },
    { header: 'MATCHERS', value: matcherText },
    { header: 'ENDS', value: (s) => s.endsAt },
    { header: 'CREATED BY', value: (s) => s.createdBy },
    { header: 'AGE', value: (s) => age(s.createdAt), wide: true },
    { header: 'COMMENT', value: (s) => s.comment, flex: true },
  ];
  return withNamespace ? [{ header: 'NAMESPACE', value: (s) => s.namespace }, ...columns] : columns;
}

const silenceName = (silence: Silence) => `silence/${silence.id}`;

/** One silence or one issue, as `get` prints it. */
const printSilence = (format: Format, silence: Silence) =>
  printOne(format, silence, { columns: silenceColumns(false), name: silenceName });
const printIssue = (format: Format, issue: Issue) =>
  printOne(format, issue, { columns: issueColumns(true), name: issueName });

export function addSilenceCommands(program: Command): void {
  const silences = commandGroup(program, 'silence', 'silences', 'mute the notifications of issues');

  silences
    .command('create')
    .description('silence the issues of a namespace that match, for a while')
    .option(
      '--match <name=value>',
      'severity, type, resourceType, resourceName or label:KEY (repeatable)',
      collect,
    )
    .option('--duration <duration>', 'how long from the start, e.g. 2h, 30m, 1d')
    .option('--ends-at <time>', 'RFC 3339 end instead of --duration')
    .option('--starts-at <time>', 'RFC 3339 start or a duration from now (default: now)')
    .requiredOption('--comment <text>', 'why (shown with the silence)')
    .addOption(outputOption())
    .action(async (_options: unknown, command: Command) => {
      const { flags, format, session } = await begin<Flags>(command);
      const namespace = requireNamespace(session, 'kite silence create');
      let matchers;
      try {
        matchers = parseMatchers(flags.match ?? []);
      } catch (error) {
        if (error instanceof InputError) throw usageError(error.message);
        throw error;
      }
      if ((flags.duration === undefined) === (flags.endsAt === undefined))
        throw usageError('give one of --duration and --ends-at');
      const startsAt = flags.startsAt === undefined ? undefined : timeFlag(flags.startsAt);
      let endsAt = flags.endsAt;
      if (flags.duration !== undefined) {
        const ms = parseDuration(flags.duration);
        if (ms === undefined) throw usageError('--duration must be like 90s, 30m, 2h, 1d or 1h30m');
        endsAt = new Date((startsAt ? Date.parse(startsAt) : Date.now()) + ms).toISOString();
      }
      const body: SilenceCreate = {
        matchers,
        endsAt: endsAt ?? '',
        comment: flags.comment ?? '',
        ...(startsAt ? { startsAt } : {}),
      };
      const silence = await session.call((kite) => kite.createSilence(namespace, body));
      await printSilence(format, silence);
    });

  silences
    .command('list')
    .alias('ls')
    .description('the silences of a namespace (-n) or of all you may read (-A), newest first')
    .option('--state <state>', SILENCE_STATES.join(', '))
    .option('--limit <n>', 'at most this many silences (1-1000)', '100')
    .addOption(outputOption())
    .action(async (_options: unknown, command: Command) => {
      const { flags, format, session } = await begin<Flags>(command);
      const query: SilenceQuery = {
        limit: Number(flags.limit),
        // The server names the allowed states when this is none of them (exit code 2).
        ...(flags.state ? { state: flags.state as SilenceQuery['state'] } : {}),
      };
      const page = await session.call((kite) => kite.listSilences(session.namespace, query));
      await printPage(format, page, 'silences', session.namespace, {
        columns: silenceColumns(!session.namespace),
        name: silenceName,
      });
    });

  for (const [name, description] of [
    ['get', 'show a silence'],
    ['expire', 'end a silence now (it stays listed as expired)'],
  ] as const) {
    silences
      .command(name)
      .description(description)
      .argument('<id>', 'silence id')
      .addOption(outputOption())
      .action(async (id: string, _options: unknown, command: Command) => {
        const { format, session } = await begin<Flags>(command);
        const namespace = requireNamespace(session, `kite silence ${name}`);
        const silence = await session.call((kite) =>
          name === 'get' ? kite.getSilence(namespace, id) : kite.expireSilence(namespace, id),
        );
        await printSilence(format, silence);
      });
  }
}

/** `kite issues ack ID [--note …] [--until …]` and `kite issues unack ID`. */
export function addAcknowledgeCommands(issues: Command): void {
  issues
    .command('ack')
    .description('acknowledge an issue: you are on it (cleared when it reopens or worsens)')
    .argument('<id>', 'issue id')
    .option('--note <text>', 'what you are doing about it')
    .option('--until <time>', 'RFC 3339 time or a duration from now, e.g. 4h')
    .addOption(outputOption())
    .action(async (id: string, _options: unknown, command: Command) => {
      const { flags, format, session } = await begin<Flags>(command);
      const ack = {
        ...(flags.note ? { note: flags.note } : {}),
        ...(flags.until ? { until: timeFlag(flags.until) } : {}),
      };
      const issue = await session.call((kite) => kite.acknowledgeIssue(id, ack));
      await printIssue(format, issue);
    });

  idCommand(
    issues,
    ['unack', "take back an issue's acknowledgement", 'issue id'],
    async (id, format, session) => {
      const issue = await session.call((kite) => kite.unacknowledgeIssue(id));
      await printIssue(format, issue);
    },
  );
}

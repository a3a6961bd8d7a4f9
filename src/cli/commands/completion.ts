/**
 * Shell completion: `kite completion bash|zsh|fish` prints a script that asks
 * `kite __complete <words…>` for the candidates of the word being typed: subcommands and
 * flags from the command tree, fixed values (-o, --severity, --type, --state), and from
 * the server the namespaces (after -n) and issue ids (after `issues get|resolve|ack|unack|events`).
 * Candidates print as `value<TAB>description`; errors print nothing.
 */
import type { Command, Option } from 'commander';
import { connect, type ConnectionFlags } from '../connection.js';
import { FORMATS } from '../output.js';
import { usageError } from '../failure.js';
import { ISSUE_TYPES } from '../../domain/issue.js';

const VALUES: Readonly<Record<string, readonly string[]>> = {
  '--output': FORMATS.map((format) => format.replace('…', '')),
  '--severity': ['info', 'minor', 'major', 'critical'],
  '--type': ISSUE_TYPES,
  '--has-migration': ['true', 'false'],
  '--state': ['ACTIVE', 'RESOLVED'],
  '--status': ['Running', 'Succeeded', 'Failed'],
  '--format': ['raw', 'text'],
};
const ISSUE_ID_COMMANDS = new Set(['get', 'resolve', 'ack', 'unack', 'events']);

function scripts(name: string): Record<string, string> {
  const fn = `_${name.replace(/[^a-zA-Z0-9]/g, '_')}`;
  return {
    bash: `${fn}() {
  local IFS=$'\\n'
  COMPREPLY=( $(compgen -W "$(${name} __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null | cut -f1)" -- "\${COMP_WORDS[COMP_CWORD]}") )
}
complete -o default -F ${fn} ${name}
`,
    zsh: `#compdef ${name}
${fn}() {
  local -a items
  items=("\${(@f)$(${name} __complete "\${(@)words[2,CURRENT]}" 2>/dev/null | sed -e 's/:/\\\\:/g' -e 's/\\t/:/')}")
  _describe '${name}' items
}
compdef ${fn} ${name}
`,
    fish: `function __${fn}_complete
    set -l tokens (commandline -opc) (commandline -ct)
    ${name} __complete $tokens[2..-1] 2>/dev/null
end
complete -c ${name} -f -a '(__${fn}_complete)'
`,
  };
}

export function addCompletionCommands(program: Command): void {
  program
    .command('completion')
    .description('print the shell completion script: bash, zsh or fish')
    .argument('<shell>', 'bash, zsh or fish')
    .action((shell: string) => {
      const script = scripts(program.name())[shell];
      if (!script) throw usageError(`completion ${shell}: use bash, zsh or fish`);
      process.stdout.write(script);
    });
  program
    .command('__complete', { hidden: true })
    .argument('[words...]')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (words: string[]) => {
      const lines = await candidates(program, words).catch(() => []);
      if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
    });
}

const optionNames = (option: Option) => [option.long, option.short].filter(Boolean) as string[];
const takesValue = (option: Option) => option.required || option.optional;

/** The candidates for the last word, given the words before it. */
async function candidates(program: Command, words: string[]): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  let command = program;
  const path: Command[] = [program];
  const flags: Record<string, string> = {};
  const positionals: string[] = [];
  for (let i = 0; i < before.length; i++) {
    const word = before[i]!;
    const options = path.flatMap((c) => c.options);
    const option = options.find((o) => optionNames(o).includes(word.split('=')[0]!));
    if (option) {
      if (takesValue(option) && !word.includes('='))
        flags[option.attributeName()] = before[++i] ?? '';
      continue;
    }
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub) {
      command = sub;
      path.push(sub);
    } else positionals.push(word);
  }
  const previous = before.at(-1);
  const option = path
    .flatMap((c) => c.options)
    .find((o) => previous && optionNames(o).includes(previous));
  if (option && takesValue(option)) {
    if (option.long === '--namespace') return namespaces(flags);
    return [...(VALUES[option.long ?? ''] ?? [])];
  }
  if (current.startsWith('-')) {
    return path
      .flatMap((c) => c.options)
      .flatMap((o) => optionNames(o).map((n) => `${n}\t${o.description}`));
  }
  const subs = command.commands.filter((c) => c.name() !== '__complete');
  if (subs.length) return subs.map((c) => `${c.name()}\t${c.description()}`);
  if (ISSUE_ID_COMMANDS.has(command.name()) && path.some((c) => c.name() === 'issues')) {
    return issueIds(flags);
  }
  return [];
}

const quick = (flags: Record<string, string>): ConnectionFlags => ({
  ...flags,
  requestTimeout: '3',
});

async function namespaces(flags: Record<string, string>): Promise<string[]> {
  const session = await connect(quick(flags));
  return (await session.client.namespaces({ retries: 0 })).namespaces;
}

async function issueIds(flags: Record<string, string>): Promise<string[]> {
  const session = await connect(quick(flags));
  const namespace = session.namespace ? [session.namespace] : undefined;
  const page = await session.client.listIssues(
    { ...(namespace ? { namespace } : {}), state: 'ACTIVE', limit: 100 },
    { retries: 0 },
  );
  return page.data.map((issue) => `${issue.id}\t${issue.title}`);
}

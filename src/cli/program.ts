/**
 * The `kite` command tree and how it ends: the server commands (serve, migrate, operator)
 * and the client commands (issues, runs, logs, namespaces, silence, report, completion,
 * mcp). Client commands load nothing of the server; a failure prints one line
 * `<name>: <message>` and exits 1 (error), 2 (usage) or 3 (not found or forbidden).
 */
import { Command, CommanderError } from 'commander';
import { versionInfo } from '../version.js';
import { addCompletionCommands } from './commands/completion.js';
import { addGroupCommands } from './commands/groups.js';
import { addIssueCommands } from './commands/issues.js';
import { addMcpCommand } from './commands/mcp.js';
import { addNamespaceCommand } from './commands/namespaces.js';
import { addReportCommands } from './commands/report.js';
import { addRunCommands } from './commands/runs.js';
import { addSilenceCommands } from './commands/silences.js';
import { EXIT, explain } from './failure.js';
import { addServerCommands } from './server-commands.js';

/** Runs `name args…` (`kite`, `kubectl kite`, `kubectl issues` all end here). */
export async function runKite(args: string[], name = 'kite'): Promise<void> {
  const program = new Command(name)
    .description('KITE: the issues engine for Kubernetes CI (Konflux)')
    .version(versionInfo().version)
    .exitOverride()
    .showSuggestionAfterError()
    // A leaf's help lists the connection flags its group takes (-n, --context…).
    .configureHelp({ showGlobalOptions: true });
  addIssueCommands(program);
  addGroupCommands(program);
  addRunCommands(program);
  addNamespaceCommand(program);
  addSilenceCommands(program);
  addReportCommands(program);
  addCompletionCommands(program);
  addMcpCommand(program);
  addServerCommands(program);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander printed the help, the version or what was wrong with the command line.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    const failure = explain(error);
    console.error(`${name}: ${failure.message}`);
    process.exitCode = failure.exitCode;
  }
}

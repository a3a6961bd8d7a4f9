/** `kite namespaces`: the namespaces whose issues the caller may read. */
import type { Command } from 'commander';
import { begin, withConnection } from '../connection.js';
import { outputOption, print } from '../output.js';

export function addNamespaceCommand(program: Command): void {
  withConnection(program.command('namespaces').alias('ns'))
    .description('the namespaces whose issues you may read')
    .addOption(outputOption())
    .action(async (_options: unknown, command: Command) => {
      const { format, session } = await begin(command);
      const answer = await session.call((kite) => kite.namespaces());
      await print(format, {
        data: answer,
        rows: answer.namespaces,
        columns: [{ header: 'NAME', value: (name) => name }],
        name: (name) => `namespace/${name}`,
      });
    });
}

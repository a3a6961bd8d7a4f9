/**
 * `kite groups list|get`: root-cause groups (docs/root-cause-groups.md) with a member the
 * caller may read; members in other namespaces appear only as a count.
 */
import type { Command } from 'commander';
import type { Group } from '../../client/types.js';
import { begin, commandGroup, idCommand, type ConnectionFlags } from '../connection.js';
import { usageError } from '../failure.js';
import { note, outputOption, print, printOne, printPage, type View } from '../output.js';
import type { Column } from '../table.js';

type Flags = ConnectionFlags & { output?: string; limit?: string; state?: string };

const groupName = (group: Group) => `group/${group.id}`;

const GROUP_COLUMNS: Column<Group>[] = [
  { header: 'ID', value: (group) => group.id },
  { header: 'STATE', value: (group) => group.state },
  { header: 'PROGRESS', value: (group) => group.progress },
  { header: 'NAMESPACES', value: (group) => namespacesOf(group) },
  { header: 'COMPONENTS', value: (group) => group.components.join(','), wide: true },
  { header: 'SIGNATURE', value: (group) => group.signatures.join(' | '), flex: true },
  { header: 'LAST SEEN', value: (group) => group.lastSeenAt, wide: true },
];
const GROUP_VIEW: View<Group> = { columns: GROUP_COLUMNS, name: groupName };

/** The namespaces the caller sees, then the hidden members as a count. */
function namespacesOf(group: Group): string {
  const seen = group.namespaces.join(',');
  return group.hidden ? `${seen} (+${group.hidden.count} hidden)` : seen;
}

export function addGroupCommands(program: Command): void {
  const groups = commandGroup(program, 'groups', 'group', 'root-cause groups of failures');

  groups
    .command('list')
    .alias('ls')
    .description('list root-cause groups, latest join first')
    .addOption(outputOption())
    .option('--state <state>', 'ACTIVE or RESOLVED')
    .option('--limit <n>', 'at most this many groups (1-1000)', '100')
    .action(async (_options: unknown, command: Command) => {
      const { flags, format, session } = await begin<Flags>(command);
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw usageError('--limit must be a whole number from 1 to 1000');
      }
      const page = await session.call((kite) =>
        kite.listGroups({
          ...(session.namespace ? { namespace: [session.namespace] } : {}),
          // The server names the allowed states when this is none of them (exit code 2).
          ...(flags.state ? { state: flags.state.toUpperCase() as Group['state'] } : {}),
          limit,
        }),
      );
      await printPage(format, page, 'groups', session.namespace, GROUP_VIEW);
    });

  idCommand(
    groups,
    ['get', 'show a group and the members you may read', 'group id'],
    async (id, format, session) => {
      const group = await session.call((kite) => kite.getGroup(id));
      if (format.kind !== 'table' && format.kind !== 'wide') {
        await printOne(format, group, GROUP_VIEW);
        return;
      }
      const members = group.members ?? [];
      await print(format, {
        data: group,
        rows: members,
        columns: [
          { header: 'NAMESPACE', value: (m) => m.namespace },
          { header: 'COMPONENT', value: (m) => m.component },
          { header: 'STATE', value: (m) => m.state },
          { header: 'WHY', value: (m) => `${m.reason.kind}: ${m.reason.value}`, flex: true },
          { header: 'ISSUE', value: (m) => m.issueId, wide: true },
        ],
        name: (m) => `issue/${m.issueId}`,
      });
      note(`${group.progress}${group.hidden ? `; ${group.hidden.message}` : ''}`);
    },
  );
}

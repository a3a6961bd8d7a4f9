/**
 * Root-cause groups as a table: what failed (signature and failure class), the CVE or
 * dependency they share, where (the namespaces and components the caller may see), the
 * progress ("9 of 15 recovered"), the state and when. Every name comes from the members
 * the caller may read (the API leaves the others out); the counts cover every member.
 */
import { Label, Progress, ProgressMeasureLocation, ProgressSize } from '@patternfly/react-core';
import { InnerScrollContainer, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import type { Group } from '../../../src/client/types.js';
import { StateLabel } from '../components/severity.js';
import { Link } from '../router.js';
import { describeSignature } from '../signature.js';
import { Age } from './issue-table.js';

/** Names shown in a cell before "and N more". */
const SHOWN = 4;

/** "a, b, c, d and 3 more" (every name is one the caller may read). */
export function Names({ names }: { names: string[] }) {
  if (names.length === 0) return <span className="kite-muted">—</span>;
  const more = names.length - SHOWN;
  return (
    <span>
      {names.slice(0, SHOWN).map((name, i) => (
        <span key={name}>
          {i > 0 && ', '}
          <span className="kite-nowrap">{name}</span>
        </span>
      ))}
      {more > 0 && <span className="kite-muted"> and {more} more</span>}
    </span>
  );
}

/** The shared cause in one line: the first signature's lines, else a CVE or dependency. */
export const causeOf = (group: Group) =>
  (group.signatures[0] && describeSignature(group.signatures[0]).lines) ??
  group.cves[0] ??
  group.dependencies[0] ??
  'Same failure';

export function FailureClasses({ group }: { group: Group }) {
  return (
    <>
      {group.failureClasses.map((failureClass) => (
        <Label key={failureClass} variant="outline" isCompact className="kite-failure-class">
          {failureClass}
        </Label>
      ))}
    </>
  );
}

export function GroupProgress({ group }: { group: Group }) {
  return (
    <Progress
      value={group.size === 0 ? 0 : (group.recovered / group.size) * 100}
      title={group.progress}
      size={ProgressSize.sm}
      measureLocation={ProgressMeasureLocation.none}
      variant={group.state === 'RESOLVED' ? 'success' : undefined}
      className="kite-group-progress"
      data-testid="group-progress"
    />
  );
}

export function RootCauseTable({ groups }: { groups: Group[] }) {
  return (
    <InnerScrollContainer>
      <Table aria-label="Root-cause groups" variant="compact" data-testid="root-cause-table">
        <Thead>
          <Tr>
            <Th modifier="wrap">Root cause</Th>
            <Th modifier="wrap">CVE or dependency</Th>
            <Th modifier="wrap">Namespaces</Th>
            <Th modifier="wrap">Components</Th>
            <Th modifier="wrap">Progress</Th>
            <Th modifier="wrap">State</Th>
            <Th modifier="wrap">Seen</Th>
          </Tr>
        </Thead>
        <Tbody>
          {groups.map((group) => (
            <Tr key={group.id} data-group={group.id}>
              <Td dataLabel="Root cause" className="kite-cause-cell">
                <Link to={`root-causes/${group.id}`} className="kite-cause">
                  {causeOf(group)}
                </Link>{' '}
                <FailureClasses group={group} />
              </Td>
              <Td dataLabel="CVE or dependency">
                <Names names={[...group.cves, ...group.dependencies]} />
              </Td>
              <Td dataLabel="Namespaces">
                <Names names={group.namespaces} />
              </Td>
              <Td dataLabel="Components">
                <Names names={group.components} />
              </Td>
              <Td dataLabel="Progress" className="kite-nowrap">
                <GroupProgress group={group} />
              </Td>
              <Td dataLabel="State">
                <StateLabel state={group.state} />
              </Td>
              <Td dataLabel="Seen">
                <div>
                  last <Age at={group.lastSeenAt} />
                </div>
                <div className="kite-muted">
                  first <Age at={group.firstSeenAt} />
                </div>
              </Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
    </InnerScrollContainer>
  );
}

/**
 * The members of a root-cause group the caller may see, each with why it belongs (the
 * signature, CVE or dependency it joined by), and the others as a count in words. A
 * member has "Split" when the API says the caller may change issues in its namespace
 * (`GET …/namespaces/<ns>/access`, the check the split route makes); a refused split
 * still shows the server's answer in place.
 */
import { Button, Flex } from '@patternfly/react-core';
import { InnerScrollContainer, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMutation, useQueries } from '@tanstack/react-query';
import { useState } from 'react';
import type { Group } from '../../../src/client/types.js';
import { kite, queryClient } from '../api.js';
import { StateLabel } from '../components/severity.js';
import { ErrorState } from '../components/states.js';
import { Link } from '../router.js';
import { describeSignature } from '../signature.js';
import { Age } from './issue-table.js';

type Member = NonNullable<Group['members']>[number];

const REASONS: Record<Member['reason']['kind'], string> = {
  signature: 'Same failure signature',
  cve: 'Same CVE',
  dependency: 'Same dependency',
};

/** Why it belongs: the key it joined by; a signature named only when the group has several. */
function Reason({ member, several }: { member: Member; several: boolean }) {
  const { kind, value } = member.reason;
  const shown = kind === 'signature' ? (several ? describeSignature(value).lines : '') : value;
  return (
    <span>
      {REASONS[kind]}
      {shown && (
        <>
          : <code className="kite-signature">{shown}</code>
        </>
      )}
    </span>
  );
}

/** Whether the caller may write in each namespace, asked once per namespace. */
export function useWriteAccess(namespaces: string[]): (namespace: string) => boolean {
  const answers = useQueries({
    queries: namespaces.map((namespace) => ({
      queryKey: ['access', namespace],
      queryFn: ({ signal }: { signal: AbortSignal }) => kite.namespaceAccess(namespace, { signal }),
    })),
  });
  return (namespace) => answers[namespaces.indexOf(namespace)]?.data?.write === true;
}

function SplitAction({ group, member }: { group: Group; member: Member }) {
  const [confirming, setConfirming] = useState(false);
  const split = useMutation({
    mutationFn: () => kite.splitGroup(group.id, member.issueId),
    onSettled: () => {
      setConfirming(false);
      void queryClient.invalidateQueries({ queryKey: ['group', group.id] });
      void queryClient.invalidateQueries({ queryKey: ['groups'] });
      void queryClient.invalidateQueries({ queryKey: ['issue', member.issueId] });
      void queryClient.invalidateQueries({ queryKey: ['access', member.namespace] });
    },
  });
  return (
    <>
      {confirming ? (
        <Flex gap={{ default: 'gapSm' }} flexWrap={{ default: 'nowrap' }}>
          <Button
            variant="danger"
            size="sm"
            onClick={() => split.mutate()}
            isLoading={split.isPending}
            isDisabled={split.isPending}
            aria-label={`Confirm split of ${member.component}`}
          >
            Confirm split
          </Button>
          <Button variant="link" size="sm" onClick={() => setConfirming(false)}>
            Cancel
          </Button>
        </Flex>
      ) : (
        <Button
          variant="secondary"
          size="sm"
          onClick={() => setConfirming(true)}
          aria-label={`Split ${member.component} out of this group`}
        >
          Split
        </Button>
      )}
      {split.error ? <ErrorState action="split" what="the member" error={split.error} /> : null}
    </>
  );
}

export function GroupMembers({ group }: { group: Group }) {
  const members = group.members ?? [];
  const mayWrite = useWriteAccess([...new Set(members.map((m) => m.namespace))]);
  const anySplit = members.some((m) => mayWrite(m.namespace));
  return (
    <>
      <InnerScrollContainer>
        <Table aria-label="Members" variant="compact" data-testid="group-members">
          <Thead>
            <Tr>
              <Th modifier="wrap">Issue</Th>
              <Th modifier="wrap">Namespace</Th>
              <Th modifier="wrap">Component</Th>
              <Th modifier="wrap">State</Th>
              <Th modifier="wrap">Why it belongs</Th>
              <Th modifier="wrap">Joined</Th>
              {anySplit && <Th screenReaderText="Actions" />}
            </Tr>
          </Thead>
          <Tbody>
            {members.map((member) => (
              <Tr key={member.issueId} data-member={member.issueId}>
                <Td dataLabel="Issue">
                  <Link to={`issues/${member.issueId}`}>{member.title}</Link>
                </Td>
                <Td dataLabel="Namespace" modifier="nowrap">
                  {member.namespace}
                </Td>
                <Td dataLabel="Component" modifier="nowrap">
                  {member.component}
                </Td>
                <Td dataLabel="State">
                  <StateLabel state={member.state} />
                </Td>
                <Td dataLabel="Why it belongs">
                  <Reason member={member} several={group.signatures.length > 1} />
                </Td>
                <Td dataLabel="Joined">
                  <Age at={member.joinedAt} />
                </Td>
                {anySplit && (
                  <Td dataLabel="Actions">
                    {mayWrite(member.namespace) && <SplitAction group={group} member={member} />}
                  </Td>
                )}
              </Tr>
            ))}
          </Tbody>
        </Table>
      </InnerScrollContainer>
      {group.hidden && (
        <p className="kite-actions" data-testid="group-hidden">
          {group.hidden.message}
        </p>
      )}
    </>
  );
}

/**
 * One root-cause group (`/root-causes/<id>`, `GET /api/v1/groups/<id>`): the shared cause
 * (signatures, failure classes, CVEs, dependencies), its progress, the members the caller
 * may see with why each belongs, the others as a count, and Split and Merge for those the
 * API lets change them. Live group changes of this group refresh it.
 */
import {
  Card,
  CardBody,
  CardTitle,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Flex,
  List,
  ListItem,
  PageSection,
  Stack,
  Title,
} from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import type { Group } from '../../../src/client/types.js';
import { KiteApiError, kite } from '../api.js';
import { StateLabel } from '../components/severity.js';
import { Empty, QueryState } from '../components/states.js';
import { Link } from '../router.js';
import { describeSignature } from '../signature.js';
import { Age } from './issue-table.js';
import { GroupMembers, useWriteAccess } from './root-cause-members.js';
import { MergeAction } from './root-cause-merge.js';
import { FailureClasses, GroupProgress, Names, causeOf } from './root-cause-table.js';
import { useGroupRefresh } from './root-causes.js';

function Facts({ group }: { group: Group }) {
  const facts: [string, ReactNode][] = [
    ['Namespaces', <Names names={group.namespaces} />],
    ['Components', <Names names={group.components} />],
    ['First seen', <Age at={group.firstSeenAt} />],
    ['Last seen', <Age at={group.lastSeenAt} />],
  ];
  if (group.cves.length > 0) facts.push(['CVEs', group.cves.join(', ')]);
  if (group.dependencies.length > 0) facts.push(['Dependencies', group.dependencies.join(', ')]);
  if (group.resolvedAt) facts.push(['Resolved', <Age at={group.resolvedAt} />]);
  return (
    <DescriptionList isHorizontal isCompact>
      {facts.map(([term, value]) => (
        <DescriptionListGroup key={term}>
          <DescriptionListTerm>{term}</DescriptionListTerm>
          <DescriptionListDescription>{value}</DescriptionListDescription>
        </DescriptionListGroup>
      ))}
    </DescriptionList>
  );
}

function GroupView({ group }: { group: Group }) {
  const mayWrite = useWriteAccess(group.namespaces);
  const mayMerge = group.namespaces.every(mayWrite);
  return (
    <>
      <PageSection>
        <Flex gap={{ default: 'gapSm' }} alignItems={{ default: 'alignItemsCenter' }}>
          <StateLabel state={group.state} />
          <FailureClasses group={group} />
        </Flex>
        <Title headingLevel="h1" className="kite-cause-title" data-testid="group-title">
          {causeOf(group)}
        </Title>
        <GroupProgress group={group} />
      </PageSection>
      <PageSection>
        <Stack hasGutter>
          <Card>
            <CardBody>
              <Facts group={group} />
            </CardBody>
          </Card>
          <Card>
            <CardTitle component="h2">Failure signatures</CardTitle>
            <CardBody>
              <List isPlain>
                {group.signatures.map(describeSignature).map(({ lines, where }) => (
                  <ListItem key={`${lines} ${where}`}>
                    <code className="kite-signature">{lines}</code>
                    {where && <span className="kite-muted"> ({where})</span>}
                  </ListItem>
                ))}
              </List>
            </CardBody>
          </Card>
          <Card>
            <CardTitle component="h2">Members</CardTitle>
            <CardBody>
              <GroupMembers group={group} />
            </CardBody>
          </Card>
          {mayMerge && <MergeAction group={group} />}
        </Stack>
      </PageSection>
    </>
  );
}

export function RootCauseDetail({ id }: { id: string }) {
  const group = useQuery({
    queryKey: ['group', id],
    queryFn: ({ signal }) => kite.getGroup(id, { signal }),
  });
  useGroupRefresh('group', (changed) => changed === id);
  // A split that leaves one member, or a merge into another group, ends this group.
  if (group.error instanceof KiteApiError && group.error.status === 404) {
    return (
      <PageSection>
        <Empty title="No such root-cause group">
          It may have ended (a split left one member, or it was merged into another), or none of its
          members is in a namespace you may read. <Link to="root-causes">All root causes</Link>
        </Empty>
      </PageSection>
    );
  }
  return (
    <QueryState what="the root-cause group" query={group}>
      {(data) => <GroupView group={data} />}
    </QueryState>
  );
}

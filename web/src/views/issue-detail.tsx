/** One issue: what, where, since when, its labels, links, relations and timeline. */
import {
  Card,
  CardBody,
  CardTitle,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Flex,
  Label,
  LabelGroup,
  List,
  ListItem,
  PageSection,
  Stack,
  Title,
} from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import type { Issue } from '../../../src/client/types.js';
import { kite, queryClient } from '../api.js';
import { DueDate, Migration } from '../components/due-date.js';
import { MutingLabels } from '../components/muting.js';
import { SafeLink } from '../components/safe-link.js';
import { SeverityLabel, StateLabel } from '../components/severity.js';
import { QueryState } from '../components/states.js';
import { useChanges } from '../live.js';
import { Link } from '../router.js';
import { useClusters } from './cluster-select.js';
import { IssueTimeline } from './issue-timeline.js';
import { ResolveAction } from './resolve-action.js';
import { RootCauseOfIssue } from './root-cause-of-issue.js';
import { RunLogsForIssue } from './run-logs-for-issue.js';
import { Age } from './issue-table.js';

function Facts({ issue }: { issue: Issue }) {
  const clusters = useClusters();
  const facts: [string, React.ReactNode][] = [
    // On a server with member clusters only: one cluster needs no naming.
    ...(clusters.length > 1 ? [['Cluster', issue.cluster] as [string, React.ReactNode]] : []),
    ['Namespace', issue.namespace],
    ['Scope', `${issue.scope.resourceType} ${issue.scope.resourceName}`],
    ['Type', issue.issueType],
    ['Detected', <Age at={issue.detectedAt} />],
    ['Last reported', <Age at={issue.lastSeenAt} />],
    ['Reports', issue.occurrences],
  ];
  if (issue.resolvedAt) facts.push(['Resolved', <Age at={issue.resolvedAt} />]);
  if (issue.dueAt) facts.push(['Due', <DueDate at={issue.dueAt} />]);
  if (issue.migration) facts.push(['Migration', <Migration migration={issue.migration} />]);
  if (issue.acknowledgement?.note) facts.push(['Acknowledgement note', issue.acknowledgement.note]);
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

function Related({ issue }: { issue: Issue }) {
  const related = [
    ...issue.relatedFrom.map((relation) => relation.target),
    ...issue.relatedTo.map((relation) => relation.source),
  ].filter((other) => other !== undefined);
  if (related.length === 0 && !issue.hiddenRelations) return <p>No related issues.</p>;
  return (
    <List isPlain>
      {related.map((other) => (
        <ListItem key={other.id}>
          <SeverityLabel severity={other.severity} /> <StateLabel state={other.state} />{' '}
          <Link to={`issues/${other.id}`}>{other.title}</Link>{' '}
          <span className="kite-muted">({other.namespace})</span>
        </ListItem>
      ))}
      {issue.hiddenRelations && <ListItem>{issue.hiddenRelations.message}</ListItem>}
    </List>
  );
}

function IssueView({ issue }: { issue: Issue }) {
  const labels = Object.entries(issue.labels);
  return (
    <>
      <PageSection>
        <Flex
          gap={{ default: 'gapSm' }}
          alignItems={{ default: 'alignItemsCenter' }}
          data-testid="issue-labels"
        >
          <SeverityLabel severity={issue.severity} />
          <StateLabel state={issue.state} />
          <MutingLabels issue={issue} />
        </Flex>
        <Title headingLevel="h1" data-testid="issue-title">
          {issue.title}
        </Title>
        {issue.state === 'ACTIVE' && <ResolveAction key={issue.id} issue={issue} />}
      </PageSection>
      <PageSection>
        <Stack hasGutter>
          <Card>
            <CardBody>
              <Facts issue={issue} />
            </CardBody>
          </Card>
          <RootCauseOfIssue issue={issue} />
          <Card>
            <CardTitle component="h2">Description</CardTitle>
            <CardBody className="kite-description" data-testid="issue-description">
              {issue.description || <span className="kite-muted">No description.</span>}
            </CardBody>
          </Card>
          {labels.length > 0 && (
            <Card>
              <CardTitle component="h2">Labels</CardTitle>
              <CardBody>
                <LabelGroup numLabels={20} aria-label="Labels">
                  {labels.map(([key, value]) => (
                    <Label key={key} variant="outline" isCompact>
                      {key}={value}
                    </Label>
                  ))}
                </LabelGroup>
              </CardBody>
            </Card>
          )}
          {issue.links.length > 0 && (
            <Card>
              <CardTitle component="h2">Links</CardTitle>
              <CardBody>
                <List>
                  {issue.links.map((link) => (
                    <ListItem key={link.id}>
                      <SafeLink url={link.url} title={link.title} />
                    </ListItem>
                  ))}
                </List>
              </CardBody>
            </Card>
          )}
          <Card>
            <CardTitle component="h2">Related issues</CardTitle>
            <CardBody>
              <Related issue={issue} />
            </CardBody>
          </Card>
          <RunLogsForIssue issue={issue} />
          <Card>
            <CardTitle component="h2">Timeline</CardTitle>
            <CardBody>
              <IssueTimeline id={issue.id} />
            </CardBody>
          </Card>
        </Stack>
      </PageSection>
    </>
  );
}

export function IssueDetail({ id }: { id: string }) {
  const issue = useQuery({
    queryKey: ['issue', id],
    queryFn: ({ signal }) => kite.getIssue(id, { signal }),
  });
  useChanges((change) => {
    if (change.id !== id) return;
    void queryClient.invalidateQueries({ queryKey: ['issue', id] });
    void queryClient.invalidateQueries({ queryKey: ['issue-events', id] });
  });
  return (
    <QueryState what="the issue" query={issue}>
      {(data) => <IssueView issue={data} />}
    </QueryState>
  );
}

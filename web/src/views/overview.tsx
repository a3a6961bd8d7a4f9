/**
 * The overview: what is broken now across every namespace the user may read, from one
 * request (GET /api/v1/overview): counts by severity, type and state, the last 24
 * hours, the worst active issues, and the active issues per namespace and per
 * application/component. Live changes refresh it.
 */
import {
  Card,
  CardBody,
  CardTitle,
  Gallery,
  Grid,
  GridItem,
  PageSection,
  Title,
} from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { Counts, Overview as OverviewAnswer } from '../../../src/client/types.js';
import { kite, queryClient } from '../api.js';
import { SeverityLabel } from '../components/severity.js';
import { Empty, QueryState } from '../components/states.js';
import { ISSUE_TYPES, SEVERITIES, plural } from '../format.js';
import { useChanges } from '../live.js';
import { Link } from '../router.js';
import { IssueTable } from './issue-table.js';
import { ComponentBreakdown, NamespaceBreakdown } from './overview-tables.js';

function Count({ n, label, to }: { n: number; label: React.ReactNode; to: string }) {
  return (
    <Link to={to} className="kite-count-link">
      <span className="kite-count">{n.toLocaleString('en')}</span> {label}
    </Link>
  );
}

/** The least time between two refreshes of the overview on live changes. */
const REFRESH_MS = 1000;

function LastDay({ changes }: { changes: OverviewAnswer['changes'] }) {
  const atLeast = changes.complete ? '' : 'at least ';
  return (
    <Card data-testid="overview-changes">
      <CardTitle component="h2">Last 24 hours</CardTitle>
      <CardBody>
        <ul className="kite-counts">
          <li data-count="created">
            {atLeast}
            <Count n={changes.created} label="new" to="issues" />
          </li>
          <li data-count="reopened">
            {atLeast}
            <Count n={changes.reopened} label="reopened" to="issues" />
          </li>
          <li data-count="resolved">
            {atLeast}
            <Count n={changes.resolved} label="resolved" to="issues?state=RESOLVED" />
          </li>
        </ul>
      </CardBody>
    </Card>
  );
}

function CountCards({
  active,
  all,
  changes,
}: {
  active: Counts;
  all: Counts;
  changes: OverviewAnswer['changes'];
}) {
  return (
    <Gallery hasGutter minWidths={{ default: '12rem' }} data-testid="overview-counts">
      <Card>
        <CardTitle component="h2">State</CardTitle>
        <CardBody>
          <ul className="kite-counts">
            <li data-count="ACTIVE">
              <Count n={all.byState.ACTIVE ?? 0} label="active" to="issues" />
            </li>
            <li data-count="RESOLVED">
              <Count n={all.byState.RESOLVED ?? 0} label="resolved" to="issues?state=RESOLVED" />
            </li>
          </ul>
        </CardBody>
      </Card>
      <Card>
        <CardTitle component="h2">Active by severity</CardTitle>
        <CardBody>
          <ul className="kite-counts">
            {SEVERITIES.map((severity) => (
              <li key={severity} data-count={severity}>
                <Count
                  n={active.bySeverity[severity] ?? 0}
                  label={<SeverityLabel severity={severity} />}
                  to={`issues?severity=${severity}`}
                />
              </li>
            ))}
          </ul>
        </CardBody>
      </Card>
      <Card>
        <CardTitle component="h2">Active by type</CardTitle>
        <CardBody>
          <ul className="kite-counts">
            {ISSUE_TYPES.map((type) => (
              <li key={type} data-count={type}>
                <Count n={active.byType[type] ?? 0} label={type} to={`issues?issueType=${type}`} />
              </li>
            ))}
          </ul>
        </CardBody>
      </Card>
      <LastDay changes={changes} />
    </Gallery>
  );
}

function WorstIssues({ worst }: { worst: OverviewAnswer['worst'] }) {
  if (!worst.severity) {
    return <Empty title="Nothing is broken">No active issues in your namespaces.</Empty>;
  }
  return (
    <>
      <IssueTable
        issues={worst.issues}
        label={`Active ${worst.severity} issues`}
        showState={false}
      />
      {worst.total > worst.issues.length && (
        <Link to={`issues?severity=${worst.severity}`}>
          All {plural(worst.total, `active ${worst.severity} issue`)}
        </Link>
      )}
    </>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <GridItem span={12}>
      <Card>
        <CardTitle component="h2">{title}</CardTitle>
        <CardBody>{children}</CardBody>
      </Card>
    </GridItem>
  );
}

export function Overview() {
  const overview = useQuery({
    queryKey: ['overview'],
    queryFn: ({ signal }) => kite.overview({}, { signal }),
  });
  // At most one refresh a second, never cancelling one under way: at a busy cluster's
  // change rate a refresh per change would restart the request before it answered.
  const refresh = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(refresh.current), []);
  useChanges(() => {
    refresh.current ??= setTimeout(() => {
      refresh.current = undefined;
      void queryClient.invalidateQueries({ queryKey: ['overview'] }, { cancelRefetch: false });
    }, REFRESH_MS);
  });
  return (
    <>
      <PageSection>
        <Title headingLevel="h1">Overview</Title>
      </PageSection>
      <PageSection>
        <QueryState what="the overview" query={overview}>
          {(answer) => (
            <Grid hasGutter>
              <GridItem span={12}>
                <CountCards active={answer.active} all={answer.counts} changes={answer.changes} />
              </GridItem>
              <Section title="Worst active issues">
                <WorstIssues worst={answer.worst} />
              </Section>
              <Section title="Active issues per namespace">
                <NamespaceBreakdown namespaces={answer.namespaces} />
              </Section>
              <Section title="Active issues per application and component">
                <ComponentBreakdown components={answer.components} />
              </Section>
            </Grid>
          )}
        </QueryState>
      </PageSection>
    </>
  );
}

/**
 * The overview: what is broken now across every namespace the user may read. Counts by
 * severity, type and state (one /issues/counts request each for active and all), the
 * worst active issues, and the active issues per namespace. Live changes refresh it.
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
import type { IssueCounts } from '../../../src/client/types.js';
import { kite, queryClient } from '../api.js';
import { SeverityLabel } from '../components/severity.js';
import { Empty, QueryState } from '../components/states.js';
import { ISSUE_TYPES, SEVERITIES, plural } from '../format.js';
import { useChanges } from '../live.js';
import { Link } from '../router.js';
import { IssueTable } from './issue-table.js';
import { NamespaceBreakdown } from './namespace-breakdown.js';

function Count({ n, label, to }: { n: number; label: React.ReactNode; to: string }) {
  return (
    <Link to={to} className="kite-count-link">
      <span className="kite-count">{n.toLocaleString('en')}</span> {label}
    </Link>
  );
}

function CountCards({ active, all }: { active: IssueCounts; all: IssueCounts }) {
  return (
    <Gallery hasGutter minWidths={{ default: '16rem' }} data-testid="overview-counts">
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
    </Gallery>
  );
}

function WorstIssues({ active }: { active: IssueCounts }) {
  const worst = SEVERITIES.find((severity) => (active.bySeverity[severity] ?? 0) > 0);
  const list = useQuery({
    queryKey: ['issues', { state: 'ACTIVE', severity: worst, limit: 10 }],
    queryFn: ({ signal }) =>
      kite.listIssues({ state: 'ACTIVE', severity: worst, limit: 10 }, { signal }),
    enabled: worst !== undefined,
  });
  if (!worst) return <Empty title="Nothing is broken">No active issues in your namespaces.</Empty>;
  return (
    <QueryState what="the worst active issues" query={list}>
      {(page) => (
        <>
          <IssueTable issues={page.data} label={`Active ${worst} issues`} showState={false} />
          {page.total > page.data.length && (
            <Link to={`issues?severity=${worst}`}>
              All {plural(page.total, `active ${worst} issue`)}
            </Link>
          )}
        </>
      )}
    </QueryState>
  );
}

export function Overview() {
  const active = useQuery({
    queryKey: ['counts', 'ACTIVE'],
    queryFn: ({ signal }) => kite.countIssues({ state: 'ACTIVE' }, { signal }),
  });
  const all = useQuery({
    queryKey: ['counts', 'all'],
    queryFn: ({ signal }) => kite.countIssues({}, { signal }),
  });
  useChanges(() => {
    void queryClient.invalidateQueries({ queryKey: ['counts'] });
    void queryClient.invalidateQueries({ queryKey: ['issues'] });
  });
  const both = {
    data: active.data && all.data ? { active: active.data, all: all.data } : undefined,
    error: active.error ?? all.error,
    isPending: active.isPending || all.isPending,
    refetch: () => Promise.all([active.refetch(), all.refetch()]),
  };
  return (
    <>
      <PageSection>
        <Title headingLevel="h1">Overview</Title>
      </PageSection>
      <PageSection>
        <QueryState what="the counts" query={both}>
          {({ active: activeCounts, all: allCounts }) => (
            <Grid hasGutter>
              <GridItem span={12}>
                <CountCards active={activeCounts} all={allCounts} />
              </GridItem>
              <GridItem span={12}>
                <Card>
                  <CardTitle component="h2">Worst active issues</CardTitle>
                  <CardBody>
                    <WorstIssues active={activeCounts} />
                  </CardBody>
                </Card>
              </GridItem>
              <GridItem span={12}>
                <Card>
                  <CardTitle component="h2">Active issues per namespace</CardTitle>
                  <CardBody>
                    <NamespaceBreakdown />
                  </CardBody>
                </Card>
              </GridItem>
            </Grid>
          )}
        </QueryState>
      </PageSection>
    </>
  );
}

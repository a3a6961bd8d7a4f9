/**
 * A table of issues: severity, title (to the detail), where (the cluster too, when the rows
 * come from several), what kind, how long ago;
 * when one of them has a due date or migration information (task updates), those too;
 * "Silenced" and "Acknowledged by …" beside the title.
 */
import { InnerScrollContainer, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import type { Issue } from '../../../src/client/types.js';
import { DueDate, Migration } from '../components/due-date.js';
import { MutingLabels } from '../components/muting.js';
import { SeverityLabel, StateLabel } from '../components/severity.js';
import { ago, fullTime } from '../format.js';
import { Link } from '../router.js';

export function Age({ at }: { at: string }) {
  return (
    <time dateTime={at} title={fullTime(at)} className="kite-nowrap">
      {ago(at)}
    </time>
  );
}

export function IssueTable({
  issues,
  label,
  showState = true,
}: {
  issues: Issue[];
  label: string;
  /** Off where every row has the same state (a list of active issues). */
  showState?: boolean;
}) {
  const showDue = issues.some((issue) => issue.dueAt);
  const showMigration = issues.some((issue) => issue.migration);
  // A server with member clusters: which cluster, when the rows come from several.
  const showCluster = new Set(issues.map((issue) => issue.cluster)).size > 1;
  return (
    <InnerScrollContainer>
      <Table aria-label={label} variant="compact" data-testid="issue-table">
        <Thead>
          <Tr>
            <Th modifier="wrap">Severity</Th>
            <Th modifier="wrap">Issue</Th>
            {showCluster && <Th modifier="wrap">Cluster</Th>}
            <Th modifier="wrap">Namespace</Th>
            <Th modifier="wrap">Scope</Th>
            <Th modifier="wrap">Type</Th>
            {showState && <Th modifier="wrap">State</Th>}
            {showDue && <Th modifier="wrap">Due</Th>}
            {showMigration && <Th modifier="wrap">Migration</Th>}
            <Th modifier="wrap">Detected</Th>
            <Th modifier="wrap">Reports</Th>
          </Tr>
        </Thead>
        <Tbody>
          {issues.map((issue) => (
            <Tr key={issue.id} data-issue-id={issue.id}>
              <Td dataLabel="Severity">
                <SeverityLabel severity={issue.severity} />
              </Td>
              <Td dataLabel="Issue">
                <Link to={`issues/${issue.id}`}>{issue.title}</Link>
                {(issue.silencedBy || issue.acknowledgement) && ' '}
                <MutingLabels issue={issue} />
              </Td>
              {showCluster && <Td dataLabel="Cluster">{issue.cluster}</Td>}
              <Td dataLabel="Namespace">{issue.namespace}</Td>
              <Td dataLabel="Scope">
                <span className="kite-muted">{issue.scope.resourceType}</span>{' '}
                {issue.scope.resourceName}
              </Td>
              <Td dataLabel="Type">{issue.issueType}</Td>
              {showState && (
                <Td dataLabel="State">
                  <StateLabel state={issue.state} />
                </Td>
              )}
              {showDue && <Td dataLabel="Due">{issue.dueAt && <DueDate at={issue.dueAt} />}</Td>}
              {showMigration && (
                <Td dataLabel="Migration">
                  {issue.migration && <Migration migration={issue.migration} />}
                </Td>
              )}
              <Td dataLabel="Detected">
                <Age at={issue.detectedAt} />
              </Td>
              <Td dataLabel="Reports">{issue.occurrences}</Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
    </InnerScrollContainer>
  );
}

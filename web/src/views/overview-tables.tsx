/**
 * The overview's breakdowns, drawn from its one answer (GET /api/v1/overview): active
 * issues by severity per namespace and per application/component, worst first.
 */
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import type { Overview } from '../../../src/client/types.js';
import { SeverityLabel } from '../components/severity.js';
import { Empty } from '../components/states.js';
import { searchOf } from '../filters.js';
import { SEVERITIES, plural } from '../format.js';
import { Link } from '../router.js';

type Counts = Overview['namespaces']['rows'][number]['bySeverity'];

function SeverityHeads() {
  return (
    <>
      <Th modifier="wrap">Active</Th>
      {SEVERITIES.map((severity) => (
        <Th key={severity} aria-label={severity} modifier="wrap">
          <SeverityLabel severity={severity} />
        </Th>
      ))}
    </>
  );
}

function SeverityCells({ active, bySeverity }: { active: number; bySeverity: Counts }) {
  return (
    <>
      <Td dataLabel="Active">{active.toLocaleString('en')}</Td>
      {SEVERITIES.map((severity) => (
        <Td key={severity} dataLabel={severity}>
          {(bySeverity[severity] ?? 0).toLocaleString('en')}
        </Td>
      ))}
    </>
  );
}

export function NamespaceBreakdown({ namespaces }: { namespaces: Overview['namespaces'] }) {
  if (namespaces.rows.length === 0) return <Empty title="No namespaces with issues" />;
  const more = namespaces.total - namespaces.rows.length;
  return (
    <>
      <Table
        aria-label="Active issues per namespace"
        variant="compact"
        data-testid="namespace-breakdown"
      >
        <Thead>
          <Tr>
            <Th modifier="wrap">Namespace</Th>
            <SeverityHeads />
            <Th modifier="wrap">Resolved</Th>
          </Tr>
        </Thead>
        <Tbody>
          {namespaces.rows.map((row) => (
            <Tr key={row.namespace} data-namespace={row.namespace}>
              <Td dataLabel="Namespace">
                <Link to={`issues${searchOf({ namespace: [row.namespace], state: 'ACTIVE' })}`}>
                  {row.namespace}
                </Link>
              </Td>
              <SeverityCells active={row.active} bySeverity={row.bySeverity} />
              <Td dataLabel="Resolved">{row.resolved.toLocaleString('en')}</Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
      {more > 0 && <p>and {plural(more, 'more namespace')} with fewer active issues</p>}
    </>
  );
}

const COMPONENT_LABEL = 'appstudio.openshift.io/component';

export function ComponentBreakdown({ components }: { components: Overview['components'] }) {
  if (components.rows.length === 0) return <Empty title="No active issues" />;
  return (
    <>
      <Table
        aria-label="Active issues per application and component"
        variant="compact"
        data-testid="component-breakdown"
      >
        <Thead>
          <Tr>
            <Th modifier="wrap">Namespace</Th>
            <Th modifier="wrap">Application</Th>
            <Th modifier="wrap">Component</Th>
            <SeverityHeads />
          </Tr>
        </Thead>
        <Tbody>
          {components.rows.map((row) => (
            <Tr
              key={`${row.namespace}/${row.application ?? ''}/${row.component ?? ''}`}
              data-namespace={row.namespace}
              data-component={row.component ?? ''}
            >
              <Td dataLabel="Namespace">{row.namespace}</Td>
              <Td dataLabel="Application">{row.application ?? '—'}</Td>
              <Td dataLabel="Component">
                {row.component ? (
                  <Link
                    to={`issues${searchOf({
                      namespace: [row.namespace],
                      state: 'ACTIVE',
                      labelSelector: `${COMPONENT_LABEL}=${row.component}`,
                    })}`}
                  >
                    {row.component}
                  </Link>
                ) : (
                  '—'
                )}
              </Td>
              <SeverityCells active={row.active} bySeverity={row.bySeverity} />
            </Tr>
          ))}
        </Tbody>
      </Table>
      {!components.complete && (
        <p>
          Counted over the newest active issues of each namespace (
          {plural(components.examined, 'issue')} in all); the namespace counts are complete.
        </p>
      )}
    </>
  );
}

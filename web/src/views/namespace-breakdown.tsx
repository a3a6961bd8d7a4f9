/**
 * Active issues per namespace, by severity. The API counts one filter per request, so
 * this asks once per namespace, for the first MAX_NAMESPACES of them, after the rest of
 * the overview has shown.
 */
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useQueries, useQuery } from '@tanstack/react-query';
import { kite } from '../api.js';
import { SeverityLabel } from '../components/severity.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { SEVERITIES } from '../format.js';
import { Link } from '../router.js';

const MAX_NAMESPACES = 30;

export function NamespaceBreakdown() {
  const namespaces = useQuery({ queryKey: ['namespaces'], queryFn: () => kite.namespaces() });
  const names = (namespaces.data?.namespaces ?? []).slice(0, MAX_NAMESPACES);
  const counts = useQueries({
    queries: names.map((namespace) => ({
      queryKey: ['counts', 'ACTIVE', namespace],
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        kite.countIssues({ state: 'ACTIVE', namespace: [namespace] }, { signal }),
    })),
  });
  if (namespaces.error) {
    return (
      <ErrorState what="your namespaces" error={namespaces.error} retry={namespaces.refetch} />
    );
  }
  if (namespaces.isPending) return <Loading what="your namespaces" />;
  if (names.length === 0) return <Empty title="No namespaces with issues" />;
  return (
    <Table
      aria-label="Active issues per namespace"
      variant="compact"
      data-testid="namespace-breakdown"
    >
      <Thead>
        <Tr>
          <Th modifier="wrap">Namespace</Th>
          <Th modifier="wrap">Active</Th>
          {SEVERITIES.map((severity) => (
            <Th key={severity} aria-label={severity} modifier="wrap">
              <SeverityLabel severity={severity} />
            </Th>
          ))}
        </Tr>
      </Thead>
      <Tbody>
        {names.map((namespace, i) => {
          const result = counts[i];
          return (
            <Tr key={namespace} data-namespace={namespace}>
              <Td dataLabel="Namespace">
                <Link to={`issues?namespace=${encodeURIComponent(namespace)}`}>{namespace}</Link>
              </Td>
              {result?.error ? (
                <Td colSpan={5}>
                  <ErrorState
                    what={`${namespace}'s counts`}
                    error={result.error}
                    retry={result.refetch}
                  />
                </Td>
              ) : (
                <>
                  <Td dataLabel="Active">{result?.data?.total ?? '…'}</Td>
                  {SEVERITIES.map((severity) => (
                    <Td key={severity} dataLabel={severity}>
                      {result?.data?.bySeverity[severity] ?? '…'}
                    </Td>
                  ))}
                </>
              )}
            </Tr>
          );
        })}
      </Tbody>
    </Table>
  );
}

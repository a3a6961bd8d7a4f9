/**
 * MintMaker runs per namespace (and component, and status): the filters in the URL, one
 * page of runs at a time from `GET /api/v1/mintmaker/runs`, each linking to its log.
 * A namespace the user may not read answers with no runs at all, like one without any.
 */
import {
  Button,
  Flex,
  FormSelect,
  FormSelectOption,
  PageSection,
  TextInput,
  Title,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { FocusEvent } from 'react';
import type { MintmakerRun } from '../../../src/client/types.js';
import { kite } from '../api.js';
import { Empty, QueryState } from '../components/states.js';
import { Link, navigate, useLocation } from '../router.js';
import { Age } from './issue-table.js';
import { RunStatus, runLogsPath } from './run-status.js';

const PAGE = 50;
const STATUSES = ['Failed', 'Running', 'Succeeded', 'Unknown'] as const;

function RunsTable({ runs }: { runs: MintmakerRun[] }) {
  if (runs.length === 0) return <Empty title="No MintMaker runs">None match these filters.</Empty>;
  return (
    <Table aria-label="MintMaker runs" variant="compact" data-testid="runs-table">
      <Thead>
        <Tr>
          <Th>Run</Th>
          <Th>Component</Th>
          <Th>Repository</Th>
          <Th>Status</Th>
          <Th>Started</Th>
          <Th>Completed</Th>
          <Th>Log</Th>
        </Tr>
      </Thead>
      <Tbody>
        {runs.map((run) => (
          <Tr key={`${run.runNamespace}/${run.name}`} data-run={run.name}>
            <Td dataLabel="Run">
              <Link to={runLogsPath(run)}>{run.name}</Link>
            </Td>
            <Td dataLabel="Component">{run.component}</Td>
            <Td dataLabel="Repository">
              {run.repository ? `${run.repository}${run.branch ? `@${run.branch}` : ''}` : '—'}
            </Td>
            <Td dataLabel="Status">
              <RunStatus status={run.status} />
            </Td>
            <Td dataLabel="Started">{run.startTime ? <Age at={run.startTime} /> : '—'}</Td>
            <Td dataLabel="Completed">
              {run.completionTime ? <Age at={run.completionTime} /> : '—'}
            </Td>
            <Td dataLabel="Log">
              {run.archived ? `archived, ${Math.ceil(run.logBytes / 1024)} KiB` : 'live'}
              {run.truncated ? ' (truncated)' : ''}
            </Td>
          </Tr>
        ))}
      </Tbody>
    </Table>
  );
}

export function Runs() {
  const { search } = useLocation();
  const namespaces = useQuery({ queryKey: ['namespaces'], queryFn: () => kite.namespaces() });
  const mine = namespaces.data?.namespaces ?? [];
  const namespace = search.get('namespace') ?? mine[0] ?? '';
  const component = search.get('component') ?? '';
  const status = (search.get('status') ?? '') as MintmakerRun['status'] | '';
  const offset = Number(search.get('offset') ?? 0) || 0;
  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(search);
    next.set('namespace', namespace);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    if (!('offset' in changes)) next.delete('offset');
    navigate(`runs?${next}`, { replace: true });
  };
  const runs = useQuery({
    queryKey: ['runs', namespace, component, status, offset],
    queryFn: ({ signal }) =>
      kite.listRuns(
        {
          namespace,
          component: component || undefined,
          status: status || undefined,
          limit: PAGE,
          offset,
        },
        { signal },
      ),
    enabled: namespace !== '',
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <PageSection>
        <Title headingLevel="h1">MintMaker runs</Title>
      </PageSection>
      <PageSection>
        <Toolbar>
          <ToolbarContent>
            <ToolbarItem>
              <FormSelect
                aria-label="Namespace"
                value={namespace}
                onChange={(_event, value) => set({ namespace: value, component: '' })}
              >
                {[...new Set([namespace, ...mine])].filter(Boolean).map((name) => (
                  <FormSelectOption key={name} value={name} label={name} />
                ))}
              </FormSelect>
            </ToolbarItem>
            <ToolbarItem>
              <TextInput
                aria-label="Component"
                placeholder="Component"
                defaultValue={component}
                onBlur={(event: FocusEvent<HTMLInputElement>) =>
                  set({ component: event.currentTarget.value.trim() })
                }
                onKeyDown={(event) => {
                  if (event.key === 'Enter') set({ component: event.currentTarget.value.trim() });
                }}
              />
            </ToolbarItem>
            <ToolbarItem>
              <FormSelect
                aria-label="Status"
                value={status}
                onChange={(_event, value) => set({ status: value })}
              >
                <FormSelectOption value="" label="Any status" />
                {STATUSES.map((s) => (
                  <FormSelectOption key={s} value={s} label={s} />
                ))}
              </FormSelect>
            </ToolbarItem>
          </ToolbarContent>
        </Toolbar>
        {namespace === '' ? (
          <Empty title="No namespace">You may not read any namespace&apos;s runs.</Empty>
        ) : (
          <QueryState what="the MintMaker runs" query={runs}>
            {(page) => (
              <>
                <RunsTable runs={page.data} />
                <Flex className="kite-pager" gap={{ default: 'gapSm' }}>
                  <Button
                    variant="secondary"
                    isDisabled={offset === 0}
                    onClick={() => set({ offset: String(Math.max(0, offset - PAGE)) })}
                  >
                    Previous
                  </Button>
                  <Button
                    variant="secondary"
                    isDisabled={offset + page.data.length >= page.total}
                    onClick={() => set({ offset: String(offset + PAGE) })}
                  >
                    Next
                  </Button>
                </Flex>
              </>
            )}
          </QueryState>
        )}
      </PageSection>
    </>
  );
}

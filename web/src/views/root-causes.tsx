/**
 * Root causes (`/root-causes?state=…&namespace=…&failureClass=…`): the root-cause groups
 * the caller may see (`GET /api/v1/groups`, latest join first), with the API's filters
 * kept in the URL under the API's names. Group changes on the live stream refresh it, at
 * most once a second, as the overview does.
 */
import {
  Button,
  Flex,
  FormSelect,
  FormSelectOption,
  PageSection,
  Title,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { Group } from '../../../src/client/types.js';
import { FAILURE_CLASSES } from '../../../src/domain/failure-classes.js';
import { kite, queryClient } from '../api.js';
import { Empty, QueryState } from '../components/states.js';
import { plural } from '../format.js';
import { useGroupChanges } from '../live.js';
import { navigate, useLocation } from '../router.js';
import { NamespaceSelect } from './namespace-select.js';
import { RootCauseTable } from './root-cause-table.js';

const PAGE = 50;
/** The least time between two refreshes on live group changes. */
const REFRESH_MS = 1000;

const oneOf = <T extends string>(values: readonly T[], value: string | null): T | undefined =>
  values.find((v) => v === value);

/** Refreshes the queries under `key` on group changes, at most once every REFRESH_MS. */
export function useGroupRefresh(key: string, only?: (id: string) => boolean): void {
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  useGroupChanges((change) => {
    if (only && !only(change.id)) return;
    timer.current ??= setTimeout(() => {
      timer.current = undefined;
      void queryClient.invalidateQueries({ queryKey: [key] }, { cancelRefetch: false });
    }, REFRESH_MS);
  });
}

export function RootCauses() {
  const { search } = useLocation();
  const state = oneOf(['ACTIVE', 'RESOLVED'] as const, search.get('state'));
  const failureClass = oneOf(FAILURE_CLASSES, search.get('failureClass'));
  const namespaces = search.getAll('namespace');
  const offset = Number(search.get('offset') ?? 0) || 0;
  const set = (changes: Record<string, string | string[]>) => {
    const next = new URLSearchParams(search);
    for (const [key, value] of Object.entries(changes)) {
      next.delete(key);
      for (const one of [value].flat()) if (one) next.append(key, one);
    }
    if (!('offset' in changes)) next.delete('offset');
    const query = next.toString();
    navigate(`root-causes${query ? `?${query}` : ''}`, { replace: true });
  };
  const groups = useQuery({
    queryKey: ['groups', state, failureClass, namespaces, offset],
    queryFn: ({ signal }) =>
      kite.listGroups(
        { state, failureClass, namespace: namespaces, limit: PAGE, offset },
        { signal },
      ),
    placeholderData: keepPreviousData,
  });
  useGroupRefresh('groups');
  const filtered = state || failureClass || namespaces.length > 0;
  return (
    <>
      <PageSection>
        <Title headingLevel="h1">Root causes</Title>
        <p className="kite-muted">
          Issues that failed the same way, grouped: one cause, its progress across components.
        </p>
      </PageSection>
      <PageSection>
        <Toolbar>
          <ToolbarContent>
            <ToolbarItem>
              <NamespaceSelect
                chosen={namespaces}
                onChange={(chosen) => set({ namespace: chosen })}
              />
            </ToolbarItem>
            <ToolbarItem>
              <FormSelect
                aria-label="State"
                value={state ?? ''}
                onChange={(_event, value) => set({ state: value })}
              >
                <FormSelectOption value="" label="Any state" />
                <FormSelectOption value="ACTIVE" label="Active" />
                <FormSelectOption value="RESOLVED" label="Resolved" />
              </FormSelect>
            </ToolbarItem>
            <ToolbarItem>
              <FormSelect
                aria-label="Failure class"
                value={failureClass ?? ''}
                onChange={(_event, value) => set({ failureClass: value })}
              >
                <FormSelectOption value="" label="Any failure class" />
                {FAILURE_CLASSES.map((c) => (
                  <FormSelectOption key={c} value={c} label={c} />
                ))}
              </FormSelect>
            </ToolbarItem>
            {filtered && (
              <ToolbarItem>
                <Button variant="link" onClick={() => navigate('root-causes', { replace: true })}>
                  Clear filters
                </Button>
              </ToolbarItem>
            )}
          </ToolbarContent>
        </Toolbar>
        <QueryState what="the root-cause groups" query={groups}>
          {(page) => <GroupPage groups={page.data} total={page.total} offset={offset} set={set} />}
        </QueryState>
      </PageSection>
    </>
  );
}

function GroupPage({
  groups,
  total,
  offset,
  set,
}: {
  groups: Group[];
  total: number;
  offset: number;
  set: (changes: Record<string, string>) => void;
}) {
  if (groups.length === 0) {
    return (
      <Empty title="No root-cause groups">
        None match these filters. A group forms when two issues fail with the same cause.
      </Empty>
    );
  }
  return (
    <>
      <p data-testid="root-cause-total">{plural(total, 'group')}</p>
      <RootCauseTable groups={groups} />
      {total > PAGE && (
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
            isDisabled={offset + groups.length >= total}
            onClick={() => set({ offset: String(offset + PAGE) })}
          >
            Next
          </Button>
        </Flex>
      )}
    </>
  );
}

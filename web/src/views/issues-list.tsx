/**
 * The issues list: filters in the URL, answered by the server one page at a time (the
 * `next` cursor), live changes announced above the table and applied on click, or at
 * once when the reader is at the top of the first page (so nothing moves under them).
 */
import {
  Alert,
  AlertActionLink,
  Button,
  PageSection,
  Split,
  SplitItem,
  Title,
} from '@patternfly/react-core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { IssueChange } from '../../../src/client/types.js';
import { kite } from '../api.js';
import { Empty, QueryState } from '../components/states.js';
import { filtersOf, isFiltered, queryOf, searchOf, type Filters } from '../filters.js';
import { plural } from '../format.js';
import { useChanges } from '../live.js';
import { MAIN_ID, navigate, useLocation } from '../router.js';

/** Whether the reader sees the top of the page (PatternFly's main area is what scrolls). */
const atTop = () => (document.getElementById(MAIN_ID)?.scrollTop ?? 0) < 50;
import { IssueFilters } from './issue-filters.js';
import { IssueGroups } from './issue-groups.js';
import { IssueTable } from './issue-table.js';

/** Could the change add, remove or alter a row of this list? */
function concerns(change: IssueChange, filters: Filters): boolean {
  if (filters.namespace.length && !filters.namespace.includes(change.namespace)) return false;
  if (filters.severity && change.severity && change.severity !== filters.severity) return false;
  if (filters.issueType && change.issueType && change.issueType !== filters.issueType) return false;
  return true;
}

export function IssuesList() {
  const { search } = useLocation();
  const filters = filtersOf(search);
  const query = queryOf(filters);
  const list = useQuery({
    queryKey: ['issues', query],
    queryFn: ({ signal }) => kite.listIssues(query, { signal }),
    placeholderData: keepPreviousData,
  });
  const [waiting, setWaiting] = useState(0);
  const refresh = () => {
    setWaiting(0);
    void list.refetch({ cancelRefetch: false });
  };
  useChanges((change) => {
    if (!concerns(change, filters)) return;
    if (!filters.cursor && atTop()) refresh();
    else setWaiting((n) => n + 1);
  });

  return (
    <>
      <PageSection>
        <Title headingLevel="h1">Issues</Title>
      </PageSection>
      <PageSection>
        <IssueFilters filters={filters} />
        {waiting > 0 && (
          <Alert
            variant="info"
            isInline
            isPlain
            title={`${plural(waiting, 'change')} since this page loaded`}
            data-testid="pending-changes"
            actionLinks={<AlertActionLink onClick={refresh}>Show them</AlertActionLink>}
          />
        )}
        <QueryState what="issues" query={list}>
          {(page) =>
            page.data.length === 0 ? (
              <Empty title="No issues match">
                {isFiltered(filters)
                  ? 'Nothing matches these filters: widen or clear them.'
                  : 'Nothing is broken in the namespaces you may read.'}
              </Empty>
            ) : (
              <>
                {filters.group ? (
                  <IssueGroups
                    issues={page.data}
                    by={filters.group}
                    showState={filters.state === 'any'}
                  />
                ) : (
                  <IssueTable
                    issues={page.data}
                    label="Issues"
                    showState={filters.state === 'any'}
                  />
                )}
                <Split hasGutter className="kite-pager">
                  <SplitItem isFilled data-testid="issue-total">
                    {plural(page.data.length, 'issue')} shown of{' '}
                    {page.totalIsEstimate ? 'about ' : ''}
                    {page.total.toLocaleString('en')}
                  </SplitItem>
                  {filters.cursor && (
                    <SplitItem>
                      <Button
                        variant="secondary"
                        onClick={() =>
                          navigate(`issues${searchOf({ ...filters, cursor: undefined })}`)
                        }
                      >
                        First page
                      </Button>
                    </SplitItem>
                  )}
                  {page.next && (
                    <SplitItem>
                      <Button
                        variant="secondary"
                        onClick={() =>
                          navigate(
                            `issues${searchOf({ ...filters, cursor: page.next ?? undefined })}`,
                          )
                        }
                      >
                        Next page
                      </Button>
                    </SplitItem>
                  )}
                </Split>
              </>
            )
          }
        </QueryState>
      </PageSection>
    </>
  );
}

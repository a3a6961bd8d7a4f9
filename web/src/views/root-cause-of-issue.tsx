/**
 * On an issue's page, the root-cause group it is in (the issue answer's `group`): a link
 * to the group with its cause and progress, read from `GET /api/v1/groups/<id>`. Nothing
 * when the issue is in no group.
 */
import { Card, CardBody, CardTitle } from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import type { Issue } from '../../../src/client/types.js';
import { kite } from '../api.js';
import { QueryState } from '../components/states.js';
import { Link } from '../router.js';
import { GroupProgress, causeOf } from './root-cause-table.js';
import { useGroupRefresh } from './root-causes.js';

export function RootCauseOfIssue({ issue }: { issue: Issue }) {
  const id = issue.group?.id;
  const group = useQuery({
    queryKey: ['group', id],
    queryFn: ({ signal }) => kite.getGroup(id!, { signal }),
    enabled: id !== undefined,
  });
  useGroupRefresh('group', (changed) => changed === id);
  if (!id) return null;
  return (
    <Card data-testid="issue-group">
      <CardTitle component="h2">Root cause</CardTitle>
      <CardBody>
        <QueryState what="the root-cause group" query={group}>
          {(data) => (
            <>
              <p>
                One of {data.size} issues failing the same way:{' '}
                <Link to={`root-causes/${data.id}`}>{causeOf(data)}</Link>
              </p>
              <GroupProgress group={data} />
            </>
          )}
        </QueryState>
      </CardBody>
    </Card>
  );
}

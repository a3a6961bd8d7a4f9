/**
 * The actions on an active issue: "Resolve", shown only when the API says the caller may
 * change issues in the issue's namespace, and "Acknowledge" / "Withdraw acknowledgement"
 * when it says the caller may manage there (`GET …/namespaces/<ns>/access`, the checks
 * the routes make). While that answer is pending or failed there is no button.
 */
import { Button, Flex, Stack } from '@patternfly/react-core';
import { useMutation, useQuery } from '@tanstack/react-query';
import type { Issue } from '../../../src/client/types.js';
import { kite, queryClient } from '../api.js';
import { ErrorState } from '../components/states.js';

export function ResolveAction({ issue }: { issue: Issue }) {
  const { id, namespace, cluster } = issue;
  const access = useQuery({
    queryKey: ['access', namespace, cluster],
    queryFn: ({ signal }) => kite.namespaceAccess(namespace, { signal, cluster }),
  });
  const resolve = useMutation({
    mutationFn: () => kite.resolveIssue(id),
    onSuccess: (resolved) => {
      queryClient.setQueryData(['issue', id], resolved);
      void queryClient.invalidateQueries({ queryKey: ['issue-events', id] });
    },
    // The rights may have changed since they were asked: ask again, the button follows.
    onError: () => void queryClient.invalidateQueries({ queryKey: ['access', namespace, cluster] }),
  });
  const acknowledge = useMutation({
    mutationFn: () =>
      issue.acknowledgement ? kite.unacknowledgeIssue(id) : kite.acknowledgeIssue(id),
    onSuccess: (changed) => {
      queryClient.setQueryData(['issue', id], changed);
      void queryClient.invalidateQueries({ queryKey: ['issue-events', id] });
    },
    onError: () => void queryClient.invalidateQueries({ queryKey: ['access', namespace, cluster] }),
  });
  const { write, manage } = access.data ?? {};
  return (
    <Stack
      hasGutter
      className="kite-actions"
      data-testid="issue-actions"
      data-access={access.status}
    >
      {access.error ? (
        <ErrorState
          what={`your rights in ${namespace}`}
          error={access.error}
          retry={access.refetch}
        />
      ) : null}
      {(write === true || manage === true) && (
        <Flex>
          {write === true && (
            <Button
              variant="primary"
              onClick={() => resolve.mutate()}
              isLoading={resolve.isPending}
              isDisabled={resolve.isPending}
            >
              Resolve
            </Button>
          )}
          {manage === true && (
            <Button
              variant="secondary"
              onClick={() => acknowledge.mutate()}
              isLoading={acknowledge.isPending}
              isDisabled={acknowledge.isPending}
            >
              {issue.acknowledgement ? 'Withdraw acknowledgement' : 'Acknowledge'}
            </Button>
          )}
        </Flex>
      )}
      {resolve.error ? (
        <ErrorState action="resolve" what="the issue" error={resolve.error} />
      ) : null}
      {acknowledge.error ? (
        <ErrorState action="acknowledge" what="the issue" error={acknowledge.error} />
      ) : null}
    </Stack>
  );
}

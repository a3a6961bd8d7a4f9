/**
 * The "Resolve" action of an active issue: shown only when the API says the caller may
 * change issues in the issue's namespace (`GET …/namespaces/<ns>/access`, the checks the
 * resolve route makes). While that answer is pending or failed there is no button.
 */
import { Button, Flex, Stack } from '@patternfly/react-core';
import { useMutation, useQuery } from '@tanstack/react-query';
import type { Issue } from '../../../src/client/types.js';
import { kite, queryClient } from '../api.js';
import { ErrorState } from '../components/states.js';

export function ResolveAction({ issue }: { issue: Issue }) {
  const { id, namespace } = issue;
  const access = useQuery({
    queryKey: ['access', namespace],
    queryFn: ({ signal }) => kite.namespaceAccess(namespace, { signal }),
  });
  const resolve = useMutation({
    mutationFn: () => kite.resolveIssue(id),
    onSuccess: (resolved) => {
      queryClient.setQueryData(['issue', id], resolved);
      void queryClient.invalidateQueries({ queryKey: ['issue-events', id] });
    },
    // The rights may have changed since they were asked: ask again, the button follows.
    onError: () => void queryClient.invalidateQueries({ queryKey: ['access', namespace] }),
  });
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
      {access.data?.write === true && (
        <Flex>
          <Button
            variant="primary"
            onClick={() => resolve.mutate()}
            isLoading={resolve.isPending}
            isDisabled={resolve.isPending}
          >
            Resolve
          </Button>
        </Flex>
      )}
      {resolve.error ? (
        <ErrorState action="resolve" what="the issue" error={resolve.error} />
      ) : null}
    </Stack>
  );
}

/**
 * "Merge": pick another group the caller sees and merge it into this one. Offered when
 * the API says the caller may change issues in every namespace of this group they see;
 * the server also needs that right in the namespaces they cannot see (decision 0059),
 * which the page cannot ask, so a refusal is shown in place with the server's message.
 */
import {
  Button,
  Card,
  CardBody,
  CardTitle,
  Flex,
  FlexItem,
  FormSelect,
  FormSelectOption,
} from '@patternfly/react-core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { Group } from '../../../src/client/types.js';
import { kite, queryClient } from '../api.js';
import { ErrorState } from '../components/states.js';
import { causeOf } from './root-cause-table.js';

/** The other groups offered: the API's first page, latest join first. */
const OFFERED = 100;

export function MergeAction({ group }: { group: Group }) {
  const id = useId();
  const [other, setOther] = useState('');
  const candidates = useQuery({
    queryKey: ['groups', 'merge-candidates'],
    queryFn: ({ signal }) => kite.listGroups({ limit: OFFERED }, { signal }),
  });
  const merge = useMutation({
    mutationFn: (otherId: string) => kite.mergeGroups(group.id, otherId),
    onSuccess: (_nothing, otherId) => {
      setOther('');
      queryClient.removeQueries({ queryKey: ['group', otherId] });
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['group', group.id] });
      void queryClient.invalidateQueries({ queryKey: ['groups'] });
    },
  });
  const others = (candidates.data?.data ?? []).filter((g) => g.id !== group.id);
  if (candidates.error) {
    return (
      <ErrorState what="the other groups" error={candidates.error} retry={candidates.refetch} />
    );
  }
  if (others.length === 0) return null;
  return (
    <Card data-testid="group-merge">
      <CardTitle component="h2">Merge</CardTitle>
      <CardBody>
        <p>
          <label htmlFor={id}>Merge another group into this one</label>: its members join this
          group, and later failures of either cause do too.
        </p>
        <Flex
          gap={{ default: 'gapSm' }}
          alignItems={{ default: 'alignItemsCenter' }}
          flexWrap={{ default: 'nowrap' }}
          className="kite-actions"
        >
          <FlexItem className="kite-merge-select">
            <FormSelect id={id} value={other} onChange={(_event, value) => setOther(value)}>
              <FormSelectOption value="" label="Choose a group" isPlaceholder />
              {others.map((g) => (
                <FormSelectOption key={g.id} value={g.id} label={`${causeOf(g)} (${g.progress})`} />
              ))}
            </FormSelect>
          </FlexItem>
          <Button
            variant="secondary"
            isDisabled={other === '' || merge.isPending}
            isLoading={merge.isPending}
            onClick={() => merge.mutate(other)}
          >
            Merge
          </Button>
        </Flex>
        {merge.error ? <ErrorState action="merge" what="the groups" error={merge.error} /> : null}
      </CardBody>
    </Card>
  );
}

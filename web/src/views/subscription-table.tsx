/**
 * A namespace's subscriptions in words: what each matches, where it sends (secret
 * references, never values), how it groups, and where it was declared. Those from a
 * ConfigMap are read-only here (the operator keeps them in step with the ConfigMap);
 * the others have Delete, with a confirmation, for callers who may manage them.
 */
import { Button, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { Subscription } from '../../../src/client/types.js';
import { kite, queryClient } from '../api.js';
import { Empty, ErrorState } from '../components/states.js';
import { configMapOf, describeMatch, describeReceiver, describeTiming } from '../subscriptions.js';

/** One short line each (a cell's clauses), read in order. */
const Lines = ({ lines }: { lines: string[] }) => (
  <div className="kite-lines">
    {lines.map((line, i) => (
      <div key={i}>{line}</div>
    ))}
  </div>
);

function Source({ source }: { source: string }) {
  const configMap = configMapOf(source);
  return configMap === undefined ? <>API</> : <>managed by ConfigMap {configMap}</>;
}

function DeleteSubscription({ subscription }: { subscription: Subscription }) {
  const { namespace, name } = subscription;
  const [open, setOpen] = useState(false);
  const titleId = useId();
  const remove = useMutation({
    mutationFn: () => kite.deleteSubscription(namespace, name),
    onSuccess: () => {
      setOpen(false);
      void queryClient.invalidateQueries({ queryKey: ['subscriptions', namespace] });
    },
    // The rights may have changed since they were asked: ask again, the button follows.
    onError: () => void queryClient.invalidateQueries({ queryKey: ['access', namespace] }),
  });
  const close = () => {
    setOpen(false);
    remove.reset();
  };
  return (
    <>
      <Button
        variant="secondary"
        isDanger
        onClick={() => setOpen(true)}
        aria-label={`Delete ${name}`}
      >
        Delete
      </Button>
      <Modal variant="small" isOpen={open} onClose={close} aria-labelledby={titleId}>
        <ModalHeader
          title={`Delete subscription ${name}?`}
          labelId={titleId}
          titleIconVariant="warning"
        />
        <ModalBody>
          <p>Notifications it would send stop at once. Deliveries already failed stay listed.</p>
          {remove.error ? (
            <ErrorState action="delete" what={`subscription ${name}`} error={remove.error} />
          ) : null}
        </ModalBody>
        <ModalFooter>
          <Button
            variant="danger"
            onClick={() => remove.mutate()}
            isLoading={remove.isPending}
            isDisabled={remove.isPending}
          >
            Delete
          </Button>
          <Button variant="link" onClick={close}>
            Cancel
          </Button>
        </ModalFooter>
      </Modal>
    </>
  );
}

export function SubscriptionTable({
  subscriptions,
  manage,
}: {
  subscriptions: Subscription[];
  /** The caller may delete (those not from a ConfigMap). */
  manage: boolean;
}) {
  if (subscriptions.length === 0) {
    return (
      <Empty title="No subscriptions">
        Nobody is notified of this namespace&apos;s issues yet.
      </Empty>
    );
  }
  return (
    <Table aria-label="Subscriptions" variant="compact" data-testid="subscriptions-table">
      <Thead>
        <Tr>
          <Th>Name</Th>
          <Th>Matches</Th>
          <Th>Receivers</Th>
          <Th>Grouping</Th>
          <Th>Source</Th>
          {manage && <Th screenReaderText="Actions" />}
        </Tr>
      </Thead>
      <Tbody>
        {subscriptions.map((subscription) => (
          <Tr key={subscription.name} data-subscription={subscription.name}>
            <Td dataLabel="Name" modifier="nowrap">
              {subscription.name}
            </Td>
            <Td dataLabel="Matches">
              <Lines lines={describeMatch(subscription.match)} />
            </Td>
            <Td dataLabel="Receivers">
              <Lines lines={subscription.receivers.map(describeReceiver)} />
            </Td>
            <Td dataLabel="Grouping">
              <Lines lines={describeTiming(subscription)} />
            </Td>
            <Td dataLabel="Source">
              <Source source={subscription.source} />
            </Td>
            {manage && (
              <Td dataLabel="Actions" isActionCell>
                {configMapOf(subscription.source) === undefined ? (
                  <DeleteSubscription subscription={subscription} />
                ) : (
                  <span className="kite-muted">read-only</span>
                )}
              </Td>
            )}
          </Tr>
        ))}
      </Tbody>
    </Table>
  );
}

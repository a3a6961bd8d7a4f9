/**
 * The namespace's failed deliveries (`GET …/notifications?state=dead`): those KITE gave up
 * on, with the receiver's type, the error (in words that name no secret) and the attempts.
 */
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useQuery } from '@tanstack/react-query';
import type { Delivery } from '../../../src/client/types.js';
import { kite } from '../api.js';
import { Empty, QueryState } from '../components/states.js';
import { plural } from '../format.js';
import { RECEIVER_LABELS, describeGroup } from '../subscriptions.js';
import { Age } from './issue-table.js';

/** As many as the API gives in one answer (its maximum is 500). */
const LIMIT = 100;

function DeliveryTable({ deliveries }: { deliveries: Delivery[] }) {
  if (deliveries.length === 0) {
    return (
      <Empty title="No failed deliveries">Every notification was sent or is on its way.</Empty>
    );
  }
  return (
    <Table aria-label="Failed deliveries" variant="compact" data-testid="dead-deliveries">
      <Thead>
        <Tr>
          <Th modifier="wrap">Subscription</Th>
          <Th modifier="wrap">Receiver</Th>
          <Th modifier="wrap">Group</Th>
          <Th modifier="wrap">Issues</Th>
          <Th modifier="wrap">Error</Th>
          <Th modifier="wrap">Attempts</Th>
          <Th modifier="wrap">Created</Th>
        </Tr>
      </Thead>
      <Tbody>
        {deliveries.map((delivery) => (
          <Tr key={delivery.id} data-delivery={delivery.id}>
            <Td dataLabel="Subscription" modifier="nowrap">
              {delivery.subscription}
            </Td>
            <Td dataLabel="Receiver">{RECEIVER_LABELS[delivery.receiverType]}</Td>
            <Td dataLabel="Group" modifier="breakWord">
              {describeGroup(delivery.group)}
            </Td>
            <Td dataLabel="Issues" modifier="nowrap">
              {plural(delivery.issues.length, 'issue')}
            </Td>
            <Td dataLabel="Error" modifier="breakWord">
              {delivery.lastError ?? '—'}
            </Td>
            <Td dataLabel="Attempts">{delivery.attempts}</Td>
            <Td dataLabel="Created">
              <Age at={delivery.createdAt} />
            </Td>
          </Tr>
        ))}
      </Tbody>
    </Table>
  );
}

export function DeadDeliveries({ namespace }: { namespace: string }) {
  const dead = useQuery({
    queryKey: ['notifications', namespace, 'dead'],
    queryFn: ({ signal }) =>
      kite.listNotifications(namespace, { state: 'dead', limit: LIMIT }, { signal }),
  });
  return (
    <QueryState what="the failed deliveries" query={dead}>
      {({ items }) => <DeliveryTable deliveries={items} />}
    </QueryState>
  );
}

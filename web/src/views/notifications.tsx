/**
 * Notifications of one namespace (`/notifications?namespace=<ns>`): its subscriptions and
 * the deliveries KITE gave up on. Create and Delete appear only when the API says the
 * caller may manage subscriptions there (`GET …/namespaces/<ns>/access`); while that
 * answer is pending or failed there are none, and the API checks every change anyway.
 */
import {
  Content,
  Flex,
  FlexItem,
  FormSelect,
  FormSelectOption,
  PageSection,
  Title,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { kite } from '../api.js';
import { Empty, ErrorState, Loading, QueryState } from '../components/states.js';
import { navigate, useLocation } from '../router.js';
import { mayManage } from '../subscriptions.js';
import { DeadDeliveries } from './dead-deliveries.js';
import { CreateSubscription } from './subscription-form.js';
import { SubscriptionTable } from './subscription-table.js';

function Subscriptions({ namespace }: { namespace: string }) {
  const subscriptions = useQuery({
    queryKey: ['subscriptions', namespace],
    queryFn: ({ signal }) => kite.listSubscriptions(namespace, {}, { signal }),
  });
  const access = useQuery({
    queryKey: ['access', namespace],
    queryFn: ({ signal }) => kite.namespaceAccess(namespace, { signal }),
  });
  const manage = access.data ? mayManage(access.data) : false;
  const names = subscriptions.data?.items.map((s) => s.name) ?? [];
  return (
    <>
      <Flex
        justifyContent={{ default: 'justifyContentSpaceBetween' }}
        alignItems={{ default: 'alignItemsCenter' }}
        data-testid="subscription-actions"
        data-access={access.status}
      >
        <FlexItem>
          <Title headingLevel="h2">Subscriptions</Title>
        </FlexItem>
        {manage && (
          <FlexItem>
            <CreateSubscription namespace={namespace} taken={names} />
          </FlexItem>
        )}
      </Flex>
      {access.error ? (
        <ErrorState
          what={`your rights in ${namespace}`}
          error={access.error}
          retry={access.refetch}
        />
      ) : null}
      <QueryState what="the subscriptions" query={subscriptions}>
        {({ items }) => <SubscriptionTable subscriptions={items} manage={manage} />}
      </QueryState>
    </>
  );
}

export function Notifications() {
  const { search } = useLocation();
  const namespaces = useQuery({ queryKey: ['namespaces'], queryFn: () => kite.namespaces() });
  const mine = namespaces.data?.namespaces ?? [];
  const namespace = search.get('namespace') ?? mine[0] ?? '';
  return (
    <>
      <PageSection>
        <Title headingLevel="h1">Notifications</Title>
        <Content component="p" className="kite-muted">
          Who is told when issues open, get worse, resolve or reopen, and what could not be sent.
        </Content>
      </PageSection>
      <PageSection>
        <Toolbar>
          <ToolbarContent>
            <ToolbarItem>
              <FormSelect
                aria-label="Namespace"
                value={namespace}
                onChange={(_event, value) =>
                  navigate(`notifications?${new URLSearchParams({ namespace: value })}`, {
                    replace: true,
                  })
                }
              >
                {[...new Set([namespace, ...mine])].filter(Boolean).map((name) => (
                  <FormSelectOption key={name} value={name} label={name} />
                ))}
              </FormSelect>
            </ToolbarItem>
          </ToolbarContent>
        </Toolbar>
        {namespace !== '' ? (
          <Subscriptions key={namespace} namespace={namespace} />
        ) : namespaces.error ? (
          <ErrorState what="your namespaces" error={namespaces.error} retry={namespaces.refetch} />
        ) : namespaces.isPending ? (
          <Loading what="your namespaces" />
        ) : (
          <Empty title="No namespace">You may not read any namespace.</Empty>
        )}
      </PageSection>
      {namespace !== '' && (
        <PageSection>
          <Title headingLevel="h2">Failed deliveries</Title>
          <DeadDeliveries namespace={namespace} />
        </PageSection>
      )}
    </>
  );
}

/**
 * Silences of one namespace (docs/silences.md): the list, newest first, expired ones
 * included; for callers the access answer says may manage there, a form to create one
 * (matchers in the CLI's `name=value` syntax, a duration, a comment) and Expire on those
 * that have not ended. Comments are rendered as text.
 */
import {
  ActionGroup,
  Button,
  Form,
  FormGroup,
  FormSelect,
  FormSelectOption,
  PageSection,
  TextInput,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Silence } from '../../../src/client/types.js';
import { parseMatchers } from '../../../src/domain/silence.js';
import { kite, queryClient } from '../api.js';
import { Empty, ErrorState, QueryState } from '../components/states.js';
import { navigate, useLocation } from '../router.js';
import { Age } from './issue-table.js';

const DURATIONS = [
  ['1 hour', 3_600_000],
  ['4 hours', 14_400_000],
  ['1 day', 86_400_000],
  ['1 week', 604_800_000],
] as const;

const matcherText = ({ matchers }: Silence) =>
  [
    ...Object.entries(matchers).flatMap(([name, value]) =>
      typeof value === 'string' ? [`${name}=${value}`] : [],
    ),
    ...Object.entries(matchers.labels ?? {}).map(([key, value]) => `label:${key}=${value}`),
  ].join(', ');

function CreateSilence({ namespace }: { namespace: string }) {
  const [matchers, setMatchers] = useState('');
  const [duration, setDuration] = useState(String(DURATIONS[0][1]));
  const [comment, setComment] = useState('');
  const create = useMutation({
    mutationFn: () =>
      kite.createSilence(namespace, {
        matchers: parseMatchers(
          matchers
            .split(',')
            .map((text) => text.trim())
            .filter(Boolean),
        ),
        endsAt: new Date(Date.now() + Number(duration)).toISOString(),
        comment,
      }),
    onSuccess: () => {
      setMatchers('');
      setComment('');
      void queryClient.invalidateQueries({ queryKey: ['silences', namespace] });
    },
  });
  return (
    <Form
      aria-label="New silence"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate();
      }}
    >
      <FormGroup label="Matchers" fieldId="silence-matchers" isRequired>
        <TextInput
          id="silence-matchers"
          placeholder="severity=critical, label:app=web"
          value={matchers}
          onChange={(_event, value) => setMatchers(value)}
        />
      </FormGroup>
      <FormGroup label="For" fieldId="silence-duration">
        <FormSelect
          id="silence-duration"
          value={duration}
          onChange={(_event, value) => setDuration(value)}
        >
          {DURATIONS.map(([label, ms]) => (
            <FormSelectOption key={ms} value={String(ms)} label={label} />
          ))}
        </FormSelect>
      </FormGroup>
      <FormGroup label="Comment" fieldId="silence-comment" isRequired>
        <TextInput
          id="silence-comment"
          value={comment}
          onChange={(_event, value) => setComment(value)}
        />
      </FormGroup>
      {create.error ? <ErrorState action="create" what="the silence" error={create.error} /> : null}
      <ActionGroup>
        <Button type="submit" isLoading={create.isPending} isDisabled={create.isPending}>
          Silence
        </Button>
      </ActionGroup>
    </Form>
  );
}

function SilenceTable({ silences, manage }: { silences: Silence[]; manage: boolean }) {
  const expire = useMutation({
    mutationFn: (silence: Silence) => kite.expireSilence(silence.namespace, silence.id),
    onSuccess: (silence) =>
      void queryClient.invalidateQueries({ queryKey: ['silences', silence.namespace] }),
  });
  if (silences.length === 0) return <Empty title="No silences">Nothing is muted here.</Empty>;
  return (
    <>
      {expire.error ? <ErrorState action="expire" what="the silence" error={expire.error} /> : null}
      <Table aria-label="Silences" variant="compact" data-testid="silences-table">
        <Thead>
          <Tr>
            <Th>State</Th>
            <Th>Matchers</Th>
            <Th>Ends</Th>
            <Th>Created by</Th>
            <Th>Comment</Th>
            {manage && <Th screenReaderText="Actions" />}
          </Tr>
        </Thead>
        <Tbody>
          {silences.map((silence) => (
            <Tr key={silence.id} data-silence-id={silence.id}>
              <Td dataLabel="State">{silence.state}</Td>
              <Td dataLabel="Matchers">{matcherText(silence)}</Td>
              <Td dataLabel="Ends">
                <Age at={silence.endsAt} />
              </Td>
              <Td dataLabel="Created by">{silence.createdBy}</Td>
              <Td dataLabel="Comment">{silence.comment}</Td>
              {manage && (
                <Td dataLabel="Actions">
                  {silence.state !== 'expired' && (
                    <Button variant="secondary" size="sm" onClick={() => expire.mutate(silence)}>
                      Expire
                    </Button>
                  )}
                </Td>
              )}
            </Tr>
          ))}
        </Tbody>
      </Table>
    </>
  );
}

export function Silences() {
  const { search } = useLocation();
  const namespaces = useQuery({ queryKey: ['namespaces'], queryFn: () => kite.namespaces() });
  const mine = namespaces.data?.namespaces ?? [];
  const namespace = search.get('namespace') ?? mine[0] ?? '';
  const access = useQuery({
    queryKey: ['access', namespace],
    queryFn: ({ signal }) => kite.namespaceAccess(namespace, { signal }),
    enabled: namespace !== '',
  });
  const silences = useQuery({
    queryKey: ['silences', namespace],
    queryFn: ({ signal }) => kite.listSilences(namespace, { limit: 200 }, { signal }),
    enabled: namespace !== '',
  });
  const manage = access.data?.manage === true;
  return (
    <>
      <PageSection>
        <Title headingLevel="h1">Silences</Title>
        <FormSelect
          aria-label="Namespace"
          value={namespace}
          onChange={(_event, value) => navigate(`silences?namespace=${encodeURIComponent(value)}`)}
        >
          {[...new Set([namespace, ...mine])].filter(Boolean).map((name) => (
            <FormSelectOption key={name} value={name} label={name} />
          ))}
        </FormSelect>
      </PageSection>
      {manage && (
        <PageSection>
          <CreateSilence namespace={namespace} />
        </PageSection>
      )}
      <PageSection>
        {namespace === '' ? (
          <Empty title="No namespace">You may read no namespace yet.</Empty>
        ) : (
          <QueryState what="the silences" query={silences}>
            {(page) => <SilenceTable silences={page.data} manage={manage} />}
          </QueryState>
        )}
      </PageSection>
    </>
  );
}

/** An issue's timeline: every report, reopening, update and resolution, newest first. */
import { Label } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useQuery } from '@tanstack/react-query';
import { kite } from '../api.js';
import { Empty, QueryState } from '../components/states.js';
import { Age } from './issue-table.js';

const KIND_COLOR = {
  created: 'purple',
  reported: 'grey',
  reopened: 'orange',
  updated: 'blue',
  resolved: 'green',
  acknowledged: 'blue',
  unacknowledged: 'grey',
} as const;

export function IssueTimeline({ id }: { id: string }) {
  const events = useQuery({
    queryKey: ['issue-events', id],
    queryFn: ({ signal }) => kite.issueEvents(id, { limit: 200 }, { signal }),
  });
  return (
    <QueryState what="the timeline" query={events}>
      {(page) =>
        page.data.length === 0 ? (
          <Empty title="No events kept">Events older than the retention age are pruned.</Empty>
        ) : (
          <Table aria-label="Timeline" variant="compact" data-testid="timeline">
            <Thead>
              <Tr>
                <Th modifier="wrap">When</Th>
                <Th modifier="wrap">Event</Th>
                <Th modifier="wrap">What happened</Th>
                <Th modifier="wrap">Run</Th>
              </Tr>
            </Thead>
            <Tbody>
              {page.data.map((event) => (
                <Tr key={event.id}>
                  <Td dataLabel="When">
                    <Age at={event.at} />
                  </Td>
                  <Td dataLabel="Event">
                    <Label
                      isCompact
                      variant="outline"
                      color={KIND_COLOR[event.kind as keyof typeof KIND_COLOR] ?? 'grey'}
                    >
                      {event.kind}
                    </Label>
                  </Td>
                  <Td dataLabel="What happened" className="kite-description">
                    {event.summary}
                  </Td>
                  <Td dataLabel="Run">{event.runId ?? ''}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )
      }
    </QueryState>
  );
}

/**
 * "Silenced" and "Acknowledged by …" labels (docs/silences.md): text and colour, the
 * person's name and note rendered as text, the times on hover.
 */
import { Label } from '@patternfly/react-core';
import type { Issue } from '../../../src/client/types.js';
import { fullTime } from '../format.js';

export function MutingLabels({ issue }: { issue: Issue }) {
  const ack = issue.acknowledgement;
  return (
    <>
      {issue.silencedBy && (
        <Label
          color="grey"
          variant="outline"
          isCompact
          title={`Muted by silence ${issue.silencedBy}`}
          data-testid="silenced-label"
        >
          Silenced
        </Label>
      )}
      {ack && (
        <Label
          color="blue"
          variant="outline"
          isCompact
          title={[
            `Acknowledged ${fullTime(ack.at)}`,
            ack.until ? `until ${fullTime(ack.until)}` : '',
            ack.note ?? '',
          ]
            .filter(Boolean)
            .join(' — ')}
          data-testid="acknowledged-label"
        >
          Acknowledged by {ack.by}
        </Label>
      )}
    </>
  );
}

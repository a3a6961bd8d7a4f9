/** A MintMaker run's status as a label, and the dashboard path of its log. */
import { Label } from '@patternfly/react-core';
import type { MintmakerRun } from '../../../src/client/types.js';

const COLOR = {
  Failed: 'red',
  Running: 'blue',
  Succeeded: 'green',
  Unknown: 'grey',
} as const satisfies Record<MintmakerRun['status'], string>;

export function RunStatus({ status }: { status: MintmakerRun['status'] }) {
  return (
    <Label color={COLOR[status]} isCompact data-status={status}>
      {status}
    </Label>
  );
}

/** `runs/<run>/logs?namespace=…&component=…` (and `runNamespace` when it is not MintMaker's). */
export function runLogsPath(
  run: Pick<MintmakerRun, 'name' | 'namespace' | 'component'> & { runNamespace?: string },
): string {
  const query = new URLSearchParams({ namespace: run.namespace, component: run.component });
  if (run.runNamespace && run.runNamespace !== 'mintmaker') {
    query.set('runNamespace', run.runNamespace);
  }
  return `runs/${encodeURIComponent(run.name)}/logs?${query}`;
}

/** Severity and state labels, colour plus text (never colour alone). */
import { Label } from '@patternfly/react-core';
import type { Issue } from '../../../src/client/types.js';
import { SEVERITY_COLOR, type Severity } from '../format.js';

export function SeverityLabel({ severity }: { severity: Severity }) {
  return (
    <Label color={SEVERITY_COLOR[severity]} isCompact className="kite-severity">
      {severity}
    </Label>
  );
}

export function StateLabel({ state }: { state: Issue['state'] }) {
  return (
    <Label color={state === 'ACTIVE' ? 'purple' : 'green'} variant="outline" isCompact>
      {state === 'ACTIVE' ? 'active' : 'resolved'}
    </Label>
  );
}

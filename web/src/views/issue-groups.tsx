/**
 * The rows of a page grouped by component or application: the Konflux labels when the
 * report carried them, else the issue's scope (for components). Grouping is of the page
 * shown, so each group says how many of its rows it holds.
 */
import { Title } from '@patternfly/react-core';
import type { Issue } from '../../../src/client/types.js';
import type { Grouping } from '../filters.js';
import { plural } from '../format.js';
import { IssueTable } from './issue-table.js';

const LABEL: Record<Grouping, string> = {
  component: 'appstudio.openshift.io/component',
  application: 'appstudio.openshift.io/application',
};

export function groupOf(issue: Issue, by: Grouping): string | undefined {
  const labelled = issue.labels[LABEL[by]];
  if (labelled) return labelled;
  return issue.scope.resourceType === by ? issue.scope.resourceName : undefined;
}

export function IssueGroups({
  issues,
  by,
  showState,
}: {
  issues: Issue[];
  by: Grouping;
  showState: boolean;
}) {
  const groups = new Map<string, Issue[]>();
  for (const issue of issues) {
    const name = groupOf(issue, by) ?? `(no ${by})`;
    groups.set(name, [...(groups.get(name) ?? []), issue]);
  }
  return (
    <>
      {[...groups].map(([name, rows]) => (
        <section key={name} className="kite-group" data-group={name}>
          <Title headingLevel="h2" size="md">
            {name} <span className="kite-muted">({plural(rows.length, 'issue')} on this page)</span>
          </Title>
          <IssueTable issues={rows} label={`Issues of ${by} ${name}`} showState={showState} />
        </section>
      ))}
    </>
  );
}

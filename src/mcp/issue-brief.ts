/**
 * Issues as an assistant reads them: the few fields that say what is broken, where and
 * since when (`brief`), and for one issue everything a person would look at on its page
 * (`detail`). Empty and absent fields are left out, so every character counts.
 */
import type { Issue, IssueEvent } from '../client/types.js';
import { DEFAULT_LOCAL_CLUSTER } from '../domain/place.js';

const APPLICATION = 'appstudio.openshift.io/application';
const COMPONENT = 'appstudio.openshift.io/component';

export function brief(issue: Issue) {
  const { labels } = issue;
  return {
    id: issue.id,
    title: issue.title,
    severity: issue.severity,
    type: issue.issueType,
    state: issue.state,
    namespace: issue.namespace,
    // Named on a server with member clusters; a single cluster's (`local`) needs no name.
    ...(issue.cluster && issue.cluster !== DEFAULT_LOCAL_CLUSTER ? { cluster: issue.cluster } : {}),
    resource: `${issue.scope.resourceType}/${issue.scope.resourceName}`,
    ...(labels[APPLICATION] ? { application: labels[APPLICATION] } : {}),
    ...(labels[COMPONENT] && labels[COMPONENT] !== issue.scope.resourceName
      ? { component: labels[COMPONENT] }
      : {}),
    detectedAt: issue.detectedAt,
    ...(issue.resolvedAt ? { resolvedAt: issue.resolvedAt } : {}),
    lastSeenAt: issue.lastSeenAt,
    occurrences: issue.occurrences,
    ...(issue.dueAt ? { dueAt: issue.dueAt } : {}),
    ...(issue.group ? { group: { id: issue.group.id, size: issue.group.size } } : {}),
    ...(issue.silencedBy ? { silenced: true } : {}),
    ...(issue.acknowledgement ? { acknowledgedBy: issue.acknowledgement.by } : {}),
  };
}

const relation = (other: Issue['relatedTo'][number]['target']) =>
  other ? { id: other.id, title: other.title, state: other.state } : undefined;

/** Everything on the issue's page but the timeline and the group (read separately). */
export function detail(issue: Issue) {
  const related = [
    ...issue.relatedTo.map((r) => relation(r.target) ?? { id: r.targetId }),
    ...issue.relatedFrom.map((r) => relation(r.source) ?? { id: r.sourceId }),
  ];
  return {
    ...brief(issue),
    description: issue.description,
    labels: issue.labels,
    ...(issue.links.length
      ? { links: issue.links.map((l) => ({ title: l.title, url: l.url })) }
      : {}),
    ...(related.length ? { related } : {}),
    ...(issue.hiddenRelations ? { hiddenRelations: issue.hiddenRelations.message } : {}),
    ...(issue.migration ? { migration: issue.migration } : {}),
    ...(issue.acknowledgement ? { acknowledgement: issue.acknowledgement } : {}),
  };
}

export const timelineEntry = (event: IssueEvent) => ({
  at: event.at,
  kind: event.kind,
  summary: event.summary,
  ...(event.runId ? { run: event.runId } : {}),
});

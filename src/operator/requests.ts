/**
 * What the operator sends the server for one observation, decided when the delivery is
 * taken from the queue: `run-failure`, `run-success` or nothing. For scopes judged per
 * variant (integration test scenarios of a component), the issue's title and description
 * name every variant that fails right now, each with its failed tasks; when one variant
 * recovers while others still fail, the issue is updated to name only those (a report
 * carrying the recovered run's id and time, so it counts once and is ordered like any
 * other report).
 */
import type { Observation } from './controller.js';
import { severityOf, type SeverityRule } from './operator-config.js';
import { CLUSTER_LABEL } from './run-labels.js';
import { publicLink } from '../logs/run-links.js';
import type { ScopeIndex } from './scope-index.js';

export const REASON_LIMIT = 16_000;
export const TITLE_LIMIT = 500;

export interface RunRequest {
  webhook: 'run-failure' | 'run-success';
  body: { namespace: string } & Record<string, unknown>;
}

export interface RequestOptions {
  severity: readonly SeverityRule[];
  clusterName?: string | undefined;
  /** KITE_PUBLIC_URL: relative links (the server's own log endpoint) become absolute. */
  publicUrl?: string | undefined;
}

export function requestOf(
  observation: Observation,
  index: ScopeIndex,
  options: RequestOptions,
): RunRequest | undefined {
  if (observation.outcome === 'cancelled') return undefined;
  const common = {
    namespace: observation.namespace,
    issueType: observation.issueType,
    scopeType: observation.scopeType,
    scopeName: observation.scopeName,
    runId: observation.runId,
    occurredAt: observation.completedAt,
    // A MintMaker run's start and labels (its repo-branch hash) let the server clear the
    // pipeline's issues the run did not report.
    ...(observation.runStartedAt
      ? { runStartedAt: observation.runStartedAt, labels: labelsOf(observation, options) }
      : {}),
  };
  if (observation.variant === undefined) {
    if (!index.shouldReport(observation)) return undefined;
    if (observation.outcome === 'success') return { webhook: 'run-success', body: common };
    return failure(common, observation, observation.title, observation.reason, options);
  }
  const latest = index.latestByVariant(observation);
  const failing = [...latest.values()]
    .filter((run) => run.outcome === 'failure')
    .map((run) => run.observation);
  if (observation.outcome === 'failure') {
    if (!index.shouldReport(observation)) return undefined;
  } else {
    if (failing.length === 0) return { webhook: 'run-success', body: common };
    // This variant recovered while others still fail: update the issue, unless a newer
    // run of this variant exists (that one tells).
    if (latest.get(observation.variant)?.observation.runId !== observation.runId) return undefined;
  }
  if (failing.length <= 1) {
    const only = failing[0] ?? observation;
    return failure(common, observation, only.title, only.reason, options);
  }
  const share = Math.floor(REASON_LIMIT / failing.length) - 200;
  const heading = failing.find((run) => run.variantsTitle)?.variantsTitle ?? failing[0]?.title;
  const title = `${heading ?? ''}: ${failing
    .map((run) => run.variantTitle ?? run.variant)
    .join('; ')}`;
  const reason = [
    `${failing.length} scenarios fail:`,
    ...failing.map(
      (run) => `Scenario ${run.variantTitle ?? run.variant}:\n${truncate(run.reason, share)}`,
    ),
  ].join('\n\n');
  return failure(common, observation, title, reason, options);
}

function failure(
  common: { namespace: string } & Record<string, unknown>,
  observation: Observation,
  title: string,
  reason: string,
  options: RequestOptions,
): RunRequest {
  return {
    webhook: 'run-failure',
    body: {
      ...common,
      title: truncate(title, TITLE_LIMIT),
      reason: truncate(reason, REASON_LIMIT),
      severity: severityOf(options.severity, observation),
      ...(observation.logsUrl
        ? { logsUrl: publicLink(options.publicUrl, observation.logsUrl) }
        : {}),
      labels: labelsOf(observation, options),
    },
  };
}

function labelsOf(observation: Observation, options: RequestOptions): Record<string, string> {
  return options.clusterName
    ? { ...observation.labels, [CLUSTER_LABEL]: options.clusterName }
    : observation.labels;
}

export function truncate(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

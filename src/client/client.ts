/**
 * `KiteClient`: one typed client for the KITE API (issues, counts, namespaces, the event
 * stream, MintMaker runs and logs, webhooks) for the operator, the CLI, tools and tests;
 * silences, notifications and root-cause groups come from TriageClient (triage-client.ts).
 * Timeouts, safe retries and the bearer token live in http.ts; errors in errors.ts.
 *
 *   const kite = new KiteClient({ baseUrl, token: () => readFile(tokenPath, 'utf8') });
 *   const page = await kite.listIssues({ namespace: ['team-a'], state: 'ACTIVE' });
 */
import { connectEvents, type EventStream } from './events.js';
import type { HttpOptions } from './http.js';
import { path, TriageClient, type CallOptions } from './triage-client.js';
import type {
  Acknowledge,
  Issue,
  IssueCountQuery,
  IssueCounts,
  IssueCreate,
  IssueEvent,
  IssueListQuery,
  IssuePage,
  IssueUpdate,
  Message,
  MintmakerRun,
  MintmakerRunInput,
  NamespaceAccess,
  Namespaces,
  Clusters,
  Overview,
  Page,
  PageQuery,
  WebhookReportAnswer,
  WebhookResolveAnswer,
  WebhookSkipAnswer,
} from './types.js';

export type KiteClientOptions = HttpOptions;
export type { CallOptions, EventStream };

export interface RunLogQuery {
  /** `task/step` or a step name; absent: every step in order. */
  step?: string;
  format?: 'raw' | 'text';
  /** Where the PipelineRun ran; default: the MintMaker namespace. */
  runNamespace?: string;
  /** Keep the stream open while the run is live, ending when it completes. */
  follow?: boolean;
}

export interface RunListQuery extends PageQuery {
  namespace?: string;
  component?: string;
  status?: MintmakerRun['status'];
}

/** Silences, subscriptions, notifications and groups: see TriageClient (triage-client.ts). */
export class KiteClient extends TriageClient {
  // Issues

  listIssues(query: IssueListQuery = {}, options: CallOptions = {}): Promise<IssuePage> {
    return this.http.json({ method: 'GET', path: 'api/v1/issues', query, ...options });
  }

  countIssues(query: IssueCountQuery = {}, options: CallOptions = {}): Promise<IssueCounts> {
    return this.http.json({ method: 'GET', path: 'api/v1/issues/counts', query, ...options });
  }

  getIssue(id: string, options: CallOptions = {}): Promise<Issue> {
    return this.http.json({ method: 'GET', path: `api/v1/issues/${path(id)}`, ...options });
  }

  /** Creates an issue; an active issue with the same identity is updated instead. */
  createIssue(issue: IssueCreate, options: CallOptions = {}): Promise<Issue> {
    return this.http.json({ method: 'POST', path: 'api/v1/issues', json: issue, ...options });
  }

  updateIssue(id: string, changes: IssueUpdate, options: CallOptions = {}): Promise<Issue> {
    return this.http.json({
      method: 'PUT',
      path: `api/v1/issues/${path(id)}`,
      json: changes,
      ...options,
    });
  }

  resolveIssue(id: string, options: CallOptions = {}): Promise<Issue> {
    return this.http.json({
      method: 'POST',
      path: `api/v1/issues/${path(id)}/resolve`,
      ...options,
    });
  }

  deleteIssue(id: string, options: CallOptions = {}): Promise<void> {
    return this.http.json({ method: 'DELETE', path: `api/v1/issues/${path(id)}`, ...options });
  }

  /** The issue's timeline (reported, updated, resolved, …), newest first. */
  issueEvents(id: string, page: PageQuery = {}, options: CallOptions = {}) {
    return this.http.json<Page<IssueEvent>>({
      method: 'GET',
      path: `api/v1/issues/${path(id)}/events`,
      query: { ...page },
      ...options,
    });
  }

  /** Acknowledges an issue (replacing an earlier acknowledgement; docs/silences.md). */
  acknowledgeIssue(id: string, ack: Acknowledge = {}, options: CallOptions = {}): Promise<Issue> {
    const to = `api/v1/issues/${path(id)}/acknowledge`;
    return this.http.json({ method: 'POST', path: to, json: ack, ...options });
  }

  unacknowledgeIssue(id: string, options: CallOptions = {}): Promise<Issue> {
    const to = `api/v1/issues/${path(id)}/acknowledge`;
    return this.http.json({ method: 'DELETE', path: to, ...options });
  }

  relateIssues(id: string, relatedId: string, options: CallOptions = {}): Promise<Message> {
    return this.http.json({
      method: 'POST',
      path: `api/v1/issues/${path(id)}/related`,
      json: { relatedId },
      ...options,
    });
  }

  unrelateIssues(id: string, relatedId: string, options: CallOptions = {}): Promise<void> {
    return this.http.json({
      method: 'DELETE',
      path: `api/v1/issues/${path(id, 'related', relatedId)}`,
      ...options,
    });
  }

  namespaces(options: CallOptions = {}): Promise<Namespaces> {
    return this.http.json({ method: 'GET', path: 'api/v1/namespaces', ...options });
  }

  /** The clusters the server answers for: its own, and its members (docs/multi-cluster.md). */
  clusters(options: CallOptions = {}): Promise<Clusters> {
    return this.http.json({ method: 'GET', path: 'api/v1/clusters', ...options });
  }

  /** Counts, the worst active issues and the changes since `since` (default: a day ago), in one call. */
  overview(
    query: { namespace?: string[]; cluster?: string[]; since?: string } = {},
    options: CallOptions = {},
  ): Promise<Overview> {
    return this.http.json({ method: 'GET', path: 'api/v1/overview', query, ...options });
  }

  /** What the caller may do with issues in `namespace` (`read`, `write`), as the routes decide. */
  /** `cluster`: the namespace's cluster (default: the caller's own). */
  namespaceAccess(
    namespace: string,
    options: CallOptions & { cluster?: string | undefined } = {},
  ): Promise<NamespaceAccess> {
    const { cluster, ...call } = options;
    return this.http.json({
      method: 'GET',
      path: `api/v1/namespaces/${path(namespace, 'access')}`,
      ...(cluster ? { query: { cluster } } : {}),
      ...call,
    });
  }

  /**
   * Opens the live stream of issue changes. Resolves once the server has accepted it
   * (a 401/403/429 rejects with a KiteApiError) and set the stream's `position`, so a
   * change made after this resolves is delivered, on this stream or, after a break, on
   * one reopened with `lastEventId: stream.position`: the changes missed since then come
   * first, or a `reset` event when they cannot be replayed.
   */
  events(
    query: { namespace?: readonly string[] } = {},
    options: CallOptions & { lastEventId?: string } = {},
  ): Promise<EventStream> {
    const headMs = options.timeoutMs === undefined ? this.http.timeoutMs : options.timeoutMs;
    return connectEvents(this.http, query, options, headMs);
  }

  // MintMaker

  listRuns(query: RunListQuery = {}, options: CallOptions = {}): Promise<Page<MintmakerRun>> {
    return this.http.json({
      method: 'GET',
      path: 'api/v1/mintmaker/runs',
      query: { ...query },
      ...options,
    });
  }

  /** A run's log as a byte stream (`follow: true` keeps it open while the run is live). */
  async runLog(
    run: string,
    query: RunLogQuery = {},
    options: CallOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    const response = await this.http.request({
      method: 'GET',
      path: `api/v1/mintmaker/runs/${path(run)}/logs`,
      query: { ...query },
      stream: true,
      ...options,
    });
    if (!response.body) throw new Error('The log answered without a body');
    return response.body;
  }

  /** A run's whole log as text. */
  async runLogText(run: string, query: RunLogQuery = {}, options: CallOptions = {}) {
    const response = await this.http.request({
      method: 'GET',
      path: `api/v1/mintmaker/runs/${path(run)}/logs`,
      query: { ...query, follow: undefined },
      ...options,
    });
    return response.text();
  }

  /** Archives a run's record (the bridge operator does this when a run completes). */
  registerRun(run: MintmakerRunInput, options: CallOptions = {}): Promise<MintmakerRun> {
    return this.http.json({ method: 'POST', path: 'api/v1/mintmaker/runs', json: run, ...options });
  }

  /**
   * Archives one step's log. A stream body is sent once, never retried, and has no
   * timeout unless `options.timeoutMs` gives one (the upload lasts as long as its source).
   */
  uploadStepLog(
    step: { run: string; task: string; step: string; position: number; runNamespace?: string },
    log: string | ReadableStream<Uint8Array>,
    options: CallOptions = {},
  ): Promise<{ bytes: number; truncated: boolean }> {
    return this.http.json({
      method: 'PUT',
      path: `api/v1/mintmaker/runs/${path(step.run, 'steps', step.task, step.step)}`,
      query: { position: step.position, runNamespace: step.runNamespace },
      text: log,
      ...options,
    });
  }

  // Webhooks

  /**
   * Posts a report to a webhook (`pipeline-failure`, `build-failure`, a configured one):
   * a report answers with the issue, a success webhook with what it resolved, an empty
   * report to a `skipWhenEmpty` webhook with `info`.
   */
  webhook(
    name: string,
    payload: { namespace: string } & Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<WebhookReportAnswer | WebhookResolveAnswer | WebhookSkipAnswer> {
    return this.http.json({
      method: 'POST',
      path: `api/v1/webhooks/${path(name)}`,
      json: payload,
      ...options,
    });
  }
}

/**
 * The client's types, derived from the TypeBox schemas the server validates and
 * serializes with (`Static<typeof …>`), so there is no second copy to drift. Type-only
 * imports: nothing from the server (Fastify, the store) is loaded by the client.
 */
import type { Static } from 'typebox';
import type { IssueChange } from '../domain/issue.js';
import type { GroupChange } from '../domain/root-cause-group.js';
import type { GroupListQuery, GroupPageSchema, GroupSchema } from '../api/group-schemas.js';
import type { RunInputSchema, RunSchema } from '../api/routes/mintmaker.js';
import type { DeliveryListSchema } from '../api/routes/notifications.js';
import type {
  ClustersSchema,
  NamespaceAccessSchema,
  NamespacesSchema,
} from '../api/routes/namespaces.js';
import type { OverviewSchema } from '../api/routes/overview.js';
import type {
  SubscriptionListSchema,
  SubscriptionSchema,
  SubscriptionSpecSchema,
} from '../api/routes/subscriptions.js';
import type { AcknowledgeSchema } from '../api/routes/acknowledgements.js';
import type {
  SilenceCreateSchema,
  SilenceListQuery,
  SilenceSchema,
} from '../api/routes/silences.js';
import type { ReportAnswer, ResolveAnswer, SkipAnswer } from '../api/routes/webhooks.js';
import type {
  CountQuerySchema,
  CountsAnswerSchema,
  CountsSchema,
  EventSchema,
  IssueCreateSchema,
  IssueSchema,
  IssueUpdateSchema,
  ListQuerySchema,
  MessageSchema,
} from '../api/schemas.js';

export type Issue = Static<typeof IssueSchema>;
export type IssueCreate = Static<typeof IssueCreateSchema>;
export type IssueUpdate = Static<typeof IssueUpdateSchema>;
/** Every list filter; `limit` and `offset` default on the server (50, 0). */
export type IssueListQuery = Partial<Static<typeof ListQuerySchema>>;
export type IssueCountQuery = Static<typeof CountQuerySchema>;
/** Counts by severity, type and state (the overview's). */
export type Counts = Static<typeof CountsSchema>;
/** `/issues/counts`: the counts and how many of them are silenced. */
export type IssueCounts = Static<typeof CountsAnswerSchema>;
export type IssueEvent = Static<typeof EventSchema>;
export type Message = Static<typeof MessageSchema>;
export type Namespaces = Static<typeof NamespacesSchema>;
export type Clusters = Static<typeof ClustersSchema>;
export type Overview = Static<typeof OverviewSchema>;
export type NamespaceAccess = Static<typeof NamespaceAccessSchema>;
export type Silence = Static<typeof SilenceSchema>;
export type SilenceCreate = Static<typeof SilenceCreateSchema>;
export type SilenceQuery = Partial<Static<typeof SilenceListQuery>>;
export type Acknowledge = Static<typeof AcknowledgeSchema>;
export type MintmakerRun = Static<typeof RunSchema>;
export type MintmakerRunInput = Static<typeof RunInputSchema>;
export type WebhookReportAnswer = Static<typeof ReportAnswer>;
export type WebhookResolveAnswer = Static<typeof ResolveAnswer>;
export type WebhookSkipAnswer = Static<typeof SkipAnswer>;
export type Subscription = Static<typeof SubscriptionSchema>;
export type SubscriptionSpec = Static<typeof SubscriptionSpecSchema>;
export type SubscriptionList = Static<typeof SubscriptionListSchema>;
/** A root-cause group as the caller may see it (`members` on `getGroup` only). */
export type Group = Static<typeof GroupSchema>;
export type GroupPage = Static<typeof GroupPageSchema>;
/** Every group filter; `limit` and `offset` default on the server (50, 0). */
export type GroupQuery = Partial<Static<typeof GroupListQuery>>;
export type DeliveryList = Static<typeof DeliveryListSchema>;
export type Delivery = DeliveryList['items'][number];
export type DeliveryQuery = {
  state?: Delivery['state'];
  /** 1 to 500; default 100. */
  limit?: number;
};

export interface Page<T> {
  data: T[];
  total: number;
  limit: number;
  offset: number;
}

/** A page of issues: `next` is the cursor of the page after it (null on the last). */
export interface IssuePage extends Page<Issue> {
  next: string | null;
  /** Present when `total` was not counted exactly (docs/api.md, "Totals"). */
  totalIsEstimate?: true;
}

export interface PageQuery {
  limit?: number;
  offset?: number;
}

/**
 * One message of the event stream: an issue change (with the stream's position, to
 * resume from with `lastEventId`), or the stream telling about itself. `reset`: the
 * changes missed since `lastEventId` cannot be replayed; reload what you show.
 */
export type StreamEvent =
  | { type: IssueChange['type']; change: IssueChange; id?: string }
  | { type: 'group'; group: GroupChange }
  | { type: 'dropped'; namespaces: string[]; remaining: string[] }
  | { type: 'reset'; reason: string }
  | { type: 'end'; reason: string };

export type { GroupChange, IssueChange };

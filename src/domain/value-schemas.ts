/**
 * The schemas of values every layer validates the same way: labels, Kubernetes
 * namespace names and http(s) URLs. In the domain so that webhook definitions (src/webhooks) and the HTTP
 * schemas (src/api/schemas.ts) share them without the webhooks importing the HTTP layer.
 */
import { Type } from 'typebox';
import { CLUSTER_NAME_PATTERN } from './place.js';

const LABEL_KEY = '^[A-Za-z0-9]([A-Za-z0-9._/-]{0,315}[A-Za-z0-9])?$';
export const LabelsSchema = Type.Unsafe<Record<string, string>>({
  type: 'object',
  propertyNames: { pattern: LABEL_KEY },
  additionalProperties: { type: 'string', maxLength: 1024 },
  maxProperties: 64,
  description: 'free-form string labels (component, application, cluster, event type, …)',
});

/** A Kubernetes namespace name: a DNS-1123 label (lowercase letters, digits, `-`; ≤ 63). */
export const NAMESPACE_PATTERN = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';

export const NamespaceName = (options: { description?: string } = {}) =>
  // The pattern bounds the length (63) too, so one message says everything.
  Type.String({ pattern: NAMESPACE_PATTERN, ...options });

export const ClusterName = () => Type.String({ pattern: CLUSTER_NAME_PATTERN });

/** An absolute http(s) URL only (a migration guide): never a path, `javascript:` or `data:`. */
export const HTTP_URL_PATTERN = '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+[^\\s]*$';

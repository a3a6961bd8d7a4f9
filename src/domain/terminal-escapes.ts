/**
 * Terminal colour and cursor codes in the text automated senders pass on from tools
 * (a failed step's message, Renovate's log lines, an error printed by npm or go). Such
 * text is wanted, its escape codes are not: a description holding them renders as noise,
 * and the input rules refuse control characters (ESC is one) with a 400 — which would
 * drop the sender's whole report. So the free text of a webhook (fields that only feed
 * the description) loses its ANSI escape sequences before validation; names,
 * titles and scopes are never rewritten, and any other control character is still a 400.
 */
import type { WebhookDefinition } from './webhook-definition.js';

// CSI (ESC [ … final byte), OSC (ESC ] … BEL or ESC \), and two-byte ESC sequences.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001B]*(?:\u0007|\u001B\\)|[@-Z\\-_])/g;

export function stripTerminalEscapes(text: string): string {
  return text.includes('\u001B') ? text.replace(ANSI, '') : text;
}

/**
 * `{{field}}` names a template refers to; with `ignoreCounts`, not those it only counts
 * (`{{logs|count}}`: stripping escapes changes no count).
 */
function referenced(template: unknown, ignoreCounts = false): Set<string> {
  const names = new Set<string>();
  const text = JSON.stringify(template ?? '');
  for (const match of text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*(?:\|\s*([a-z]+))?/g)) {
    if (match[1] && !(ignoreCounts && match[2] === 'count')) names.add(match[1]);
  }
  return names;
}

/** The fields of a webhook that only feed an issue's description: free text. */
export function freeTextFields(definition: WebhookDefinition): string[] {
  const inDescription = referenced(definition.report?.description);
  const identifying = referenced(
    {
      scope: definition.scope,
      title: definition.report?.title,
      runId: definition.report?.runId,
      links: definition.report?.links,
      labels: definition.report?.labels,
      dueAt: definition.report?.dueAt,
      migration: definition.report?.migration,
    },
    true,
  );
  return [...inDescription].filter(
    (name) => definition.fields[name] !== undefined && !identifying.has(name),
  );
}

/** The payload with the free-text fields' escape sequences removed (strings and string lists). */
export function withoutTerminalEscapes(payload: unknown, fields: readonly string[]): unknown {
  if (fields.length === 0 || typeof payload !== 'object' || payload === null) return payload;
  if (Array.isArray(payload)) return payload as unknown[];
  const copy: Record<string, unknown> = { ...(payload as Record<string, unknown>) };
  for (const field of fields) {
    const value = copy[field];
    if (typeof value === 'string') copy[field] = stripTerminalEscapes(value);
    else if (Array.isArray(value)) {
      copy[field] = (value as unknown[]).map((item) =>
        typeof item === 'string' ? stripTerminalEscapes(item) : item,
      );
    }
  }
  return copy;
}

/**
 * What each receiver is sent (docs/notifications.md): a Slack-compatible incoming
 * webhook (readable text), a generic webhook (JSON or a CloudEvents 1.0 structured
 * event, signed with HMAC-SHA256 as GitHub signs: `X-Kite-Signature-256: sha256=<hex>`)
 * or e-mail over SMTP. Every message carries its delivery's id as its idempotency key
 * (`Idempotency-Key`, the CloudEvents `id`, the e-mail's Message-ID), so a receiver can
 * drop the rare second copy a crash between sending and recording may cause.
 *
 * Errors become DeliveryErrors naming a status or an error code, never the URL (a Slack
 * URL is itself the secret).
 */
import { createHmac } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import {
  headline,
  words,
  type MessageItem,
  type NotificationMessage,
} from '../domain/notification.js';
import type { Receiver } from '../domain/subscription.js';
import { DeliveryError, type SecretResolver } from './secrets.js';

export interface Outgoing {
  /** The delivery's id: the idempotency key. */
  id: string;
  receiver: Receiver;
  message: NotificationMessage;
}

export interface ReceiverContext {
  secrets: SecretResolver;
  /** The dashboard's base URL, for links to each issue. */
  dashboardUrl: string;
  /** SMTP, when KITE_SMTP_URL is set. */
  mail: { transport: Transporter; from: string } | undefined;
  timeoutMs: number;
}

export const SIGNATURE_HEADER = 'X-Kite-Signature-256';
export const CLOUDEVENT_TYPE = 'dev.konflux-ci.kite.notification';

export async function send(out: Outgoing, context: ReceiverContext): Promise<void> {
  const { receiver, message } = out;
  if (receiver.type === 'email') return sendMail(out, context);
  if (!receiver.url) throw new DeliveryError(`a ${receiver.type} receiver without url`, false);
  const url = await context.secrets(message.namespace, receiver.url);
  if (!/^https?:\/\//i.test(url)) {
    throw new DeliveryError(`the ${receiver.type} URL secret is not an http(s) URL`, false);
  }
  const headers: Record<string, string> = { 'idempotency-key': out.id };
  let body: string;
  if (receiver.type === 'slack') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify({ text: slackText(message, context.dashboardUrl) });
  } else if (receiver.format === 'cloudevents') {
    headers['content-type'] = 'application/cloudevents+json';
    body = JSON.stringify(cloudEvent(out, context.dashboardUrl));
  } else {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(jsonBody(out, context.dashboardUrl));
  }
  if (receiver.type === 'webhook' && receiver.hmacSecret) {
    const key = await context.secrets(message.namespace, receiver.hmacSecret);
    headers[SIGNATURE_HEADER] = `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
  }
  await post(url, headers, body, context.timeoutMs);
}

async function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new DeliveryError(`could not reach the receiver (${errorCode(error)})`, true);
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return;
  // 408 and 429 say "later"; 5xx may pass; any other answer will not change by itself.
  const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
  throw new DeliveryError(`the receiver answered HTTP ${response.status}`, retryable);
}

/** A network error's code (ECONNREFUSED, a timeout), never its message (which may hold the URL). */
function errorCode(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timeout';
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' && /^[A-Z0-9_]+$/.test(cause.code)
    ? cause.code
    : 'network error';
}

const issueUrl = (dashboardUrl: string, item: MessageItem) =>
  `${dashboardUrl.replace(/\/+$/, '')}/issues/${item.issueId}`;

/** Slack's mrkdwn: a headline, then per issue its severity, scope, title, links and reason. */
export function slackText(message: NotificationMessage, dashboardUrl: string): string {
  const lines = [`*${escapeSlack(headline(message))}*`];
  for (const item of message.items) {
    const links = [
      `<${issueUrl(dashboardUrl, item)}|dashboard>`,
      ...item.links.map((link) => `<${link.url}|${escapeSlack(link.title)}>`),
    ];
    lines.push(
      '',
      `${severityMark(item)} *${escapeSlack(item.title)}* — ${words(item.transition)}`,
      `${item.issueType} · ${escapeSlack(item.scope.resourceType)}/${escapeSlack(item.scope.resourceName)} · ${links.join(' · ')}`,
    );
    if (item.description.trim()) {
      lines.push(
        item.description
          .split('\n')
          .map((line) => `> ${escapeSlack(line)}`)
          .join('\n'),
      );
    }
  }
  return lines.join('\n');
}

function severityMark(item: MessageItem): string {
  const raised = item.previousSeverity ? `${item.previousSeverity} → ` : '';
  return `[${raised}${item.severity}]`;
}

/** Slack's three control characters in text. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function data(out: Outgoing, dashboardUrl: string) {
  const { message } = out;
  return {
    namespace: message.namespace,
    subscription: message.subscription,
    group: message.group,
    summary: headline(message),
    omitted: message.omitted,
    issues: message.items.map((item) => ({ ...item, url: issueUrl(dashboardUrl, item) })),
  };
}

export function jsonBody(out: Outgoing, dashboardUrl: string) {
  return { id: out.id, type: CLOUDEVENT_TYPE, ...data(out, dashboardUrl) };
}

/** A CloudEvents 1.0 event in structured content mode. */
export function cloudEvent(out: Outgoing, dashboardUrl: string) {
  const { message } = out;
  const first = message.items.map((item) => item.at).sort()[0];
  return {
    specversion: '1.0',
    id: out.id,
    source: `/api/v1/namespaces/${message.namespace}/subscriptions/${message.subscription}`,
    type: CLOUDEVENT_TYPE,
    subject: message.group,
    time: first ?? new Date().toISOString(),
    datacontenttype: 'application/json',
    data: data(out, dashboardUrl),
  };
}

async function sendMail(out: Outgoing, context: ReceiverContext): Promise<void> {
  if (!context.mail) throw new DeliveryError('e-mail needs KITE_SMTP_URL to be set', false);
  const { message, receiver } = out;
  const text = [
    headline(message),
    ...message.items.flatMap((item) => [
      '',
      `${severityMark(item)} ${item.title} — ${words(item.transition)}`,
      `${item.issueType} · ${item.scope.resourceType}/${item.scope.resourceName}`,
      `Dashboard: ${issueUrl(context.dashboardUrl, item)}`,
      ...item.links.map((link) => `${link.title}: ${link.url}`),
      ...(item.description.trim() ? ['', item.description] : []),
    ]),
  ].join('\n');
  try {
    await context.mail.transport.sendMail({
      from: context.mail.from,
      to: receiver.to ?? [],
      subject: `[KITE] ${headline(message)}`,
      text,
      messageId: `<${out.id}@kite.konflux-ci.dev>`,
      headers: { 'Idempotency-Key': out.id },
    });
  } catch (error) {
    const code = (error as { responseCode?: unknown }).responseCode;
    const permanent = typeof code === 'number' && code >= 500 && code < 600;
    throw new DeliveryError(
      typeof code === 'number'
        ? `the SMTP server answered ${code}`
        : `could not reach the SMTP server (${(error as { code?: string }).code ?? 'error'})`,
      !permanent,
    );
  }
}

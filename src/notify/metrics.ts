/**
 * Prometheus metrics of notifications (docs/notifications.md#metrics): messages sent and
 * failed attempts by receiver type, deliveries by state (dead ones among them, counted
 * at scrape time, at most every few seconds) and the latency from an issue's change to
 * its message leaving the server.
 */
import { Histogram, type Registry } from 'prom-client';
import type { NotificationMessage } from '../domain/notification.js';
import { counter, scrapedGauge } from '../prometheus.js';
import type { NotificationQueue } from '../store/notification-queue.js';

export interface NotificationMetrics {
  sent(receiver: string, message: NotificationMessage): void;
  failed(receiver: string, dead: boolean): void;
}

export function createNotificationMetrics(
  registry: Registry,
  queue: NotificationQueue,
): NotificationMetrics {
  const sent = counter(
    registry,
    'kite_notifications_sent_total',
    'Notification messages delivered, by receiver type',
    ['receiver'],
  );
  const failed = counter(
    registry,
    'kite_notification_failures_total',
    'Failed notification delivery attempts, by receiver type and whether it was the last (dead)',
    ['receiver', 'dead'],
  );
  const latency = new Histogram({
    name: 'kite_notification_latency_seconds',
    help: 'From the earliest issue change a message tells to its delivery',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers: [registry],
  });
  scrapedGauge(registry, {
    name: 'kite_notification_deliveries',
    help: 'Notification deliveries by state (pending, sent, dead)',
    always: ['pending', 'sent', 'dead'],
    read: async () =>
      (await queue.countByState()).map(({ state, deliveries }) => ({ state, count: deliveries })),
  });
  return {
    sent(receiver, message) {
      sent.inc({ receiver });
      const first = Math.min(...message.items.map((item) => Date.parse(item.at)));
      if (Number.isFinite(first)) latency.observe(Math.max(0, (Date.now() - first) / 1000));
    },
    failed(receiver, dead) {
      failed.inc({ receiver, dead: String(dead) });
    },
  };
}

/**
 * The Prometheus metrics the API and notifications share the making of: counters, and
 * gauges by `state` whose counts are read at scrape time, at most every few seconds (the
 * API's issues by state, notification deliveries by state): one reading shared by the
 * scrapes that come close together, so a busy scraper costs one query.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

const REFRESH_MS = 5000;

/** A counter in `registry`, by `labelNames` if any. */
export function counter<Label extends string = string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly Label[] = [],
): Counter<Label> {
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export interface ScrapedGauge {
  name: string;
  help: string;
  /** The counts now, one a state. */
  read: () => Promise<{ state: string; count: number }[]>;
  /** States shown as 0 when the reading does not name them. */
  always?: readonly string[];
}

export function scrapedGauge(registry: Registry, { name, help, read, always }: ScrapedGauge) {
  let lastRead = 0;
  let cached: { state: string; count: number }[] = [];
  return new Gauge({
    name,
    help,
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      if (Date.now() - lastRead > REFRESH_MS) {
        cached = await read();
        lastRead = Date.now();
      }
      this.reset();
      for (const state of always ?? []) this.set({ state }, 0);
      for (const { state, count } of cached) this.set({ state }, count);
    },
  });
}

/**
 * Starts the real operator for a test: its token file and operator.yaml in a fresh
 * folder, its settings through the same resolution as `kite operator` (flags, then
 * environment, then file), fast resync and backoff, and its JSON log lines collected.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { resolveOperatorConfig } from '../../src/operator/operator-config.js';
import { startOperator, type RunningOperator } from '../../src/operator/operator.js';

/** operator.yaml with every run controller off (tests turn on what they exercise). */
export const NO_RUN_CONTROLLERS = [
  'controllers:',
  '  pipelineruns: { enabled: false }',
  '  releases: { enabled: false }',
  '  mintmaker: { enabled: false }',
];

export interface TestOperatorOptions {
  /** The KITE server the operator reports to. */
  apiUrl: string;
  kubeconfig: string;
  /** operator.yaml, a line each (default NO_RUN_CONTROLLERS). */
  config?: string[];
  /** Settings by environment variable, over the fast defaults here. */
  env?: Record<string, string>;
  /** The operator's bearer token (default `token-operator`). */
  token?: string;
  leaderElect?: boolean;
  leaseNamespace?: string;
  /** Where the log lines go (default a fresh array); pass one to keep it across restarts. */
  logs?: string[];
  /** The clock task updates are judged by. */
  now?: () => Date;
}

export interface TestOperator {
  operator: RunningOperator;
  logs: string[];
}

/** Starts the operator and waits for its informers' first lists. */
export async function startTestOperator(options: TestOperatorOptions): Promise<TestOperator> {
  const dir = await mkdtemp(join(tmpdir(), 'kite-test-operator-'));
  await writeFile(join(dir, 'token'), `${options.token ?? 'token-operator'}\n`);
  const file = join(dir, 'operator.yaml');
  await writeFile(file, (options.config ?? NO_RUN_CONTROLLERS).join('\n'));
  const config = await resolveOperatorConfig(
    {
      apiUrl: options.apiUrl,
      tokenFile: join(dir, 'token'),
      kubeconfig: options.kubeconfig,
      config: file,
      host: '127.0.0.1',
      port: '0',
      leaderElect: options.leaderElect ?? false,
      ...(options.leaseNamespace ? { leaseNamespace: options.leaseNamespace } : {}),
    },
    {
      KITE_RESYNC: '150ms',
      KITE_BACKOFF_BASE: '20ms',
      KITE_BACKOFF_MAX: '200ms',
      KITE_LEASE_RETRY: '100ms',
      ...options.env,
    },
    () => Promise.resolve(undefined),
  );
  const logs = options.logs ?? [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  const operator = await startOperator(config, {
    log,
    ...(options.now ? { now: options.now } : {}),
  });
  await operator.synced;
  return { operator, logs };
}

/** The warnings among log lines, parsed. */
export const warningsIn = (logs: string[]) =>
  logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.level === 40);

#!/usr/bin/env node
/**
 * The `kite` executable. Each subcommand is a component of the system; this file only
 * parses flags and hands them to the component.
 */
import { Command, Option } from 'commander';
import {
  resolveServeConfig,
  SERVE_SETTINGS,
  type ServeConfig,
  type ServeFlags,
} from '../config.js';
import { migrate } from '../store/migrations.js';
import { openConfiguredDatabase, startServer, versionInfo } from '../server.js';

const program = new Command('kite')
  .description('KITE: the issues engine for Kubernetes CI (Konflux)')
  .version(versionInfo().version);

/** Commander's attribute name of each settings flag → its key in the settings table. */
const serveFlagKeys = new Map<string, keyof ServeConfig>();

/**
 * Adds the flags of `keys` from the settings table. Their environment variables are read by
 * `resolveServeConfig`, not by commander: commander makes any set variable of a boolean flag
 * `true`, so `KITE_DEMO=false` would turn the demo on.
 */
function settingOptions(command: Command, keys: readonly (keyof ServeConfig)[]): Command {
  for (const key of keys) {
    const setting = SERVE_SETTINGS[key];
    if (!setting.flag) continue;
    const notes = [`env: ${setting.env}`];
    if (setting.default !== undefined && setting.default !== 'false') {
      notes.push(`default: ${setting.default}`);
    }
    const option = new Option(setting.flag, `${setting.help ?? ''} (${notes.join(', ')})`);
    serveFlagKeys.set(option.attributeName(), key);
    command.addOption(option);
  }
  return command;
}

const DATABASE_SETTINGS = ['databaseUrl', 'dataDir'] as const;
// `Object.keys` types its answer as strings; the table is a Record over exactly these keys.
const SERVE_FLAG_SETTINGS = Object.keys(SERVE_SETTINGS) as (keyof ServeConfig)[];

settingOptions(
  program.command('serve').description('run the REST API server'),
  SERVE_FLAG_SETTINGS,
).action(async (flags: Record<string, string | boolean | undefined>) => {
  const config = resolveServeConfig(toServeFlags(flags), process.env);
  const server = await startServer(config, { env: process.env });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
});

settingOptions(
  program.command('migrate').description('apply database migrations and exit'),
  DATABASE_SETTINGS,
).action(async (flags: Record<string, string | boolean | undefined>) => {
  const config = resolveServeConfig(toServeFlags(flags), process.env);
  const db = await openConfiguredDatabase(config);
  try {
    const applied = await migrate(db);
    console.log(
      applied.length ? `applied migrations: ${applied.join(', ')}` : 'database is up to date',
    );
  } finally {
    await db.close();
  }
});

program
  .command('operator')
  .description('run the bridge operator: watch the cluster and report to the API server')
  .addOption(new Option('--api-url <url>', 'the KITE API server').env('KITE_API_URL'))
  .addOption(
    new Option(
      '--token-file <file>',
      'bearer token for the API server (default: the pod service-account token)',
    ).env('KITE_TOKEN_FILE'),
  )
  .addOption(
    new Option('--config <file>', 'operator config (YAML): controllers, namespaces, severity').env(
      'KITE_OPERATOR_CONFIG',
    ),
  )
  .addOption(
    new Option('--kubeconfig <file>', 'default: in-cluster, else KUBECONFIG or ~/.kube/config'),
  )
  .addOption(
    new Option(
      '--public-url <url>',
      'the API as users reach it (e.g. the console proxy prefix): links become absolute',
    ).env('KITE_PUBLIC_URL'),
  )
  .addOption(
    new Option('--cluster-name <name>', 'label every issue with this cluster name').env(
      'KITE_CLUSTER_NAME',
    ),
  )
  .addOption(
    new Option('--host <host>', 'address of /healthz, /readyz, /metrics (default 0.0.0.0)').env(
      'KITE_OPERATOR_HOST',
    ),
  )
  .addOption(
    new Option('--port <port>', 'port of /healthz, /readyz, /metrics (default 8081)').env(
      'KITE_OPERATOR_PORT',
    ),
  )
  .addOption(
    new Option('--lease-namespace <namespace>', 'namespace of the leader election Lease').env(
      'KITE_LEASE_NAMESPACE',
    ),
  )
  .option('--no-leader-elect', 'report without leader election (a single replica)')
  .addOption(
    new Option('--log-level <level>', 'trace, debug, info, warn, error').env('KITE_LOG_LEVEL'),
  )
  .action(async (flags: Record<string, string | boolean | undefined>) => {
    const { resolveOperatorConfig } = await import('../operator/operator-config.js');
    const { startOperator } = await import('../operator/operator.js');
    const text = (name: string) => (typeof flags[name] === 'string' ? flags[name] : undefined);
    const config = await resolveOperatorConfig(
      {
        apiUrl: text('apiUrl'),
        tokenFile: text('tokenFile'),
        config: text('config'),
        kubeconfig: text('kubeconfig'),
        clusterName: text('clusterName'),
        host: text('host'),
        port: text('port'),
        logLevel: text('logLevel'),
        leaseNamespace: text('leaseNamespace'),
        publicUrl: text('publicUrl'),
        ...(flags.leaderElect === false ? { leaderElect: false } : {}),
      },
      process.env,
    );
    const operator = await startOperator(config);
    await operator.synced;
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      operator.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

function toServeFlags(flags: Record<string, string | boolean | undefined>): ServeFlags {
  const serveFlags: ServeFlags = {};
  for (const [name, key] of serveFlagKeys) serveFlags[key] = flags[name];
  return serveFlags;
}

program.parseAsync().catch((error: unknown) => {
  console.error(`kite: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

#!/usr/bin/env node
/**
 * The `kite` executable. Each subcommand is a component of the system; this file only
 * parses flags and hands them to the component.
 */
import { Command, Option } from 'commander';
import { resolveServeConfig, type ServeFlags } from '../config.js';
import { migrate } from '../store/migrations.js';
import { openConfiguredDatabase, startServer, versionInfo } from '../server.js';

const program = new Command('kite')
  .description('KITE: the issues engine for Kubernetes CI (Konflux)')
  .version(versionInfo().version);

const databaseOptions = (command: Command) =>
  command
    .addOption(
      new Option(
        '--database-url <url>',
        'server PostgreSQL (postgres://…); default: embedded PGlite',
      ).env('KITE_DATABASE_URL'),
    )
    .addOption(
      new Option('--data-dir <dir>', 'folder of the embedded database').env('KITE_DATA_DIR'),
    );

databaseOptions(
  program
    .command('serve')
    .description('run the REST API server')
    .addOption(
      new Option('--host <host>', 'address to listen on (default 127.0.0.1)').env('KITE_HOST'),
    )
    .addOption(new Option('--port <port>', 'port to listen on (default 8080)').env('KITE_PORT'))
    .addOption(
      new Option('--webhooks-file <file>', 'extra declarative webhooks (YAML or JSON)').env(
        'KITE_WEBHOOKS_FILE',
      ),
    )
    .addOption(
      new Option('--body-limit <size>', 'largest accepted request body, e.g. 1Mi').env(
        'KITE_BODY_LIMIT',
      ),
    )
    .addOption(
      new Option(
        '--retention <duration>',
        'prune resolved issues and events older than this (default 30d)',
      ).env('KITE_RETENTION'),
    )
    .addOption(
      new Option('--log-level <level>', 'trace, debug, info, warn, error').env('KITE_LOG_LEVEL'),
    )
    .addOption(
      new Option('--demo', 'add a few realistic demo issues to an empty store').env('KITE_DEMO'),
    )
    .addOption(
      new Option('--auth-mode <mode>', 'kubernetes, none (loopback only) or auto (default)').env(
        'KITE_AUTH_MODE',
      ),
    )
    .addOption(
      new Option(
        '--public-url <url>',
        'the API as users reach it (e.g. the console proxy prefix): links become absolute',
      ).env('KITE_PUBLIC_URL'),
    ),
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

databaseOptions(
  program.command('migrate').description('apply database migrations and exit'),
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
  return {
    host: flags.host,
    port: flags.port,
    databaseUrl: flags.databaseUrl,
    dataDir: flags.dataDir,
    webhooksFile: flags.webhooksFile,
    bodyLimitBytes: flags.bodyLimit,
    retentionMs: flags.retention,
    logLevel: flags.logLevel,
    demo: flags.demo,
    authMode: flags.authMode,
    publicUrl: flags.publicUrl,
  };
}

program.parseAsync().catch((error: unknown) => {
  console.error(`kite: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

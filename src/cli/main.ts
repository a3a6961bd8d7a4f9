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
  };
}

program.parseAsync().catch((error: unknown) => {
  console.error(`kite: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

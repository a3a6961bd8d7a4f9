/**
 * `kite serve`, `kite migrate` and `kite operator`: the server side of the executable.
 * Their flags come from the settings tables; the server and the operator load only when
 * one of these commands runs, so the client commands start without them.
 */
import { Option, type Command } from 'commander';
import {
  resolveServeConfig,
  SERVE_SETTINGS,
  type ServeConfig,
  type ServeFlags,
  type Setting,
} from '../config.js';
import { OPERATOR_SETTINGS, type OperatorSetting } from '../operator/operator-settings.js';

/** Commander's attribute name of each settings flag → its key in a settings table. */
type FlagKeys<K extends string> = Map<string, K>;

/**
 * Adds the flags of `keys` from a settings table. Their environment variables are read by
 * the config resolvers, not by commander: commander makes any set variable of a boolean
 * flag `true`, so `KITE_DEMO=false` would turn the demo on.
 */
function settingOptions<K extends string>(
  command: Command,
  table: Readonly<Record<K, Setting>>,
  keys: readonly K[],
  flagKeys: FlagKeys<K>,
): Command {
  for (const key of keys) {
    const setting = table[key];
    if (!setting.flag) continue;
    // A `--no-…` flag is its variable set to false; its default (`true`) reads wrong beside it.
    const negated = setting.flag.startsWith('--no-');
    const notes = [negated ? `env: ${setting.env}=false` : `env: ${setting.env}`];
    if (setting.default !== undefined && setting.default !== 'false' && !negated) {
      notes.push(`default: ${setting.default}`);
    }
    const option = new Option(setting.flag, `${setting.help ?? ''} (${notes.join(', ')})`);
    flagKeys.set(option.attributeName(), key);
    command.addOption(option);
  }
  return command;
}

/**
 * What was typed, by setting. Commander gives a `--no-…` flag `true` when it is absent;
 * only its `false` was typed, so only that is passed on (the variable may still say false).
 */
function typedFlags<K extends string>(
  flags: Record<string, string | boolean | undefined>,
  table: Readonly<Record<K, Setting>>,
  flagKeys: FlagKeys<K>,
): Partial<Record<K, string | boolean | undefined>> {
  const typed: Partial<Record<K, string | boolean | undefined>> = {};
  for (const [name, key] of flagKeys) {
    const value = flags[name];
    if (table[key].flag?.startsWith('--no-') && value !== false) continue;
    typed[key] = value;
  }
  return typed;
}

const serveFlagKeys: FlagKeys<keyof ServeConfig> = new Map();
const operatorFlagKeys: FlagKeys<OperatorSetting> = new Map();

const DATABASE_SETTINGS = ['databaseUrl', 'dataDir'] as const;
// `Object.keys` types its answer as strings; the table is a Record over exactly these keys.
const SERVE_FLAG_SETTINGS = Object.keys(SERVE_SETTINGS) as (keyof ServeConfig)[];

export function addServerCommands(program: Command): void {
  settingOptions(
    program.command('serve').description('run the REST API server'),
    SERVE_SETTINGS,
    SERVE_FLAG_SETTINGS,
    serveFlagKeys,
  ).action(async (flags: Record<string, string | boolean | undefined>) => {
    const config = resolveServeConfig(toServeFlags(flags), process.env);
    const { startServer } = await import('../server.js');
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
    SERVE_SETTINGS,
    DATABASE_SETTINGS,
    serveFlagKeys,
  ).action(async (flags: Record<string, string | boolean | undefined>) => {
    const config = resolveServeConfig(toServeFlags(flags), process.env);
    const { openConfiguredDatabase } = await import('../server.js');
    const { migrate } = await import('../store/migrations.js');
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

  settingOptions(
    program
      .command('operator')
      .description('run the bridge operator: watch the cluster and report to the API server'),
    OPERATOR_SETTINGS,
    // `Object.keys` types its answer as strings; the table has exactly these keys.
    Object.keys(OPERATOR_SETTINGS) as OperatorSetting[],
    operatorFlagKeys,
  ).action(async (flags: Record<string, string | boolean | undefined>) => {
    const { resolveOperatorConfig } = await import('../operator/operator-config.js');
    const { startOperator } = await import('../operator/operator.js');
    const config = await resolveOperatorConfig(
      typedFlags(flags, OPERATOR_SETTINGS, operatorFlagKeys),
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
}

function toServeFlags(flags: Record<string, string | boolean | undefined>): ServeFlags {
  return typedFlags(flags, SERVE_SETTINGS, serveFlagKeys);
}

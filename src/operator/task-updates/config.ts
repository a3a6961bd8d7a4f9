/**
 * The `taskUpdates` part of the operator config and its settings: where the acceptable
 * bundles come from, how often they are read, when an outdated task becomes major, and
 * which task versions have a MIGRATION.md. Without a source the controller does not run.
 */
import { Type, type Static } from 'typebox';
import { InputError } from '../../domain/errors.js';
import { duration } from '../../config.js';
import { configMapLocation, type BundleLocation } from './bundle-source.js';
import type { TaskUpdateSettings } from './judge.js';

export const TaskUpdatesFile = Type.Object(
  {
    /** A file holding the acceptable bundles (YAML, `task-bundles:`). */
    bundlesFile: Type.Optional(Type.String({ minLength: 1 })),
    /** A ConfigMap holding them: `namespace/name/key`. */
    bundlesConfigMap: Type.Optional(Type.String({ minLength: 1 })),
    /** How often the data is read again (default 15m). */
    refresh: Type.Optional(Type.String()),
    /** Major once the expiry is this close (default 14d). */
    majorWithin: Type.Optional(Type.String()),
    /** Where the task directories of build-definitions are, for MIGRATION.md links. */
    migrationBaseUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    /** Task versions with a MIGRATION.md: `buildah/0.4`. */
    migrations: Type.Optional(Type.Array(Type.String({ pattern: '^[^/\\s]+/[^/\\s]+$' }))),
  },
  { additionalProperties: false },
);
export type TaskUpdatesFile = Static<typeof TaskUpdatesFile>;

export const DEFAULT_MIGRATION_BASE_URL =
  'https://github.com/konflux-ci/build-definitions/blob/main/task';

export interface TaskUpdatesConfig extends TaskUpdateSettings {
  location: BundleLocation;
  refreshMs: number;
}

/** The settings given by flag or variable (already picked over the file's). */
export interface TaskUpdatesGiven {
  bundlesFile: string | undefined;
  bundlesConfigMap: string | undefined;
  refresh: string;
  majorWithin: string;
}

export function resolveTaskUpdates(
  given: TaskUpdatesGiven,
  file: TaskUpdatesFile | undefined,
): TaskUpdatesConfig | undefined {
  const { bundlesFile, bundlesConfigMap } = given;
  if (bundlesFile && bundlesConfigMap) {
    throw new InputError(
      'task bundles: give a file (KITE_TASK_BUNDLES_FILE, taskUpdates.bundlesFile) or a ConfigMap (KITE_TASK_BUNDLES_CONFIGMAP, taskUpdates.bundlesConfigMap), not both',
    );
  }
  if (!bundlesFile && !bundlesConfigMap) return undefined;
  return {
    location: bundlesFile ? { file: bundlesFile } : configMapLocation(bundlesConfigMap ?? ''),
    refreshMs: duration('task bundles refresh', given.refresh),
    majorWithinMs: duration('task update major window', given.majorWithin),
    migrationBaseUrl: file?.migrationBaseUrl ?? DEFAULT_MIGRATION_BASE_URL,
    migrations: new Set(file?.migrations ?? []),
  };
}

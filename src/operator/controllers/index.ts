/**
 * The controllers the operator can run, by name. Adding one: write a file implementing
 * `Controller` (../controller.ts) and add it here.
 */
import { InputError } from '../../domain/errors.js';
import type { Controller } from '../controller.js';
import { mintmakerController } from './mintmaker.js';
import { pipelineRunController } from './pipelinerun.js';
import { releaseController } from './release.js';

export const CONTROLLERS: readonly Controller[] = [
  pipelineRunController,
  releaseController,
  mintmakerController,
];

/**
 * The controllers the config does not turn off; a name the config gives that is neither
 * one of them nor one of `others` (controllers wired apart: task-updates) stops start-up.
 */
export function enabledControllers(
  configs: Readonly<Record<string, { enabled?: boolean } | undefined>>,
  others: readonly string[],
): Controller[] {
  const known = new Set([...CONTROLLERS.map((c) => c.name), ...others]);
  for (const name of Object.keys(configs)) {
    if (!known.has(name)) {
      throw new InputError(
        `unknown controller "${name}" in the config (known: ${[...known].join(', ')})`,
      );
    }
  }
  return CONTROLLERS.filter((c) => configs[c.name]?.enabled !== false);
}

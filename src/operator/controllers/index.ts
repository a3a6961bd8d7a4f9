/**
 * The controllers the operator can run, by name. Adding one: write a file implementing
 * `Controller` (../controller.ts) and add it here.
 */
import type { Controller } from '../controller.js';
import { mintmakerController } from './mintmaker.js';
import { pipelineRunController } from './pipelinerun.js';
import { releaseController } from './release.js';

export const CONTROLLERS: readonly Controller[] = [
  pipelineRunController,
  releaseController,
  mintmakerController,
];

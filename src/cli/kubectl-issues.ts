#!/usr/bin/env node
/** `kubectl issues …`: the same as `kite issues …` (`kubectl-issues` on PATH). */
import { runKite } from './program.js';

await runKite(['issues', ...process.argv.slice(2)], 'kubectl issues');

#!/usr/bin/env node
/** `kubectl kite …`: kubectl runs this executable (`kubectl-kite` on PATH) with the rest. */
import { runKite } from './program.js';

await runKite(process.argv.slice(2), 'kubectl kite');

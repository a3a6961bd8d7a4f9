#!/usr/bin/env node
/** The `kite` executable. */
import { runKite } from './program.js';

await runKite(process.argv.slice(2));

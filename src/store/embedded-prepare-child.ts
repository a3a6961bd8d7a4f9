/**
 * The child process of embedded-prepare.ts: opens the embedded database folder, applies the
 * migrations, closes it and reports what it applied and its own peak resident memory.
 */
import { openDatabase } from './database.js';
import { migrate } from './migrations.js';

const dataDir = process.argv[2] ?? '';
const db = await openDatabase({ dataDir });
try {
  const applied = await migrate(db);
  send({ applied, peakMiB: process.resourceUsage().maxRSS / 1024 });
} catch (error) {
  send({ error: error instanceof Error ? error.message : String(error) });
} finally {
  await db.close();
  // The channel to the parent would keep this process alive.
  process.disconnect?.();
}

function send(message: { applied?: number[]; peakMiB?: number; error?: string }): void {
  process.send?.(message);
}

/**
 * Fans out the database's NOTIFY messages about issue changes to in-process subscribers
 * (the live event streams). Every server replica LISTENs, so every replica sees every
 * change, whichever replica (or operator, or script) made it.
 */
import type { IssueChange } from '../domain/issue.js';
import type { Database } from './database.js';
import { CHANGE_CHANNEL } from './schema.js';

export interface ChangeFeed {
  subscribe(listener: (change: IssueChange) => void): () => void;
  close(): Promise<void>;
}

export async function startChangeFeed(
  db: Database,
  onBadPayload: (payload: string) => void,
): Promise<ChangeFeed> {
  const listeners = new Set<(change: IssueChange) => void>();
  const stop = await db.listen(CHANGE_CHANNEL, (payload) => {
    // Heavy ingest produces a notification per report; with nobody streaming, skip them.
    if (listeners.size === 0) return;
    let change: IssueChange;
    try {
      change = JSON.parse(payload) as IssueChange;
    } catch {
      onBadPayload(payload);
      return;
    }
    for (const listener of listeners) listener(change);
  });
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await stop();
    },
  };
}

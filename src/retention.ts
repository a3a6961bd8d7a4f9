/**
 * Prunes resolved issues and timeline events older than the retention age, on a
 * schedule. Several replicas may prune at once; the deletes are idempotent.
 */
import type { IssueStore } from './store/issue-store.js';

export interface Logger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export function schedulePruning(
  store: IssueStore,
  retentionMs: number,
  intervalMs: number,
  log: Logger,
): () => void {
  const prune = async () => {
    try {
      const removed = await store.prune(new Date(Date.now() - retentionMs));
      if (removed.issues > 0 || removed.events > 0)
        log.info(removed, 'pruned old resolved issues and events');
    } catch (err) {
      log.error({ err }, 'pruning failed');
    }
  };
  const timer = setInterval(() => void prune(), intervalMs);
  timer.unref();
  void prune();
  return () => clearInterval(timer);
}

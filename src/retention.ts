/**
 * Prunes resolved issues and timeline events older than the retention age, on a
 * schedule. Several replicas may prune at once; the deletes are idempotent.
 */
import type { LogArchive } from './logs/archive.js';
import type { IssueStore } from './store/issue-store.js';

export interface Logger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What the archive of MintMaker run logs keeps: runs younger than `maxAgeMs`, at most `perComponent` each. */
export interface LogRetention {
  archive: LogArchive;
  maxAgeMs: number;
  perComponent: number;
}

export function schedulePruning(
  store: IssueStore,
  retentionMs: number,
  intervalMs: number,
  log: Logger,
  logs?: LogRetention,
): () => void {
  const prune = async () => {
    try {
      const removed = await store.prune(new Date(Date.now() - retentionMs));
      if (removed.issues > 0 || removed.events > 0 || removed.agedOut > 0)
        log.info(removed, 'pruned old resolved issues and events, aged out pull request issues');
      if (logs) {
        const runs = await logs.archive.prune({
          olderThan: new Date(Date.now() - logs.maxAgeMs),
          keepPerComponent: logs.perComponent,
        });
        if (runs > 0) log.info({ runs }, 'pruned archived MintMaker run logs');
      }
    } catch (err) {
      log.error({ err }, 'pruning failed');
    }
  };
  const timer = setInterval(() => void prune(), intervalMs);
  timer.unref();
  void prune();
  return () => clearInterval(timer);
}

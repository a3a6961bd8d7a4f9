/** When an issue is due ("due in 5 days", overdue in red) and what moving on needs. */
import type { Issue } from '../../../src/client/types.js';
import { due, fullTime } from '../format.js';
import { SafeLink } from './safe-link.js';

export function DueDate({ at }: { at: string }) {
  const shown = due(at);
  if (!shown) return <span className="kite-muted">{at}</span>;
  return (
    <time
      dateTime={at}
      title={fullTime(at)}
      className={shown.overdue ? 'kite-nowrap kite-overdue' : 'kite-nowrap'}
      data-testid="issue-due"
    >
      {shown.text}
    </time>
  );
}

/** The migration guide as a link (http(s) only, never a path or script), or what is known. */
export function Migration({ migration }: { migration: NonNullable<Issue['migration']> }) {
  if (migration.url && /^https?:\/\//i.test(migration.url)) {
    return (
      <span data-testid="issue-migration">
        <SafeLink url={migration.url} title="Migration guide" />
      </span>
    );
  }
  return (
    <span data-testid="issue-migration">
      {migration.required ? 'Migration required' : 'No migration needed'}
    </span>
  );
}

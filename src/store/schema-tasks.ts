/**
 * Migration 11: task updates (issue 18, docs/decisions/0051-task-updates.md).
 * - the `task-update` issue type joins the others in the type check;
 * - `due_at` and `migration`: when an issue becomes due (a task bundle's expiry) and
 *   what moving on needs (`{"required": bool, "url": text|null}`); both nullable and
 *   without a default, so adding them rewrites no row;
 * - `severity_was`: the severity before the latest report, written by the report upsert
 *   from the locked row, so its timeline event can say "severity major → critical";
 * - partial indexes for `dueBefore` and `hasMigration=true`: only issues with a due
 *   date (or a migration) are in them, so they stay as small as those issues are few.
 * The type check is dropped and added again (the old one was an inline column check,
 * named by PostgreSQL); adding it reads the table once, as the first migrations did.
 */
export const TASK_UPDATES_SCHEMA = `
ALTER TABLE issues DROP CONSTRAINT issues_issue_type_check
-- statement
ALTER TABLE issues ADD CONSTRAINT issues_issue_type_check
  CHECK (issue_type IN ('build', 'test', 'release', 'dependency', 'pipeline', 'task-update'))
-- statement
ALTER TABLE issues ADD COLUMN due_at timestamptz, ADD COLUMN migration jsonb,
  ADD COLUMN severity_was text
-- statement
CREATE INDEX IF NOT EXISTS issues_due_at ON issues (due_at) WHERE due_at IS NOT NULL
-- statement
CREATE INDEX IF NOT EXISTS issues_with_migration ON issues (namespace) WHERE migration IS NOT NULL
`;

/**
 * A failure signature key for people. The key is
 * `<issue type>|<class>|<task>|<step>|<dependency>|<line>…` (docs/failure-signatures.md);
 * the dashboard shows its decisive lines as the cause and the task, step and dependency
 * as where it happened. The type and class are shown elsewhere (the class as a label).
 * No DOM: unit-tested.
 */
const FIXED = 5;

export interface SignatureText {
  /** The decisive lines, normalised (`<n>`, `<name>` stand for what varied). */
  lines: string;
  /** "task build-container, step build", "dependency react"; empty when none. */
  where: string;
}

export function describeSignature(key: string): SignatureText {
  const parts = key.split('|');
  if (parts.length <= FIXED) return { lines: key, where: '' };
  const [, , task, step, dependency] = parts;
  const where = [
    task && `task ${task}`,
    step && `step ${step}`,
    dependency && `dependency ${dependency}`,
  ].filter(Boolean);
  // A line may hold a "|" itself: the rest of the key is the lines, joined as they came.
  const lines = parts
    .slice(FIXED)
    .filter((line) => line !== '')
    .join(' | ');
  return { lines: lines || key, where: where.join(', ') };
}

/**
 * `?format=text`: Renovate logs JSON lines (bunyan); this renders each as one readable
 * line — time, level, message, and the error when there is one. Other lines pass as
 * they are.
 */
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

export function renovateLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null || !('msg' in entry)) return line;
  const record = entry as Record<string, unknown>;
  const level =
    typeof record.level === 'number' ? (LEVELS[record.level] ?? String(record.level)) : '';
  const time = typeof record.time === 'string' ? record.time : '';
  const err = record.err as Record<string, unknown> | undefined;
  const error =
    err && typeof err === 'object'
      ? ` (${typeof err.message === 'string' ? err.message : JSON.stringify(err)})`
      : '';
  return [time, level.padEnd(5), `${String(record.msg)}${error}`].filter(Boolean).join(' ');
}

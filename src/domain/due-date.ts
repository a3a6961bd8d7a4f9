/**
 * How far away a due date is, in words shared by the dashboard and the CLI: "due in 5
 * days", "overdue by 2 days". Whole units, rounded down: a day and a half is "1 day".
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface DueDistance {
  overdue: boolean;
  /** "5 days", "1 hour", "less than an hour". */
  amount: string;
}

const units = (n: number, one: string) => `${n} ${n === 1 ? one : `${one}s`}`;

/** Undefined when `dueAt` is not a time. */
export function dueDistance(dueAt: string, now = Date.now()): DueDistance | undefined {
  const due = Date.parse(dueAt);
  if (Number.isNaN(due)) return undefined;
  const overdue = due < now;
  const ms = Math.abs(due - now);
  const amount =
    ms >= DAY
      ? units(Math.floor(ms / DAY), 'day')
      : ms >= HOUR
        ? units(Math.floor(ms / HOUR), 'hour')
        : 'less than an hour';
  return { overdue, amount };
}

/** "due in 5 days", "overdue by 2 days"; undefined when `dueAt` is not a time. */
export function dueText(dueAt: string, now = Date.now()): string | undefined {
  const distance = dueDistance(dueAt, now);
  if (!distance) return undefined;
  return distance.overdue ? `overdue by ${distance.amount}` : `due in ${distance.amount}`;
}

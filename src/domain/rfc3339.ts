/**
 * RFC 3339 date-times as KITE accepts them from payloads: a date, a time and an offset
 * (`Date.parse` alone takes much more), in a year PostgreSQL can store. RFC 3339's
 * grammar allows year 0000, which no calendar PostgreSQL knows has: taken, it would
 * fail the write it rides in (and, written in a group, the group's other reports).
 */
const RFC3339 = /^(\d{4})-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function isStorableTime(text: string): boolean {
  const match = RFC3339.exec(text);
  return match !== null && match[1] !== '0000' && !Number.isNaN(Date.parse(text));
}

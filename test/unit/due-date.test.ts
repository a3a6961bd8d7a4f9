import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dueDistance, dueText } from '../../src/domain/due-date.js';

const NOW = Date.parse('2027-01-10T12:00:00Z');
const at = (hours: number) => new Date(NOW + hours * 3_600_000).toISOString();

test('a due date ahead reads "due in N days", whole days rounded down', () => {
  assert.equal(dueText(at(5 * 24), NOW), 'due in 5 days');
  assert.equal(dueText(at(5 * 24 + 23), NOW), 'due in 5 days');
  assert.equal(dueText(at(24), NOW), 'due in 1 day');
});

test('a due date within a day reads in hours, then "less than an hour"', () => {
  assert.equal(dueText(at(5), NOW), 'due in 5 hours');
  assert.equal(dueText(at(1), NOW), 'due in 1 hour');
  assert.equal(dueText(at(0.5), NOW), 'due in less than an hour');
});

test('a due date passed reads "overdue by N days" and is marked overdue', () => {
  assert.equal(dueText(at(-2 * 24), NOW), 'overdue by 2 days');
  assert.equal(dueText(at(-3), NOW), 'overdue by 3 hours');
  assert.deepEqual(dueDistance(at(-2 * 24), NOW), { overdue: true, amount: '2 days' });
  assert.deepEqual(dueDistance(at(2 * 24), NOW), { overdue: false, amount: '2 days' });
});

test('a due date that is not a time reads as nothing', () => {
  assert.equal(dueText('not a date', NOW), undefined);
});

/**
 * The log viewer's text rules (web/src/logs/log-text.ts): lines split across chunks,
 * step headers, Renovate levels, literal case-insensitive search found incrementally.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LineSplitter,
  levelOf,
  nextMatch,
  noMatches,
  sectionOf,
  splitHits,
  updateMatches,
} from '../../web/src/logs/log-text.js';

describe('the log viewer text', () => {
  it('splits lines across chunk boundaries and drops CR before LF', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push('one\r\ntw');
    splitter.push('o\n\nthr');
    splitter.end();
    assert.deepEqual(lines, ['one', 'two', '', 'thr']);
  });

  it('names a step section only from an exact header line', () => {
    assert.equal(sectionOf('==> task build, step renovate <=='), 'build/renovate');
    assert.equal(sectionOf('echo ==> task build, step renovate <=='), undefined);
  });

  it('reads the level of format=text lines only', () => {
    assert.equal(levelOf('2026-12-03T07:00:02.000Z WARN  npm login'), 'warn');
    assert.equal(levelOf('2026-12-03T07:00:02.000Z ERROR Repository has unknown error'), 'error');
    assert.equal(levelOf('ERROR at the start is not a level'), undefined);
  });

  it('matches literally and case-insensitively, scanning each line once per query', () => {
    const lines = ['a (b)', 'A (B) and a (b)', 'none'];
    let matches = updateMatches(noMatches(), '(B)', lines);
    assert.deepEqual(matches.lines, [0, 1]);
    lines.push('late (b)');
    matches = updateMatches(matches, '(B)', lines);
    assert.deepEqual(matches.lines, [0, 1, 3]);
    assert.equal(updateMatches(matches, '(B)', lines), matches, 'nothing new: same object');
    assert.deepEqual(updateMatches(matches, 'none', lines).lines, [2]);
  });

  it('finds the next and previous match around a line, wrapping around', () => {
    assert.equal(nextMatch([2, 5, 9], 5, 1), 2);
    assert.equal(nextMatch([2, 5, 9], 9, 1), 0);
    assert.equal(nextMatch([2, 5, 9], 5, -1), 0);
    assert.equal(nextMatch([2, 5, 9], 2, -1), 2);
    assert.equal(nextMatch([], 2, 1), -1);
  });

  it('cuts a line around every hit, keeping the original case', () => {
    assert.deepEqual(splitHits('Foo foo x', 'FOO'), [
      { text: 'Foo', hit: true },
      { text: ' ', hit: false },
      { text: 'foo', hit: true },
      { text: ' x', hit: false },
    ]);
  });
});

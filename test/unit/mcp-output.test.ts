/**
 * The MCP answers' shaping, without a server: any answer fits its budget and says what
 * was cut (src/mcp/budget.ts); a log excerpt finds the first error by the Renovate level
 * or by its words, keeps only the lines asked for, and stops reading once it has them
 * (src/mcp/log-excerpt.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fitToBudget } from '../../src/mcp/budget.js';
import { excerptOf, isErrorLine } from '../../src/mcp/log-excerpt.js';

const json = fc.jsonValue({ maxDepth: 4 });

describe('fitToBudget', () => {
  it('answers the exact compact JSON when it fits', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), (value) => {
        const whole = JSON.stringify(value);
        assert.equal(fitToBudget(value, whole.length), whole);
      }),
    );
  });

  it('never answers more characters than the budget, whatever the answer', () => {
    const big = fc.record({
      items: fc.array(json, { maxLength: 80 }),
      text: fc.string({ maxLength: 6000 }),
      nested: fc.dictionary(fc.string(), fc.array(json, { maxLength: 20 })),
    });
    fc.assert(
      fc.property(big, fc.integer({ min: 200, max: 3000 }), (value, budget) => {
        assert.ok(fitToBudget(value, budget).length <= budget);
      }),
    );
  });

  it('keeps the first items of a long list, counts what it cut and says how to get more', () => {
    const issues = Array.from({ length: 100 }, (_, i) => ({ id: i, title: `issue number ${i}` }));
    const text = fitToBudget({ total: 100, issues }, 1000, { more: () => 'ask for fewer' });
    const answer = JSON.parse(text);
    assert.ok(text.length <= 1000);
    assert.deepEqual(answer.issues, issues.slice(0, answer.issues.length));
    assert.equal(answer.truncated.issues, `${answer.issues.length} of 100 shown`);
    assert.equal(answer.more, 'ask for fewer');
    // As many as fit: one more would not.
    const one = JSON.stringify({ ...answer, issues: issues.slice(0, answer.issues.length + 1) });
    assert.ok(one.length > 1000 - 10);
  });

  it('shortens a long string before it cuts any list, saying by how much', () => {
    const answer = JSON.parse(fitToBudget({ description: 'x'.repeat(5000), ids: [1, 2, 3] }, 2000));
    assert.deepEqual(answer.ids, [1, 2, 3]);
    assert.match(answer.description, /^x{1000}… \[4000 more characters\]$/);
  });
});

const stream = (text: string, chunk = 7) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      const bytes = new TextEncoder().encode(text);
      for (let at = 0; at < bytes.length; at += chunk)
        controller.enqueue(bytes.slice(at, at + chunk));
      controller.close();
    },
  });

describe('excerptOf', () => {
  const lines = Array.from({ length: 50 }, (_, i) => `2026-12-03T07:00:00Z INFO  step ${i + 1}`);
  lines[29] = '2026-12-03T07:00:00Z ERROR Repository has unknown error';
  const log = `==> task build, step renovate <==\n${lines.join('\n')}\n`;

  it('reads the lines around the first error: a third before it, the rest after', async () => {
    const found = await excerptOf(stream(log), { mode: 'error', lines: 9, maxLineChars: 200 });
    assert.equal(found.firstError, 31);
    assert.equal(found.from, 28);
    assert.equal(found.lines.length, 9);
    assert.match(found.lines[found.firstError - found.from]!, /ERROR Repository/);
    assert.equal(found.step, 'build/renovate');
    assert.equal(found.complete, false);
  });

  it('answers the last lines when no line is an error, saying it read the whole log', async () => {
    const clean = log.replace('ERROR Repository has unknown error', 'INFO  fine');
    const found = await excerptOf(stream(clean), { mode: 'error', lines: 3, maxLineChars: 200 });
    assert.equal(found.mode, 'tail');
    assert.equal(found.from, 49);
    assert.deepEqual(
      found.lines.map((l) => l.slice(-7)),
      ['step 48', 'step 49', 'step 50'],
    );
    assert.equal(found.complete, true);
  });

  it('cuts a long line, saying by how much', async () => {
    const found = await excerptOf(stream(`${'y'.repeat(500)}\n`), {
      mode: 'tail',
      lines: 5,
      maxLineChars: 100,
    });
    assert.equal(found.lines[0], `${'y'.repeat(100)}… [400 more characters]`);
  });

  it('takes a line with a Renovate level by its level, any other by its words', () => {
    assert.equal(isErrorLine('2026-12-03T07:00:00Z INFO  error budget fine'), false);
    assert.equal(isErrorLine('2026-12-03T07:00:00Z FATAL out of memory'), true);
    assert.equal(isErrorLine('npm ERR! build failed'), true);
    assert.equal(isErrorLine('Error: connect ECONNREFUSED'), true);
    assert.equal(isErrorLine('compiled 3 files, 0 errors'), false);
    assert.equal(isErrorLine('==> task build, step failed <=='), false);
  });
});

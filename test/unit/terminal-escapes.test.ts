import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BUILTIN_WEBHOOKS } from '../../src/domain/builtin-webhooks.js';
import {
  freeTextFields,
  stripTerminalEscapes,
  withoutTerminalEscapes,
} from '../../src/domain/terminal-escapes.js';

const ESC = '\u001b';

describe('terminal escape codes in free text', () => {
  it('removes colour, cursor and hyperlink sequences and keeps the text', () => {
    assert.equal(stripTerminalEscapes(`${ESC}[1;31mERROR${ESC}[0m: failed`), 'ERROR: failed');
    assert.equal(stripTerminalEscapes(`a${ESC}[2Kb${ESC}[1Gc`), 'abc');
    assert.equal(
      stripTerminalEscapes(`${ESC}]8;;https://example.com${ESC}\\link${ESC}]8;;${ESC}\\`),
      'link',
    );
    assert.equal(stripTerminalEscapes('no escapes\n\ttabs'), 'no escapes\n\ttabs');
  });

  it('never leaves a whole escape sequence behind, whatever surrounds it', () => {
    const sgr = fc
      .array(fc.integer({ min: 0, max: 107 }), { maxLength: 4 })
      .map((codes) => `${ESC}[${codes.join(';')}m`);
    const text = fc.string().filter((t) => !t.includes(ESC));
    fc.assert(
      fc.property(fc.array(fc.tuple(text, sgr)), (parts) => {
        const input = parts.map(([t, s]) => t + s).join('');
        assert.equal(stripTerminalEscapes(input), parts.map(([t]) => t).join(''));
      }),
    );
  });

  it("free text is what only feeds a description: never a scope, title or link's field", () => {
    const free = Object.fromEntries(BUILTIN_WEBHOOKS.map((d) => [d.name, freeTextFields(d)]));
    assert.deepEqual(free['pipeline-failure'], ['failureReason']);
    assert.deepEqual(free['mintmaker-custom'], ['logs']);
    assert.deepEqual(free['run-failure'], ['reason']);
    assert.deepEqual(free['pipeline-success'], []);
  });

  it('rewrites only the free-text fields of a payload', () => {
    const payload = {
      pipelineName: `p${ESC}[1m`,
      failureReason: `r${ESC}[1m`,
      logs: [`l${ESC}[0m`, 3],
    };
    assert.deepEqual(withoutTerminalEscapes(payload, ['failureReason', 'logs']), {
      pipelineName: `p${ESC}[1m`,
      failureReason: 'r',
      logs: ['l', 3],
    });
  });
});

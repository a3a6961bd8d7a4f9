/**
 * The CLI's `--match name=value` matchers and durations (docs/cli.md): every name maps
 * to its field, values the domain knows are checked, repeats and empty sets refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from '../../src/cli/commands/silences.js';
import { parseMatchers } from '../../src/domain/silence.js';

describe('--match', () => {
  it('maps each name to its matcher and label:KEY to a label', () => {
    assert.deepEqual(
      parseMatchers([
        'severity=critical',
        'type=build',
        'resourceType=component',
        'resourceName=web=1',
        'label:app=web',
        'label:tier=',
      ]),
      {
        severity: 'critical',
        issueType: 'build',
        resourceType: 'component',
        resourceName: 'web=1',
        labels: { app: 'web', tier: '' },
      },
    );
  });

  it('refuses unknown names, unknown values, repeats and no matcher at all', () => {
    const refused: [string[], RegExp][] = [
      [['colour=red'], /the name must be one of severity, type, issueType/],
      [['__proto__=x'], /the name must be one of/],
      [['severity=urgent'], /must be one of info, minor, major, critical/],
      [['type=deploy'], /must be one of build, test/],
      [['severity=info', 'severity=major'], /severity given twice/],
      [['type=build', 'issueType=test'], /issueType given twice/],
      [['label:app=a', 'label:app=b'], /label app given twice/],
      [['severity'], /expected name=value/],
      [['=x'], /expected name=value/],
      [['label:=x'], /the name must be one of/],
      [[], /name at least one/],
    ];
    for (const [texts, message] of refused) assert.throws(() => parseMatchers(texts), message);
  });
});

describe('--duration', () => {
  it('reads seconds, minutes, hours, days and their sums', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('30m'), 1_800_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
  });

  it('is no duration when empty, zero, signed, fractional or unitless', () => {
    for (const text of ['', '0s', '-1h', '1.5h', '10', 'h', '2026-12-03T00:00:00Z'])
      assert.equal(parseDuration(text), undefined, text);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InputError } from '../../src/domain/errors.js';
import { parseLabelSelector, type LabelRequirement } from '../../src/domain/label-selector.js';

describe('label selectors', () => {
  it('parses every supported operator', () => {
    assert.deepEqual(
      parseLabelSelector('app=web, tier==db,env!=prod,zone in (a, b),x notin (c),team,!legacy'),
      [
        { key: 'app', op: 'eq', value: 'web' },
        { key: 'tier', op: 'eq', value: 'db' },
        { key: 'env', op: 'neq', value: 'prod' },
        { key: 'zone', op: 'in', values: ['a', 'b'] },
        { key: 'x', op: 'notin', values: ['c'] },
        { key: 'team', op: 'exists' },
        { key: 'legacy', op: 'absent' },
      ],
    );
  });

  it('accepts prefixed Kubernetes keys and an empty selector', () => {
    assert.deepEqual(parseLabelSelector('pipelinesascode.tekton.dev/event-type=pull_request'), [
      { key: 'pipelinesascode.tekton.dev/event-type', op: 'eq', value: 'pull_request' },
    ]);
    assert.deepEqual(parseLabelSelector(''), []);
  });

  for (const bad of [
    'a in (b',
    'a=b)',
    '=b',
    'a b=c',
    'a=b=c',
    '-a=b',
    'a in b',
    // An empty set selects by nothing; an empty term is a term that went missing.
    'a notin ()',
    'a in ( )',
    'a=b,,c',
    'a=b,',
    ',a=b',
  ]) {
    it(`rejects "${bad}" with an InputError naming labelSelector`, () => {
      assert.throws(
        () => parseLabelSelector(bad),
        (error: unknown) => error instanceof InputError && /labelSelector/.test(error.message),
      );
    });
  }

  const key = fc.stringMatching(/^[a-z0-9]([a-z0-9./-]{0,20}[a-z0-9])?$/);
  const value = fc.stringMatching(/^[A-Za-z0-9._-]{0,20}$/);
  const requirement: fc.Arbitrary<LabelRequirement> = fc.oneof(
    fc.record({ key, op: fc.constantFrom('eq' as const, 'neq' as const), value }),
    fc.record({
      key,
      op: fc.constantFrom('in' as const, 'notin' as const),
      values: fc.array(
        value.filter((v) => v.length > 0),
        { minLength: 1, maxLength: 4 },
      ),
    }),
    fc.record({ key, op: fc.constantFrom('exists' as const, 'absent' as const) }),
  );
  const format = (r: LabelRequirement): string => {
    switch (r.op) {
      case 'eq':
        return `${r.key}=${r.value}`;
      case 'neq':
        return `${r.key}!=${r.value}`;
      case 'in':
      case 'notin':
        return `${r.key} ${r.op} (${r.values.join(',')})`;
      case 'exists':
        return r.key;
      case 'absent':
        return `!${r.key}`;
    }
  };

  it('parses any well-formed selector back into the requirements it was written from', () => {
    fc.assert(
      fc.property(fc.array(requirement, { maxLength: 6 }), (requirements) => {
        // fast-check builds null-prototype records; compare plain copies.
        const plain = requirements.map((r) => ({ ...r }));
        assert.deepEqual(parseLabelSelector(requirements.map(format).join(',')), plain);
      }),
    );
  });

  it('answers any input with requirements or an InputError, never another failure', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseLabelSelector(text);
        } catch (error) {
          assert.ok(error instanceof InputError, String(error));
        }
      }),
    );
  });
});

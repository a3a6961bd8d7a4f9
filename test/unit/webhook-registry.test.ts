import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_WEBHOOKS } from '../../src/domain/builtin-webhooks.js';
import { parseDefinitions, registerWebhooks } from '../../src/webhooks/webhook-registry.js';

describe('webhook definitions', () => {
  it('every built-in webhook passes the same checks as a file-defined one', () => {
    const registered = registerWebhooks(BUILTIN_WEBHOOKS);
    assert.deepEqual(
      registered.map((w) => w.definition.name),
      [
        'pipeline-failure',
        'pipeline-success',
        'mintmaker-custom',
        'release-failure',
        'release-success',
        'build-failure',
        'build-success',
        'test-failure',
        'test-success',
        'run-failure',
        'run-success',
        'task-update',
        'task-current',
      ],
    );
  });

  const invalid: [string, string, RegExp][] = [
    [
      'an issue type read from a field that is not an enum of issue types',
      '- { name: x, fields: { kind: { type: enum, required: true, values: [build, nonsense] } }, scope: { resourceType: a, resourceName: b }, resolve: { issueType: { field: kind }, message: m } }',
      /must be a required enum/,
    ],
    [
      'an issue type read from an optional field',
      '- { name: x, fields: { kind: { type: enum, values: [build] } }, scope: { resourceType: a, resourceName: b }, resolve: { issueType: { field: kind }, message: m } }',
      /must be a required enum/,
    ],
    [
      'occurredAt declared as a field (it is implicit)',
      '- { name: x, fields: { occurredAt: { type: string } }, scope: { resourceType: a, resourceName: b }, resolve: { message: m } }',
      /implicit/,
    ],
    ['not a list', 'name: x', /expected a list/],
    ['not YAML', '- [unclosed', /not valid YAML/],
    [
      'a bad name',
      '- { name: "Bad Name", fields: {}, scope: { resourceType: a, resourceName: b }, resolve: { message: m } }',
      /invalid/,
    ],
    [
      'both report and resolve',
      '- { name: x, fields: {}, scope: { resourceType: a, resourceName: b }, resolve: { message: m }, report: { issueType: build, severity: { value: major }, title: t, description: d } }',
      /exactly one/,
    ],
    [
      'an undeclared field',
      '- { name: x, fields: {}, scope: { resourceType: a, resourceName: "{{nope}}" }, resolve: { message: m } }',
      /undeclared field "nope"/,
    ],
    [
      'a redeclared implicit field',
      '- { name: x, fields: { namespace: { type: string } }, scope: { resourceType: a, resourceName: b }, resolve: { message: m } }',
      /implicit/,
    ],
    [
      'a free-text severity field',
      '- { name: x, fields: { s: { type: string } }, scope: { resourceType: a, resourceName: b }, report: { issueType: build, severity: { field: s, default: major }, title: t, description: d } }',
      /severity field/,
    ],
    [
      'an unknown issue type',
      '- { name: x, fields: {}, scope: { resourceType: a, resourceName: b }, report: { issueType: deploy, severity: { value: major }, title: t, description: d } }',
      /invalid/,
    ],
  ];
  for (const [what, text, message] of invalid) {
    it(`refuses ${what}`, () => {
      assert.throws(() => registerWebhooks(parseDefinitions('webhooks.yaml', text)), message);
    });
  }

  it('accepts { webhooks: [...] } and a plain list alike', () => {
    const item =
      '{ name: x, fields: { a: { type: string, required: true } }, scope: { resourceType: t, resourceName: "{{a}}" }, resolve: { message: "{{resolved}} for {{a}}" } }';
    assert.equal(parseDefinitions('f', `webhooks: [${item}]`).length, 1);
    assert.equal(parseDefinitions('f', `[${item}]`).length, 1);
  });
});

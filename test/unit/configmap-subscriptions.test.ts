/**
 * What a labelled ConfigMap declares (src/operator/subscriptions/config-map.ts): its
 * entries as specs to PUT with the ConfigMap's source, the entries it cannot use, and a
 * document it cannot read, which is never taken for an empty list; the documented
 * example; the setting that turns the sync off.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import type { KubeObject } from '../../src/operator/controller.js';
import { resolveOperatorConfig } from '../../src/operator/operator-config.js';
import { declaredIn, SUBSCRIPTIONS_LABEL } from '../../src/operator/subscriptions/config-map.js';

const configMap = (data: Record<string, string> | undefined): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { namespace: 'team-a', name: 'alerts' },
    data,
  }) as KubeObject;

describe('a subscriptions ConfigMap', () => {
  it("each entry's spec is its fields without name, with the ConfigMap's source over any the entry gives", () => {
    const declared = declaredIn(
      configMap({
        'subscriptions.yaml': [
          '- name: builds',
          '  source: api',
          '  match: { minSeverity: major }',
          '  receivers:',
          '    - type: email',
          '      to: [a@example.com]',
        ].join('\n'),
      }),
    );
    assert.deepEqual(declared, {
      readable: true,
      subscriptions: [
        {
          name: 'builds',
          spec: {
            match: { minSeverity: 'major' },
            receivers: [{ type: 'email', to: ['a@example.com'] }],
            source: 'configmap/alerts',
          },
        },
      ],
      problems: [],
    });
  });

  it('an empty list declares nothing; an empty, non-list or missing document is unreadable', () => {
    assert.deepEqual(declaredIn(configMap({ 'subscriptions.yaml': '[]' })), {
      readable: true,
      subscriptions: [],
      problems: [],
    });
    for (const text of ['', '# none yet', 'name: builds', '- [unclosed']) {
      assert.equal(declaredIn(configMap({ 'subscriptions.yaml': text })).readable, false, text);
    }
    assert.deepEqual(declaredIn(configMap({ other: '[]' })), {
      readable: false,
      problem: 'no key "subscriptions.yaml" in data',
    });
    assert.equal(declaredIn(configMap(undefined)).readable, false);
  });

  it('an entry that is no mapping, has no DNS-1123 name or repeats a name is skipped, the rest kept', () => {
    const declared = declaredIn(
      configMap({
        'subscriptions.yaml': [
          '- text',
          '- { name: Builds }',
          `- { name: ${'a'.repeat(64)} }`,
          '- { name: ok }',
          '- { name: ok, groupBy: [severity] }',
        ].join('\n'),
      }),
    );
    assert.ok(declared.readable);
    assert.deepEqual(
      declared.subscriptions.map((s) => s.name),
      ['ok'],
    );
    assert.deepEqual(
      declared.problems.map((p) => p.entry),
      ['[0]', '[1]', '[2]', 'ok'],
    );
  });
});

describe("docs/operator.md's example ConfigMap", () => {
  it('is labelled for the operator and declares its two subscriptions without a problem', () => {
    const text = readFileSync(new URL('../../docs/operator.md', import.meta.url), 'utf8');
    const section = text.split('## Subscriptions from a ConfigMap')[1] ?? '';
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const example = parse(yaml) as KubeObject;
    assert.equal(example.metadata.labels?.[SUBSCRIPTIONS_LABEL], 'true');
    const declared = declaredIn(example);
    assert.ok(declared.readable);
    assert.deepEqual(declared.problems, []);
    assert.deepEqual(
      declared.subscriptions.map((s) => [s.name, s.spec.source]),
      [
        ['prod-failures', 'configmap/kite-subscriptions'],
        ['release-mail', 'configmap/kite-subscriptions'],
      ],
    );
  });
});

describe('turning it off', () => {
  const resolve = (env: Record<string, string>, file?: string) =>
    resolveOperatorConfig({ apiUrl: 'http://kite:8080', config: file }, env, () =>
      Promise.resolve(undefined),
    );

  it('is on by default; off with KITE_CONFIGMAP_SUBSCRIPTIONS=false or enabled: false, the variable winning', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kite-cm-subscriptions-'));
    const file = join(dir, 'operator.yaml');
    await writeFile(file, 'controllers: { configmap-subscriptions: { enabled: false } }\n');
    assert.equal((await resolve({})).configMapSubscriptions, true);
    assert.equal(
      (await resolve({ KITE_CONFIGMAP_SUBSCRIPTIONS: 'false' })).configMapSubscriptions,
      false,
    );
    assert.equal((await resolve({}, file)).configMapSubscriptions, false);
    assert.equal(
      (await resolve({ KITE_CONFIGMAP_SUBSCRIPTIONS: 'true' }, file)).configMapSubscriptions,
      true,
    );
    await assert.rejects(resolve({ KITE_CONFIGMAP_SUBSCRIPTIONS: 'no' }), /true or false/);
  });
});

/**
 * The ClusterRoles shipped in deploy/rbac grant exactly what the server checks by default,
 * and the kustomization renders.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { resolveServeConfig } from '../../src/config.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const rulesOf = (file: string): Rule[] =>
  parseAllDocuments(readFileSync(`deploy/rbac/${file}`, 'utf8'))
    .map((doc) => doc.toJS() as { kind: string; rules?: Rule[] })
    .filter((doc) => doc.kind === 'ClusterRole')
    .flatMap((doc) => doc.rules ?? []);

describe('deploy/rbac', () => {
  const config = resolveServeConfig({}, {});
  const issues = { apiGroups: [config.rbacGroup], resources: [config.rbacResource] };

  it('the viewer role grants the read verb, the editor read and write, the reporter the report verb', () => {
    assert.deepEqual(rulesOf('kite-issues-viewer.yaml'), [
      { ...issues, verbs: [config.rbacReadVerb] },
    ]);
    assert.deepEqual(rulesOf('kite-issues-editor.yaml'), [
      { ...issues, verbs: [config.rbacReadVerb, config.rbacWriteVerb] },
    ]);
    assert.deepEqual(rulesOf('kite-issues-reporter.yaml'), [
      { ...issues, verbs: [config.rbacReportVerb] },
    ]);
  });

  it('the server role allows TokenReview, SubjectAccessReview and listing namespaces', () => {
    const rules = rulesOf('kite-server.yaml');
    assert.deepEqual(
      rules.map((r) => `${r.apiGroups.join()}/${r.resources.join()}:${r.verbs.join()}`),
      [
        'authentication.k8s.io/tokenreviews:create',
        'authorization.k8s.io/subjectaccessreviews:create',
        '/namespaces:list',
      ],
    );
  });

  it('renders with kubectl kustomize', () => {
    const rendered = execFileSync('kubectl', ['kustomize', 'deploy/rbac'], { encoding: 'utf8' });
    const kinds = parseAllDocuments(rendered).map(
      (doc) => doc.toJS() as { kind: string; metadata: { name: string } },
    );
    assert.deepEqual(kinds.map((k) => `${k.kind}/${k.metadata.name}`).sort(), [
      'ClusterRole/kite-issues-editor',
      'ClusterRole/kite-issues-reporter',
      'ClusterRole/kite-issues-viewer',
      'ClusterRole/kite-server',
      'ClusterRoleBinding/kite-server',
    ]);
  });
});

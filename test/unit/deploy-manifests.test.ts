/**
 * The manifests in deploy/: the ClusterRoles grant exactly what the server checks by default,
 * and the server kustomization renders into a Deployment that matches them.
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

describe('deploy/server', () => {
  const rendered = () =>
    parseAllDocuments(
      execFileSync('kubectl', ['kustomize', 'deploy/server'], { encoding: 'utf8' }),
    ).map((doc) => doc.toJS());

  it('runs kite serve with Kubernetes auth, the database from a Secret, and the probes the server answers', () => {
    const deployment = rendered().find((doc) => doc.kind === 'Deployment');
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    assert.deepEqual(container.args, ['serve']);
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    assert.equal(env.KITE_AUTH_MODE, 'kubernetes');
    assert.equal(env.KITE_HOST, '0.0.0.0');
    assert.deepEqual(env.KITE_DATABASE_URL, {
      secretKeyRef: { name: 'kite-database', key: 'url' },
    });
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  });

  it("binds the server's ClusterRole to the ServiceAccount the pods run as", () => {
    const docs = rendered();
    const deployment = docs.find((doc) => doc.kind === 'Deployment');
    const binding = docs.find(
      (doc) => doc.kind === 'ClusterRoleBinding' && doc.metadata.name === 'kite-server',
    );
    assert.deepEqual(binding.subjects, [
      {
        kind: 'ServiceAccount',
        name: deployment.spec.template.spec.serviceAccountName,
        namespace: deployment.metadata.namespace,
      },
    ]);
    const service = docs.find((doc) => doc.kind === 'Service');
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
  });
});

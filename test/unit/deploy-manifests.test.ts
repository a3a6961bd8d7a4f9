/**
 * The manifests in deploy/: the ClusterRoles grant exactly what the server checks by default,
 * the server kustomization renders into a Deployment that matches them, the operator
 * kustomization into a Deployment that runs `kite operator` with a config it accepts and
 * the least RBAC its controllers need, and deploy/ composes both without duplicates.
 * MintMaker run logs are read (server) and archived (operator) through Roles in the
 * MintMaker namespace only, read-only; deploy/components/mintmaker-cluster-wide swaps them
 * for ClusterRoles of the same rules.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { resolveServeConfig } from '../../src/config.js';
import { CONTROLLERS } from '../../src/operator/controllers/index.js';
import { parseOperatorFile, resolveOperatorConfig } from '../../src/operator/operator-config.js';
import { configMapSubscriptionsWatch } from '../../src/operator/subscriptions/start.js';

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

  it('the MintMaker Role grants exactly get, list on PipelineRuns, TaskRuns and pods (tokenless reporters) and get on pods/log', () => {
    const role = only(render('deploy/server'), 'Role', 'kite-server-mintmaker-logs');
    assert.deepEqual(grantsOfRole(role), [
      '/pods/log:get',
      '/pods:get',
      '/pods:list',
      'tekton.dev/pipelineruns:get',
      'tekton.dev/pipelineruns:list',
      'tekton.dev/taskruns:get',
      'tekton.dev/taskruns:list',
    ]);
  });

  it("the MintMaker Role lives in the namespace the server reads MintMaker runs from (KITE_MINTMAKER_NAMESPACE), not the server's", () => {
    const docs = render('deploy/server');
    const { account, config } = serverOf(docs);
    const role = only(docs, 'Role', 'kite-server-mintmaker-logs');
    assert.equal(role.metadata.namespace, config.mintmakerNamespace);
    assert.equal(role.metadata.namespace, resolveServeConfig({}, {}).mintmakerNamespace);
    assert.notEqual(role.metadata.namespace, account.namespace);
  });

  it("the MintMaker RoleBinding binds that Role, in its namespace, to the server's ServiceAccount only", () => {
    const docs = render('deploy/server');
    const { account } = serverOf(docs);
    const role = only(docs, 'Role', 'kite-server-mintmaker-logs');
    const binding = only(docs, 'RoleBinding', 'kite-server-mintmaker-logs');
    assert.equal(binding.metadata.namespace, role.metadata.namespace);
    assert.deepEqual(binding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: role.metadata.name,
    });
    assert.deepEqual(binding.subjects, [account]);
    assert.deepEqual(account, { kind: 'ServiceAccount', name: 'kite-server', namespace: 'kite' });
  });
});

type Doc = any;

const renders = new Map<string, Doc[]>();
/** `kubectl kustomize <dir>` parsed, once per directory. */
const render = (dir: string): Doc[] => {
  let docs = renders.get(dir);
  if (!docs) {
    const text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
    docs = parseAllDocuments(text).map((doc) => doc.toJS());
    renders.set(dir, docs);
  }
  return docs;
};
const idOf = (doc: Doc) => `${doc.kind}/${doc.metadata.namespace ?? ''}/${doc.metadata.name}`;
const only = (docs: Doc[], kind: string, name?: string): Doc => {
  const found = docs.filter(
    (d) => d.kind === kind && (name === undefined || d.metadata.name === name),
  );
  assert.equal(found.length, 1, `exactly one ${kind}${name ? ` ${name}` : ''}`);
  return found[0];
};

/** A role's rules as `group/resource:verb` (sorted), refusing names, URLs and wildcards. */
const grantsOfRole = (role: Doc): string[] => {
  const grants: string[] = [];
  for (const rule of role.rules ?? []) {
    assert.equal(rule.resourceNames, undefined, `${idOf(role)}: no resourceNames`);
    assert.equal(rule.nonResourceURLs, undefined, `${idOf(role)}: no nonResourceURLs`);
    for (const group of rule.apiGroups)
      for (const resource of rule.resources)
        for (const verb of rule.verbs) grants.push(`${group}/${resource}:${verb}`);
  }
  for (const grant of grants) assert.ok(!grant.includes('*'), `no wildcards: ${grant}`);
  return grants.sort();
};

const READ_VERBS = ['get', 'list', 'watch'];

/**
 * What every ServiceAccount in the render may do, through the bindings the render holds:
 * `<account> <scope> group/resource:verb`, the scope a namespace or `*` (cluster-wide),
 * `[names]` appended when the rule is limited to resource names.
 */
const serviceAccountGrants = (docs: Doc[]): string[] => {
  const grants: string[] = [];
  for (const binding of docs.filter(
    (d) => d.kind === 'RoleBinding' || d.kind === 'ClusterRoleBinding',
  )) {
    const scope = binding.kind === 'RoleBinding' ? binding.metadata.namespace : '*';
    const role = docs.find(
      (d) =>
        d.kind === binding.roleRef.kind &&
        d.metadata.name === binding.roleRef.name &&
        (d.kind === 'ClusterRole' || d.metadata.namespace === binding.metadata.namespace),
    );
    assert.ok(role, `${idOf(binding)} refers to a role in the render`);
    for (const subject of binding.subjects.filter((s: any) => s.kind === 'ServiceAccount'))
      for (const rule of role.rules ?? [])
        for (const group of rule.apiGroups)
          for (const resource of rule.resources)
            for (const verb of rule.verbs)
              grants.push(
                `${subject.namespace}/${subject.name} ${scope} ${group}/${resource}:${verb}${
                  rule.resourceNames ? ` [${rule.resourceNames.join()}]` : ''
                }`,
              );
  }
  return [...new Set(grants)].sort();
};

/** The grants of serviceAccountGrants whose verb is not a read. */
const writesOf = (docs: Doc[]): string[] =>
  serviceAccountGrants(docs).filter((grant) => {
    const verb = /:(\S+)/.exec(grant)?.[1] ?? '';
    return !READ_VERBS.includes(verb);
  });

/** The server's Deployment: its ServiceAccount (name, namespace) and the config it resolves. */
const serverOf = (docs: Doc[]) => {
  const deployment = only(docs, 'Deployment', 'kite-server');
  const container = deployment.spec.template.spec.containers[0];
  const env = Object.fromEntries(
    (container.env ?? [])
      .filter((e: any) => typeof e.value === 'string')
      .map((e: any) => [e.name, e.value]),
  );
  return {
    account: {
      kind: 'ServiceAccount',
      name: deployment.spec.template.spec.serviceAccountName as string,
      namespace: deployment.metadata.namespace as string,
    },
    config: resolveServeConfig({}, env),
  };
};

/** The operator's Deployment, its container and its env (values; valueFrom as given). */
const operatorOf = (docs: Doc[]) => {
  const deployment = only(docs, 'Deployment', 'kite-operator');
  const pod = deployment.spec.template.spec;
  assert.equal(pod.containers.length, 1);
  const container = pod.containers[0];
  const env: Record<string, any> = Object.fromEntries(
    (container.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]),
  );
  return { deployment, pod, container, env, namespace: deployment.metadata.namespace as string };
};

/** The config file the Pod reads: the ConfigMap key mounted at KITE_OPERATOR_CONFIG. */
const configFileOf = (docs: Doc[]) => {
  const { pod, container, env } = operatorOf(docs);
  const path = env.KITE_OPERATOR_CONFIG;
  assert.equal(typeof path, 'string', 'KITE_OPERATOR_CONFIG is set to a path');
  const mount = (container.volumeMounts ?? []).find((m: any) =>
    path.startsWith(`${m.mountPath.replace(/\/$/, '')}/`),
  );
  assert.ok(mount, `a volume is mounted where ${path} lies`);
  const volume = pod.volumes.find((v: any) => v.name === mount.name);
  assert.ok(volume?.configMap, `the volume ${mount.name} is a ConfigMap`);
  const key = path.slice(mount.mountPath.replace(/\/$/, '').length + 1);
  const configMap = only(docs, 'ConfigMap', volume.configMap.name);
  assert.equal(configMap.metadata.namespace, operatorOf(docs).namespace);
  const text = configMap.data?.[key];
  assert.equal(
    typeof text,
    'string',
    `the ConfigMap ${configMap.metadata.name} has the key ${key}`,
  );
  return { path, text: text as string };
};

/** What `kite operator` resolves in the Pod: its env, POD_NAMESPACE, the mounted config. */
const resolvedOperatorConfig = async (docs: Doc[]) => {
  const { env, namespace } = operatorOf(docs);
  const { text } = configFileOf(docs);
  const dir = mkdtempSync(join(tmpdir(), 'kite-operator-config-'));
  try {
    const file = join(dir, 'operator.yaml');
    writeFileSync(file, text);
    const plain = Object.fromEntries(
      Object.entries(env).filter(([, value]) => typeof value === 'string'),
    );
    assert.deepEqual(env.POD_NAMESPACE, { fieldRef: { fieldPath: 'metadata.namespace' } });
    return await resolveOperatorConfig(
      {},
      { ...plain, POD_NAMESPACE: namespace, KITE_OPERATOR_CONFIG: file },
      () => Promise.resolve(undefined),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** A named or numbered container port, as a number. */
const portNumber = (container: any, port: number | string): number => {
  if (typeof port === 'number') return port;
  const named = (container.ports ?? []).find((p: any) => p.name === port);
  assert.ok(named, `the container has a port named ${port}`);
  return named.containerPort;
};

describe('deploy/operator', () => {
  const docs = () => render('deploy/operator');

  it('the Deployment runs `kite operator`', () => {
    assert.deepEqual(operatorOf(docs()).container.args, ['operator']);
  });

  it('the probes hit /healthz and /readyz on the port the operator listens on, named metrics', async () => {
    const { container } = operatorOf(docs());
    const config = await resolvedOperatorConfig(docs());
    const metrics = (container.ports ?? []).find((p: any) => p.name === 'metrics');
    assert.equal(metrics?.containerPort, config.port);
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.equal(portNumber(container, container.livenessProbe.httpGet.port), config.port);
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(portNumber(container, container.readinessProbe.httpGet.port), config.port);
    assert.ok(['0.0.0.0', '::'].includes(config.host), 'the probes listen on every address');
  });

  it('the Pod runs non-root, read-only, without capabilities, with seccomp RuntimeDefault and bounded resources', () => {
    const { pod, container } = operatorOf(docs());
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
    assert.equal(container.securityContext.capabilities.add, undefined);
    assert.ok(container.resources.requests.cpu && container.resources.requests.memory);
    assert.ok(container.resources.limits.memory);
  });

  it('runs two replicas with leader election, the Lease in the Pod namespace from the downward API', async () => {
    const { deployment, env, namespace } = operatorOf(docs());
    assert.ok(deployment.spec.replicas >= 2);
    assert.deepEqual(env.POD_NAMESPACE, { fieldRef: { fieldPath: 'metadata.namespace' } });
    const config = await resolvedOperatorConfig(docs());
    assert.equal(config.leaderElection, true);
    assert.equal(config.leaseNamespace, namespace);
  });

  it('the config file in the ConfigMap parses and validates with parseOperatorFile', () => {
    const { path, text } = configFileOf(docs());
    const file = parseOperatorFile(path, text);
    assert.ok(file.clusterName, 'clusterName is set');
    assert.match(file.logsUrl ?? '', /^https:\/\/.+\{namespace\}.*\{name\}/);
    assert.ok(file.mintmakerNamespace, 'mintmakerNamespace is set');
    assert.ok(file.severity?.length, 'severity rules are spelled out');
  });

  it('every controller the config names exists in CONTROLLERS', () => {
    const { path, text } = configFileOf(docs());
    const named = Object.keys(parseOperatorFile(path, text).controllers ?? {});
    assert.ok(named.length > 0, 'the config lists its controllers');
    const known = CONTROLLERS.map((c) => c.name);
    for (const name of named) assert.ok(known.includes(name), `unknown controller ${name}`);
  });

  it('the ClusterRole grants only get, list, watch on exactly the kinds the controllers and ConfigMap subscriptions watch', () => {
    const role = only(docs(), 'ClusterRole', 'kite-operator');
    const granted = new Set<string>();
    for (const rule of role.rules) {
      assert.equal(rule.resourceNames, undefined);
      assert.equal(rule.nonResourceURLs, undefined);
      for (const value of [...rule.apiGroups, ...rule.resources, ...rule.verbs]) {
        assert.ok(!value.includes('*'), `no wildcards: ${value}`);
      }
      assert.deepEqual([...rule.verbs].sort(), ['get', 'list', 'watch']);
      for (const group of rule.apiGroups)
        for (const resource of rule.resources) granted.add(`${group}/${resource}`);
    }
    const watched = new Set(
      [...CONTROLLERS, configMapSubscriptionsWatch]
        .flatMap((c) => [c.watches, ...(c.details ?? [])])
        .map((kind) => `${kind.group}/${kind.plural}`),
    );
    assert.deepEqual([...granted].sort(), [...watched].sort());
    assert.deepEqual([...granted].sort(), [
      '/configmaps',
      'appstudio.redhat.com/releaseplans',
      'appstudio.redhat.com/releases',
      'tekton.dev/pipelineruns',
      'tekton.dev/taskruns',
    ]);
  });

  it("the Lease Role is namespace-scoped in the operator's namespace and limited to its Lease", async () => {
    const d = docs();
    const { namespace } = operatorOf(d);
    const config = await resolvedOperatorConfig(d);
    const role = only(d, 'Role', 'kite-operator-leader-election');
    assert.equal(role.metadata.namespace, namespace);
    assert.equal(role.metadata.namespace, config.leaseNamespace);
    assert.ok(
      !d.some(
        (doc) =>
          doc.kind === 'ClusterRole' &&
          doc.rules?.some((r: any) => r.resources?.includes('leases')),
      ),
      'no ClusterRole grants leases',
    );
    const verbs = new Map<string, string[] | undefined>();
    for (const rule of role.rules) {
      assert.deepEqual(rule.apiGroups, ['coordination.k8s.io']);
      assert.deepEqual(rule.resources, ['leases']);
      for (const verb of rule.verbs) verbs.set(verb, rule.resourceNames);
    }
    // create cannot be limited by name; everything else is.
    assert.deepEqual([...verbs.keys()].sort(), ['create', 'get', 'update']);
    assert.equal(verbs.get('create'), undefined);
    assert.deepEqual(verbs.get('get'), [config.leaseName]);
    assert.deepEqual(verbs.get('update'), [config.leaseName]);
  });

  it("the task bundles Role grants get on one named ConfigMap in the operator's namespace, bound to its account", () => {
    const d = docs();
    const { pod, namespace } = operatorOf(d);
    const role = only(d, 'Role', 'kite-operator-task-bundles');
    assert.equal(role.metadata.namespace, namespace);
    assert.deepEqual(role.rules, [
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['kite-task-bundles'],
        verbs: ['get'],
      },
    ]);
    const binding = only(d, 'RoleBinding', 'kite-operator-task-bundles');
    assert.equal(binding.metadata.namespace, namespace);
    assert.deepEqual(binding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'kite-operator-task-bundles',
    });
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: pod.serviceAccountName, namespace },
    ]);
  });

  it('the MintMaker Role grants exactly get on pods/log (not the pods themselves)', () => {
    const role = only(docs(), 'Role', 'kite-operator-mintmaker-logs');
    assert.deepEqual(grantsOfRole(role), ['/pods/log:get']);
  });

  it("the MintMaker Role lives in the config's mintmakerNamespace, as parsed and as resolved", async () => {
    const d = docs();
    const { path, text } = configFileOf(d);
    const role = only(d, 'Role', 'kite-operator-mintmaker-logs');
    assert.equal(role.metadata.namespace, parseOperatorFile(path, text).mintmakerNamespace);
    assert.equal(role.metadata.namespace, (await resolvedOperatorConfig(d)).mintmakerNamespace);
    assert.notEqual(role.metadata.namespace, operatorOf(d).namespace);
  });

  it('the watch, Lease, reporter and MintMaker bindings target the ServiceAccount the pods run as', () => {
    const d = docs();
    const { pod, namespace } = operatorOf(d);
    const subject = [{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace }];
    only(d, 'ServiceAccount', pod.serviceAccountName);
    const watch = only(d, 'ClusterRoleBinding', 'kite-operator');
    assert.deepEqual(watch.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'kite-operator',
    });
    assert.deepEqual(watch.subjects, subject);
    const lease = only(d, 'RoleBinding', 'kite-operator-leader-election');
    assert.equal(lease.metadata.namespace, namespace);
    assert.deepEqual(lease.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'kite-operator-leader-election',
    });
    assert.deepEqual(lease.subjects, subject);
    const reporter = only(d, 'ClusterRoleBinding', 'kite-operator-reporter');
    assert.deepEqual(reporter.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'kite-issues-reporter',
    });
    assert.deepEqual(reporter.subjects, subject);
    const mintmaker = only(d, 'RoleBinding', 'kite-operator-mintmaker-logs');
    assert.equal(
      mintmaker.metadata.namespace,
      only(d, 'Role', 'kite-operator-mintmaker-logs').metadata.namespace,
    );
    assert.deepEqual(mintmaker.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'kite-operator-mintmaker-logs',
    });
    assert.deepEqual(mintmaker.subjects, subject);
  });
});

describe('deploy (server and operator together)', () => {
  const docs = () => render('deploy');

  it('renders every resource of deploy/server and deploy/operator, none twice', () => {
    const ids = docs().map(idOf);
    const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
    assert.deepEqual(twice, [], 'no duplicate (kind, namespace, name)');
    const expected = [...render('deploy/server'), ...render('deploy/operator')].map(idOf);
    assert.deepEqual([...ids].sort(), [...new Set(expected)].sort());
  });

  it('the operator runs in the namespace the server creates, from the same image', () => {
    const d = docs();
    const server = only(d, 'Deployment', 'kite-server');
    const { container, namespace } = operatorOf(d);
    assert.equal(namespace, server.metadata.namespace);
    only(d, 'Namespace', namespace);
    assert.equal(container.image, server.spec.template.spec.containers[0].image);
  });

  it("KITE_API_URL points at the server Service's name, namespace and port", async () => {
    const d = docs();
    const { env, namespace } = operatorOf(d);
    const config = await resolvedOperatorConfig(d);
    assert.equal(config.apiUrl, env.KITE_API_URL);
    const url = new URL(config.apiUrl);
    assert.equal(url.protocol, 'http:');
    const [name, serviceNamespace = namespace, ...rest] = url.hostname.split('.');
    assert.ok(['', 'svc', 'svc.cluster.local'].includes(rest.join('.')), url.hostname);
    const service = only(d, 'Service', name);
    assert.equal(service.metadata.namespace, serviceNamespace);
    const port = Number(url.port || 80);
    assert.ok(
      service.spec.ports.some((p: any) => p.port === port),
      `the Service ${name} serves port ${port}`,
    );
    assert.deepEqual(
      service.spec.selector,
      only(d, 'Deployment', 'kite-server').spec.selector.matchLabels,
    );
  });

  it("the reporter binding grants the operator's ServiceAccount the verb the server checks on issues", async () => {
    const d = docs();
    const server = resolveServeConfig({}, {});
    const { pod, namespace } = operatorOf(d);
    const binding = only(d, 'ClusterRoleBinding', 'kite-operator-reporter');
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: pod.serviceAccountName, namespace },
    ]);
    const role = only(d, 'ClusterRole', binding.roleRef.name);
    assert.ok(
      role.rules.some(
        (r: Rule) =>
          r.apiGroups.includes(server.rbacGroup) &&
          r.resources.includes(server.rbacResource) &&
          r.verbs.includes(server.rbacReportVerb),
      ),
    );
    assert.equal(
      (await resolvedOperatorConfig(d)).tokenFile,
      undefined,
      'reports with the pod token',
    );
  });

  it("the subscriptions binding grants the operator's ServiceAccount, cluster-wide, the read and manage verbs the server checks", () => {
    const d = docs();
    const server = resolveServeConfig({}, {});
    const { pod, namespace } = operatorOf(d);
    const binding = only(d, 'ClusterRoleBinding', 'kite-operator-subscriptions');
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: pod.serviceAccountName, namespace },
    ]);
    const grants = serviceAccountGrants(d);
    for (const verb of [server.rbacReadVerb, server.rbacManageVerb]) {
      const grant = `${namespace}/${pod.serviceAccountName} * ${server.rbacGroup}/${server.rbacResource}:${verb}`;
      assert.ok(grants.includes(grant), grant);
    }
  });

  it('every binding refers to a role and ServiceAccounts the render contains', () => {
    const d = docs();
    const ids = new Set(d.map(idOf));
    for (const binding of d.filter((doc) => doc.kind.endsWith('Binding'))) {
      const ns = binding.roleRef.kind === 'Role' ? binding.metadata.namespace : '';
      assert.ok(ids.has(`${binding.roleRef.kind}/${ns}/${binding.roleRef.name}`), idOf(binding));
      for (const subject of binding.subjects.filter((s: any) => s.kind === 'ServiceAccount')) {
        assert.ok(ids.has(`ServiceAccount/${subject.namespace}/${subject.name}`), idOf(binding));
      }
    }
  });

  it('the server reads the database URL from the Secret kite-database, key url', () => {
    const server = only(docs(), 'Deployment', 'kite-server');
    const env = server.spec.template.spec.containers[0].env;
    assert.deepEqual(
      env.find((e: any) => e.name === 'KITE_DATABASE_URL'),
      {
        name: 'KITE_DATABASE_URL',
        valueFrom: { secretKeyRef: { name: 'kite-database', key: 'url' } },
      },
    );
  });

  it('the MintMaker namespace of both Roles is the default of KITE_MINTMAKER_NAMESPACE and of the operator config', async () => {
    const d = docs();
    const expected = resolveServeConfig({}, {}).mintmakerNamespace;
    assert.equal(serverOf(d).config.mintmakerNamespace, expected);
    const { path, text } = configFileOf(d);
    assert.equal(parseOperatorFile(path, text).mintmakerNamespace, expected);
    assert.equal((await resolvedOperatorConfig(d)).mintmakerNamespace, expected);
    for (const name of ['kite-server-mintmaker-logs', 'kite-operator-mintmaker-logs']) {
      assert.equal(only(d, 'Role', name).metadata.namespace, expected, `Role ${name}`);
      assert.equal(
        only(d, 'RoleBinding', name).metadata.namespace,
        expected,
        `RoleBinding ${name}`,
      );
    }
  });

  it('pods and pod logs are granted only by the Roles in the MintMaker namespace, never cluster-wide', () => {
    const d = docs();
    const namespace = resolveServeConfig({}, {}).mintmakerNamespace;
    const podRoles = d
      .filter((doc) => doc.kind === 'Role' || doc.kind === 'ClusterRole')
      .filter((doc) =>
        (doc.rules ?? []).some(
          (rule: Rule) =>
            rule.apiGroups.includes('') &&
            rule.resources.some((r) => r === '*' || r === 'pods' || r.startsWith('pods/')),
        ),
      )
      .map(idOf);
    assert.deepEqual(podRoles.sort(), [
      `Role/${namespace}/kite-operator-mintmaker-logs`,
      `Role/${namespace}/kite-server-mintmaker-logs`,
    ]);
  });

  it('no ServiceAccount may write anything but reviews, its Lease, issue reports and (operator) subscriptions', () => {
    const writes = writesOf(docs());
    assert.deepEqual(writes, [
      'kite/kite-operator * kite.konflux-ci.dev/issues:create',
      'kite/kite-operator * kite.konflux-ci.dev/issues:update',
      'kite/kite-operator kite coordination.k8s.io/leases:create',
      'kite/kite-operator kite coordination.k8s.io/leases:update [kite-operator]',
      'kite/kite-server * authentication.k8s.io/tokenreviews:create',
      'kite/kite-server * authorization.k8s.io/subjectaccessreviews:create',
    ]);
  });

  it('in the MintMaker namespace the server and the operator get exactly the log and reporter-pod reads, nothing else', () => {
    const namespace = resolveServeConfig({}, {}).mintmakerNamespace;
    const there = serviceAccountGrants(docs())
      .filter((grant) => grant.split(' ')[1] === namespace)
      .map((grant) => grant.replace(` ${namespace} `, ' '));
    assert.deepEqual(there, [
      'kite/kite-operator /pods/log:get',
      'kite/kite-server /pods/log:get',
      'kite/kite-server /pods:get',
      'kite/kite-server /pods:list',
      'kite/kite-server tekton.dev/pipelineruns:get',
      'kite/kite-server tekton.dev/pipelineruns:list',
      'kite/kite-server tekton.dev/taskruns:get',
      'kite/kite-server tekton.dev/taskruns:list',
    ]);
  });
});

describe('deploy/components/mintmaker-cluster-wide', () => {
  /** deploy/ with the component, rendered from an overlay in a temporary directory. */
  let rendered: Doc[] | undefined;
  const withComponent = (): Doc[] => {
    if (rendered) return rendered;
    const dir = mkdtempSync(join(tmpdir(), 'kite-overlay-'));
    try {
      const to = (path: string) => relative(dir, resolve(path));
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        [
          'apiVersion: kustomize.config.k8s.io/v1beta1',
          'kind: Kustomization',
          'resources:',
          `  - ${to('deploy')}`,
          'components:',
          `  - ${to('deploy/components/mintmaker-cluster-wide')}`,
          '',
        ].join('\n'),
      );
      rendered = parseAllDocuments(
        execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }),
      ).map((doc) => doc.toJS());
      return rendered;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('replaces the MintMaker Roles with ClusterRoles of the same rules, bound to the same ServiceAccounts', () => {
    const base = render('deploy');
    const d = withComponent();
    for (const name of ['kite-server-mintmaker-logs', 'kite-operator-mintmaker-logs']) {
      assert.ok(!d.some((doc) => doc.kind === 'Role' && doc.metadata.name === name), name);
      assert.ok(!d.some((doc) => doc.kind === 'RoleBinding' && doc.metadata.name === name), name);
      assert.deepEqual(
        grantsOfRole(only(d, 'ClusterRole', name)),
        grantsOfRole(only(base, 'Role', name)),
      );
      const binding = only(d, 'ClusterRoleBinding', name);
      assert.deepEqual(binding.roleRef, {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name,
      });
      assert.deepEqual(binding.subjects, only(base, 'RoleBinding', name).subjects);
    }
  });

  it('swaps only the MintMaker Roles and RoleBindings, and renders no resource twice', () => {
    const ids = withComponent().map(idOf);
    assert.deepEqual(
      ids.filter((id, i) => ids.indexOf(id) !== i),
      [],
    );
    const swapped = ['kite-server-mintmaker-logs', 'kite-operator-mintmaker-logs'];
    const base = render('deploy').map(idOf);
    const expected = [
      ...base.filter(
        (id) => !swapped.some((name) => id.endsWith(`/${name}`) && id.startsWith('Role')),
      ),
      ...swapped.flatMap((name) => [`ClusterRole//${name}`, `ClusterRoleBinding//${name}`]),
    ];
    assert.deepEqual([...ids].sort(), expected.sort());
  });

  it('adds no write verb', () => {
    assert.deepEqual(writesOf(withComponent()), writesOf(render('deploy')));
  });
});

describe('deploy/postgres', () => {
  const rendered = () =>
    parseAllDocuments(
      execFileSync('kubectl', ['kustomize', 'deploy/postgres'], { encoding: 'utf8' }),
    ).map((doc) => doc.toJS() as { kind: string; metadata: { name: string }; spec: any });

  it('renders a CloudNativePG Cluster with a streaming replica and a pooler for each service', () => {
    const objects = rendered();
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'Cluster/kite-db',
      'Pooler/kite-db-pooler-ro',
      'Pooler/kite-db-pooler-rw',
    ]);
    const cluster = objects.find((o) => o.kind === 'Cluster');
    assert.ok(cluster && cluster.spec.instances >= 2, 'a primary and at least one replica');
    const poolers = objects.filter((o) => o.kind === 'Pooler');
    assert.deepEqual(poolers.map((p) => p.spec.type).sort(), ['ro', 'rw']);
    for (const pooler of poolers) {
      assert.equal(pooler.spec.cluster.name, 'kite-db');
      assert.equal(pooler.spec.pgbouncer.poolMode, 'transaction');
      // KITE names its prepared statements: PgBouncer must carry them across connections.
      assert.ok(Number(pooler.spec.pgbouncer.parameters.max_prepared_statements) > 0);
    }
  });
});

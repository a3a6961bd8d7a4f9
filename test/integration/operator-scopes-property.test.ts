/**
 * Property: a success resolves only failures of its own scope. Random interleavings of
 * runs of many scopes — push and pull request builds of two components in two tenants,
 * integration test scenarios of push and pull request events, Releases of a ReleasePlan
 * with the same name in both tenants, the managed release pipeline runs in the managed
 * namespace, and cancelled runs of every kind — go through the real controllers'
 * observe(), the operator's per-scope index and request builder, and the real server's
 * webhooks and store. Afterwards the active issues are exactly the things whose latest
 * run failed: each issue names (by a marker in its text) exactly the failing things it
 * is about, and integration test issues name exactly their failing scenarios.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { KubeObject, Observation } from '../../src/operator/controller.js';
import { pipelineRunController } from '../../src/operator/controllers/pipelinerun.js';
import { releaseController } from '../../src/operator/controllers/release.js';
import { DEFAULT_SEVERITY_RULES } from '../../src/operator/operator-config.js';
import { requestOf } from '../../src/operator/requests.js';
import { ScopeIndex } from '../../src/operator/scope-index.js';
import { fixtureContext } from '../support/fixtures.js';
import { client, startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.stop());

type Kind = 'push-build' | 'pr-build' | 'test' | 'release' | 'managed';
interface Thing {
  kind: Kind;
  tenant: 'a' | 'b';
  component: 'api' | 'web';
  pr: 1 | 2;
  event: 'push' | 'pull_request';
  scenario: 'ec' | 'e2e';
}
interface Step {
  thing: Thing;
  outcome: 'failure' | 'success' | 'cancelled';
}

const thing: fc.Arbitrary<Thing> = fc.record({
  kind: fc.constantFrom<Kind>('push-build', 'pr-build', 'test', 'release', 'managed'),
  tenant: fc.constantFrom<'a' | 'b'>('a', 'b'),
  component: fc.constantFrom<'api' | 'web'>('api', 'web'),
  pr: fc.constantFrom<1 | 2>(1, 2),
  event: fc.constantFrom<'push' | 'pull_request'>('push', 'pull_request'),
  scenario: fc.constantFrom<'ec' | 'e2e'>('ec', 'e2e'),
});
const step: fc.Arbitrary<Step> = fc
  .record({
    thing,
    outcome: fc.constantFrom<Step['outcome']>(
      'failure',
      'failure',
      'success',
      'success',
      'cancelled',
    ),
  })
  // A Release is not cancelled the way a PipelineRun is: it failed or it succeeded.
  .map((s): Step =>
    s.thing.kind === 'release' && s.outcome === 'cancelled' ? { ...s, outcome: 'failure' } : s,
  );

/** The thing a run is about (its identity for the model), and the issue it belongs to. */
function identity(t: Thing): { id: string; issue: string } | undefined {
  switch (t.kind) {
    case 'push-build':
      return { id: `${t.tenant}/${t.component}/push`, issue: `${t.tenant}/${t.component}/push` };
    case 'pr-build':
      return {
        id: `${t.tenant}/${t.component}/pr${t.pr}`,
        issue: `${t.tenant}/${t.component}/pr${t.pr}`,
      };
    case 'test': {
      const event = t.event === 'push' ? 'push' : `pr${t.pr}`;
      const issue = `${t.tenant}/${t.component}/test/${event}`;
      return { id: `${issue}/${t.scenario}`, issue };
    }
    case 'release':
      return { id: `${t.tenant}/release`, issue: `${t.tenant}/release` };
    case 'managed':
      return undefined; // the managed namespace's run is its Release's: never reported
  }
}

const at = (minute: number) =>
  new Date(Date.UTC(2026, 10, 20, 8, 0) + minute * 60_000).toISOString();

/** The Kubernetes objects of one run, shaped as Konflux makes them. */
function objectsOf(s: Step, n: number, ns: (tenant: string) => string): KubeObject[] {
  const t = s.thing;
  const marker = `[[${identity(t)?.id ?? 'managed'}]]`;
  const name = `run-${n}`;
  const time = at(n);
  const condition =
    s.outcome === 'success'
      ? { type: 'Succeeded', status: 'True', reason: 'Succeeded', lastTransitionTime: time }
      : {
          type: 'Succeeded',
          status: 'False',
          reason: s.outcome === 'cancelled' ? 'Cancelled' : 'Failed',
          message: `Tasks Completed: 2 (Failed: 1, Cancelled 0) ${marker}`,
          lastTransitionTime: time,
        };
  if (t.kind === 'release') {
    const failed = s.outcome !== 'success';
    return [
      {
        apiVersion: 'appstudio.redhat.com/v1alpha1',
        kind: 'Release',
        metadata: {
          name,
          namespace: ns(t.tenant),
          uid: `uid-${n}`,
          labels: {
            'release.appstudio.openshift.io/releasePlan': 'shop-prod',
            'release.appstudio.openshift.io/snapshot': `shop-${n}`,
          },
        },
        spec: { releasePlan: 'shop-prod', snapshot: `shop-${n}` },
        status: {
          completionTime: time,
          conditions: [
            failed
              ? {
                  type: 'ManagedPipelineProcessed',
                  status: 'False',
                  reason: 'Failed',
                  message: marker,
                }
              : { type: 'ManagedPipelineProcessed', status: 'True', reason: 'Succeeded' },
            {
              type: 'Released',
              status: failed ? 'False' : 'True',
              reason: failed ? 'Failed' : 'Succeeded',
              lastTransitionTime: time,
            },
          ],
        },
      },
    ];
  }
  const labels: Record<string, string> = { 'appstudio.openshift.io/application': 'shop' };
  let namespace = ns(t.tenant);
  if (t.kind === 'managed') {
    namespace = ns('managed');
    Object.assign(labels, {
      'pipelines.appstudio.openshift.io/type': 'managed',
      'release.appstudio.openshift.io/name': `release-of-${n}`,
      'release.appstudio.openshift.io/namespace': ns(t.tenant),
    });
  } else {
    labels['appstudio.openshift.io/component'] = t.component;
    if (t.kind === 'test') {
      Object.assign(labels, {
        'pipelines.appstudio.openshift.io/type': 'test',
        'test.appstudio.openshift.io/scenario': t.scenario,
        'pac.test.appstudio.openshift.io/event-type': t.event,
        ...(t.event === 'pull_request'
          ? { 'pac.test.appstudio.openshift.io/pull-request': String(t.pr) }
          : {}),
      });
    } else {
      labels['pipelines.appstudio.openshift.io/type'] = 'build';
      const pr = t.kind === 'pr-build';
      labels['pipelinesascode.tekton.dev/event-type'] = pr ? 'pull_request' : 'push';
      if (pr) labels['pipelinesascode.tekton.dev/pull-request'] = String(t.pr);
    }
  }
  const run: KubeObject = {
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: { name, namespace, uid: `uid-${n}`, labels },
    spec: { pipelineRef: { name: 'docker-build' } },
    status: {
      startTime: at(n - 1),
      completionTime: time,
      conditions: [condition],
      childReferences: [{ apiVersion: 'tekton.dev/v1', kind: 'TaskRun', name: `${name}-build` }],
    },
  };
  const taskRun: KubeObject = {
    apiVersion: 'tekton.dev/v1',
    kind: 'TaskRun',
    metadata: {
      name: `${name}-build`,
      namespace,
      labels: { 'tekton.dev/pipelineRun': name, 'tekton.dev/pipelineTask': 'build' },
    },
    status: {
      conditions: [
        s.outcome === 'success'
          ? { type: 'Succeeded', status: 'True', reason: 'Succeeded' }
          : s.outcome === 'cancelled'
            ? { type: 'Succeeded', status: 'False', reason: 'TaskRunCancelled' }
            : { type: 'Succeeded', status: 'False', reason: 'Failed', message: marker },
      ],
    },
  };
  return [run, taskRun];
}

describe('operator scopes', () => {
  it('a success resolves only failures of its own scope, whatever the interleaving', async () => {
    const api = client(server.url);
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        round += 1;
        const ns = (tenant: string) => `scopes-${round}-${tenant}`;
        const index = new ScopeIndex();
        // The model: per thing, its latest run that was not cancelled.
        const latest = new Map<string, { issue: string; outcome: 'failure' | 'success' }>();
        for (const [n, s] of steps.entries()) {
          const objects = objectsOf(s, n + 1, ns);
          const object = objects[0] as KubeObject;
          const controller = object.kind === 'Release' ? releaseController : pipelineRunController;
          const observation: Observation | undefined = controller.observe(
            object,
            fixtureContext(objects),
          );
          index.set(`${object.metadata.namespace}/${object.metadata.name}`, observation);
          const request = observation
            ? requestOf(observation, index, { severity: DEFAULT_SEVERITY_RULES })
            : undefined;
          if (request) {
            const answer = await api.post(`/api/v1/webhooks/${request.webhook}`, request.body);
            assert.equal(answer.status < 300, true, JSON.stringify(answer.body));
          }
          const who = identity(s.thing);
          if (who && s.outcome !== 'cancelled')
            latest.set(who.id, { issue: who.issue, outcome: s.outcome });
        }
        const expected = new Map<string, string[]>();
        for (const [id, { issue, outcome }] of latest) {
          if (outcome === 'failure')
            expected.set(issue, [...(expected.get(issue) ?? []), id].sort());
        }
        const actual: string[][] = [];
        for (const tenant of ['a', 'b', 'managed']) {
          const answer = await api.get(
            `/api/v1/issues?namespace=${ns(tenant)}&state=ACTIVE&limit=100`,
          );
          assert.equal(answer.status, 200);
          for (const issue of answer.body.data as { description: string }[]) {
            const markers = [...issue.description.matchAll(/\[\[([^\]]+)\]\]/g)].map(
              (m) => m[1] as string,
            );
            actual.push([...new Set(markers)].sort());
          }
        }
        const sortSets = (sets: string[][]) => sets.map((set) => set.join(' ')).sort();
        assert.deepEqual(sortSets(actual), sortSets([...expected.values()]));
      }),
      { numRuns: 40 },
    );
  });
});

/**
 * The MCP server's tools, through the SDK's own client over streamable HTTP (`/mcp` on
 * a real `kite serve`, Kubernetes authentication through the API server double): the
 * tool list and its schemas, each tool's happy path, the write tools listed only to
 * callers who may use them, and refusals that leak nothing (another namespace's issue
 * is "not found", as if it did not exist).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { callJson, callText, httpMcpClient } from '../support/mcp.js';
import {
  ERROR_LINE,
  ERROR_TEXT,
  FOREIGN_TITLE,
  grantMcpPeople,
  seedMcp,
  type McpSeeds,
} from '../support/mcp-seeds.js';
import { useTestServer } from '../support/test-server.js';

let kube: KubeApiDouble;
let seeds: McpSeeds;
let alice: Client;
const { server, api, onStart } = useTestServer(async () => {
  kube = await startKubeApiDouble();
  grantMcpPeople(kube);
  return { env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig } };
});
onStart(async () => {
  seeds = await seedMcp(server, api);
  alice = await httpMcpClient(server.url, 'token-alice');
});
after(async () => {
  await alice?.close();
  await kube?.close();
});

const READ_TOOLS = [
  'explain_failure',
  'get_issue',
  'get_run_logs',
  'list_issues',
  'list_namespaces',
  'summarize',
];

describe('the MCP tool list', () => {
  it('lists every tool with an object schema, a description and truthful annotations', async () => {
    const { tools } = await alice.listTools();
    const names = tools.map((t) => t.name).sort();
    assert.deepEqual(names, [...READ_TOOLS, 'acknowledge_issue', 'resolve_issue'].sort());
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object', t.name);
      assert.ok((t.description ?? '').length > 40, `${t.name} is described`);
      const writes = t.name === 'resolve_issue' || t.name === 'acknowledge_issue';
      assert.equal(t.annotations?.readOnlyHint, !writes, t.name);
      if (writes) assert.equal(t.annotations?.destructiveHint, false, t.name);
    }
    const list = tools.find((t) => t.name === 'list_issues')!;
    const properties = list.inputSchema.properties as Record<string, { enum?: string[] }>;
    assert.deepEqual(properties.severity?.enum, ['info', 'minor', 'major', 'critical']);
    assert.ok(properties.labelSelector && properties.cursor && properties.namespace);
  });

  it('leaves out resolve and acknowledge for a caller who may change no namespace', async () => {
    const bob = await httpMcpClient(server.url, 'token-bob');
    try {
      const names = (await bob.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(names, READ_TOOLS);
    } finally {
      await bob.close();
    }
  });
});

describe('the read tools', () => {
  it('list_issues lists the caller’s issues only, with the API filters', async () => {
    // team-b's issue is a build failure too: only the namespace keeps it out.
    const builds = await callJson(alice, 'list_issues', { issueType: 'build' });
    const ids = builds.issues.map((i: { id: string }) => i.id).sort();
    assert.deepEqual(ids, [seeds.toResolve, seeds.toAcknowledge].sort());
    assert.equal(builds.total, 2);
    const critical = await callJson(alice, 'list_issues', {
      namespace: ['team-a'],
      severity: 'critical',
    });
    assert.deepEqual(
      critical.issues.map((i: { id: string }) => i.id),
      [seeds.toResolve],
    );
    assert.equal(critical.issues[0].resource, 'component/cart');
  });

  it('get_issue answers the issue with its links and timeline', async () => {
    const issue = await callJson(alice, 'get_issue', { id: seeds.resolved });
    assert.equal(issue.state, 'RESOLVED');
    assert.equal(issue.application, 'shop');
    assert.deepEqual(issue.timeline.map((e: { kind: string }) => e.kind).sort(), [
      'created',
      'resolved',
    ]);
    const linked = await callJson(alice, 'get_issue', { id: seeds.failing, timeline: 0 });
    assert.equal(linked.links[0].url, '/api/v1/mintmaker/runs/renovate-fail/logs');
    assert.equal(linked.timeline, undefined);
  });

  it('get_issue says "not found" for another namespace’s issue, naming nothing of it', async () => {
    const foreign = await callText(alice, 'get_issue', { id: seeds.foreign });
    const missing = await callText(alice, 'get_issue', {
      id: '00000000-0000-4000-8000-000000000000',
    });
    assert.equal(foreign.isError, true);
    assert.match(foreign.text, /^Not found: Issue not found/);
    assert.equal(foreign.text, missing.text, 'a foreign issue reads exactly like a missing one');
    assert.ok(!foreign.text.includes('team-b') && !foreign.text.includes(FOREIGN_TITLE));
  });

  it('answers arguments that do not match the schema with a tool error naming them', async () => {
    const bad = await callText(alice, 'list_issues', { severity: 'apocalyptic', limit: 0 });
    assert.equal(bad.isError, true);
    assert.match(bad.text, /^Invalid arguments for list_issues: /);
    assert.match(bad.text, /\/severity/);
    assert.match(bad.text, /\/limit/);
  });

  it('list_namespaces answers the readable namespaces with the caller’s rights', async () => {
    const answer = await callJson(alice, 'list_namespaces');
    assert.deepEqual(answer.namespaces, [
      { namespace: 'team-a', write: true, manage: true },
      { namespace: 'team-c', write: false, manage: false },
    ]);
  });

  it('summarize counts a namespace’s active issues, worst first, and the changes of the last hours', async () => {
    const summary = await callJson(alice, 'summarize', { namespace: 'team-a', hours: 2 });
    assert.equal(summary.scope, 'namespace team-a');
    assert.equal(summary.active.total >= 3, true);
    assert.equal(Object.keys(summary.active.bySeverity)[0], 'critical');
    assert.equal(summary.worst[0].severity, 'critical');
    assert.equal(summary.changes.hours, 2);
    assert.ok(summary.changes.new >= 4, JSON.stringify(summary.changes));
    assert.ok(summary.changes.resolved >= 1, JSON.stringify(summary.changes));
    const shop = await callJson(alice, 'summarize', { application: 'shop' });
    assert.equal(shop.active.total, 1);
    assert.equal(shop.worst[0].id, seeds.failing);
    assert.equal(shop.changes.new, 2);
    assert.equal(shop.changes.resolved, 1);
  });

  it('get_run_logs reads the lines around the first error, or the last lines', async () => {
    const around = await callJson(alice, 'get_run_logs', { issueId: seeds.failing, lines: 30 });
    assert.equal(around.mode, 'error');
    // Lines are numbered as the dashboard numbers them: the step's header is line 1.
    assert.equal(around.firstError, ERROR_LINE + 1);
    assert.equal(around.step, 'build/renovate');
    assert.equal(around.lines.length, 30);
    assert.ok(around.lines[around.firstError - around.from].includes(ERROR_TEXT));
    assert.equal(around.complete, false, 'reading stopped once the excerpt was complete');
    const tail = await callJson(alice, 'get_run_logs', {
      run: 'renovate-fail',
      mode: 'tail',
      lines: 5,
    });
    assert.equal(tail.lines.length, 5);
    assert.match(tail.lines[4], /Checking dependency lib-300/);
  });

  it('explain_failure brings the signature, the decisive log lines and how a look-alike was resolved', async () => {
    const why = await callJson(alice, 'explain_failure', { id: seeds.failing });
    assert.equal(why.issue.id, seeds.failing);
    assert.ok(why.signature?.class, JSON.stringify(why.signature));
    assert.equal(why.log.firstError, ERROR_LINE + 1);
    const look = why.similarResolved.find((s: { id: string }) => s.id === seeds.resolved);
    assert.ok(look, JSON.stringify(why.similarResolved));
    assert.equal(look.likeness, 'same failure signature');
    assert.equal(look.howResolved.kind, 'resolved');
  });
});

describe('the write tools', () => {
  it('resolve_issue resolves an issue of a namespace the caller may change', async () => {
    const answer = await callJson(alice, 'resolve_issue', { id: seeds.toResolve });
    assert.equal(answer.resolved.state, 'RESOLVED');
    const stored = await api.get(`/api/v1/issues/${seeds.toResolve}`, {
      authorization: 'Bearer token-alice',
    });
    assert.equal(stored.body.state, 'RESOLVED');
  });

  it('acknowledge_issue records who acknowledged, with the note', async () => {
    const answer = await callJson(alice, 'acknowledge_issue', {
      id: seeds.toAcknowledge,
      note: 'on it',
    });
    assert.equal(answer.acknowledged.acknowledgement.by, 'alice');
    assert.equal(answer.acknowledged.acknowledgement.note, 'on it');
  });

  it('refuses to resolve another namespace’s issue as "not found" and changes nothing', async () => {
    const refused = await callText(alice, 'resolve_issue', { id: seeds.foreign });
    assert.equal(refused.isError, true);
    assert.match(refused.text, /^Not found/);
    assert.ok(!refused.text.includes(FOREIGN_TITLE));
    const bob = await httpMcpClient(server.url, 'token-bob');
    try {
      const still = await callJson(bob, 'get_issue', { id: seeds.foreign, timeline: 0 });
      assert.equal(still.state, 'ACTIVE');
      const denied = await callText(bob, 'resolve_issue', { id: seeds.foreign });
      assert.equal(denied.isError, true);
      assert.match(denied.text, /^Not allowed: /);
    } finally {
      await bob.close();
    }
  });
});

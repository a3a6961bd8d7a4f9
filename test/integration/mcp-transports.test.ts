/**
 * The MCP server over both transports, each with the SDK's own client: streamable HTTP
 * on `kite serve` (a bearer token on every request, checked like any API request;
 * stateless, so no session id and no GET stream) and stdio (`kite mcp` with the
 * kubeconfig's identity, as an assistant starts it). Resources and prompts, impersonation
 * carried through, and answers cut to the configured budget, saying so.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ensureBuilt, writeKubeconfigs, type Kubeconfigs } from '../support/cli.js';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { callJson, callText, httpMcpClient, stdioMcpClient } from '../support/mcp.js';
import {
  FOREIGN_TITLE,
  grantMcpPeople,
  MANY,
  seedMcp,
  type McpSeeds,
} from '../support/mcp-seeds.js';
import { useTestServer } from '../support/test-server.js';

const BUDGET = 6000;
let kube: KubeApiDouble;
let seeds: McpSeeds;
let configs: Kubeconfigs;
const { server, api, onStart } = useTestServer(async () => {
  ensureBuilt();
  kube = await startKubeApiDouble();
  grantMcpPeople(kube);
  kube.users.set('token-proxy', { username: 'console-proxy', groups: [] });
  kube.users.set('token-revoked', { username: 'carol', groups: ['team-a-devs'] });
  for (const [resource, name] of [
    ['users', 'bob'],
    ['groups', 'team-b-devs'],
  ] as const) {
    kube.grants.push({ user: 'console-proxy', verb: 'impersonate', apiGroup: '', resource, name });
  }
  return {
    env: {
      KITE_AUTH_MODE: 'kubernetes',
      KUBECONFIG: kube.kubeconfig,
      KITE_MCP_BUDGET: String(BUDGET),
      KITE_AUTH_CACHE_TTL: '50ms',
      KITE_AUTH_NEGATIVE_CACHE_TTL: '50ms',
    },
  };
});
onStart(async () => {
  seeds = await seedMcp(server, api);
  configs = await writeKubeconfigs(kube.url, server.url);
});
after(async () => {
  await kube?.close();
  if (configs) await rm(configs.dir, { recursive: true, force: true });
});

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
};
const post = (headers: Record<string, string>, body: unknown = INITIALIZE) =>
  fetch(new URL('/mcp', server.url), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(body),
  });

describe('MCP over streamable HTTP', () => {
  it('rejects a request without a token, or with one Kubernetes does not know, with 401', async () => {
    const none = await post({});
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="kite"');
    assert.match(((await none.json()) as { error: string }).error, /Authentication required/);
    const bad = await post({ authorization: 'Bearer not-a-real-token' });
    assert.equal(bad.status, 401);
    await assert.rejects(httpMcpClient(server.url, 'not-a-real-token'), { code: 401 });
  });

  it('is stateless: no session id, and GET and DELETE answer 405', async () => {
    const answer = await post({ authorization: 'Bearer token-alice' });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('mcp-session-id'), null);
    const body = (await answer.json()) as { result: { serverInfo: { name: string } } };
    assert.equal(body.result.serverInfo.name, 'kite');
    for (const method of ['GET', 'DELETE']) {
      const refused = await fetch(new URL('/mcp', server.url), {
        method,
        headers: { authorization: 'Bearer token-alice', accept: 'text/event-stream' },
      });
      assert.equal(refused.status, 405, method);
      assert.equal(refused.headers.get('allow'), 'POST');
    }
  });

  it('answers malformed requests with a 4xx, never a 5xx', async () => {
    const alice = { authorization: 'Bearer token-alice' };
    assert.equal((await post(alice, '"not a message"')).status, 400);
    assert.equal((await post(alice, { jsonrpc: '2.0', id: 1 })).status, 400);
    const broken = await fetch(new URL('/mcp', server.url), {
      method: 'POST',
      headers: {
        ...alice,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: '{broken',
    });
    assert.equal(broken.status, 400);
    assert.equal((await post({ ...alice, accept: 'text/html' })).status, 406);
    const unknown = await post(alice, {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'nope' },
    });
    assert.equal(unknown.status, 200);
    assert.equal(((await unknown.json()) as { error: { code: number } }).error.code, -32602);
  });

  it('checks the token on every request: one revoked after connecting gets 401', async () => {
    const carol = await httpMcpClient(server.url, 'token-revoked');
    try {
      assert.equal((await callJson(carol, 'list_issues', { issueType: 'build' })).total, 2);
      kube.users.delete('token-revoked');
      await new Promise((resolve) => setTimeout(resolve, 120));
      await assert.rejects(carol.callTool({ name: 'list_issues', arguments: {} }), { code: 401 });
    } finally {
      await carol.close();
    }
  });

  it('acts as the impersonated user when a proxy impersonates one', async () => {
    const client = new Client({ name: 'proxy', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', server.url), {
        requestInit: {
          headers: {
            authorization: 'Bearer token-proxy',
            'impersonate-user': 'bob',
            'impersonate-group': 'team-b-devs',
          },
        },
      }),
    );
    try {
      const seen = await callJson(client, 'list_issues', {});
      assert.deepEqual(
        seen.issues.map((i: { id: string }) => i.id),
        [seeds.foreign],
      );
    } finally {
      await client.close();
    }
  });

  it('cuts an answer too long for the budget, within it, saying what was cut and how to get more', async () => {
    const alice = await httpMcpClient(server.url, 'token-alice');
    try {
      const { text, isError } = await callText(alice, 'list_issues', {
        namespace: ['team-c'],
        limit: 100,
      });
      assert.equal(isError, false);
      assert.ok(text.length <= BUDGET, `${text.length} characters`);
      const answer = JSON.parse(text);
      assert.equal(answer.total, MANY);
      assert.ok(
        answer.issues.length > 5 && answer.issues.length < MANY,
        `${answer.issues.length} shown`,
      );
      assert.equal(answer.truncated.issues, `${answer.issues.length} of ${MANY} shown`);
      assert.match(answer.more, /smaller `limit`/);
    } finally {
      await alice.close();
    }
  });

  it('serves issues and namespace summaries as resources, a foreign issue as "not found"', async () => {
    const alice = await httpMcpClient(server.url, 'token-alice');
    try {
      const { resourceTemplates } = await alice.listResourceTemplates();
      assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate).sort(), [
        'kite://issues/{id}',
        'kite://namespaces/{namespace}/summary',
      ]);
      const { resources } = await alice.listResources();
      assert.deepEqual(resources.map((r) => r.uri).sort(), [
        'kite://namespaces/team-a/summary',
        'kite://namespaces/team-c/summary',
      ]);
      const read = await alice.readResource({ uri: `kite://issues/${seeds.failing}` });
      const issue = JSON.parse((read.contents[0] as { text: string }).text);
      assert.equal(issue.id, seeds.failing);
      const summary = await alice.readResource({ uri: 'kite://namespaces/team-c/summary' });
      assert.equal(JSON.parse((summary.contents[0] as { text: string }).text).active.total, MANY);
      await assert.rejects(
        alice.readResource({ uri: `kite://issues/${seeds.foreign}` }),
        (error: Error & { code?: number }) => {
          assert.equal(error.code, -32002);
          assert.ok(!error.message.includes(FOREIGN_TITLE));
          return true;
        },
      );
    } finally {
      await alice.close();
    }
  });

  it('offers the triage and explain-issue prompts, naming the tools to use', async () => {
    const alice = await httpMcpClient(server.url, 'token-alice');
    try {
      const { prompts } = await alice.listPrompts();
      assert.deepEqual(
        prompts.map((p) => p.name),
        ['triage', 'explain-issue'],
      );
      const triage = await alice.getPrompt({ name: 'triage', arguments: { namespace: 'team-a' } });
      assert.match(
        (triage.messages[0]!.content as { text: string }).text,
        /summarize with namespace "team-a"/,
      );
      await assert.rejects(
        alice.getPrompt({ name: 'explain-issue', arguments: { id: 'x' } }),
        /UUID/,
      );
    } finally {
      await alice.close();
    }
  });
});

describe('MCP over stdio (kite mcp)', () => {
  it('acts as the kubeconfig user: their tools, their issues, another namespace’s issue not found', async () => {
    const client = await stdioMcpClient({ HOME: configs.dir, KUBECONFIG: configs.token });
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('resolve_issue') && names.includes('explain_failure'), names.join());
      const builds = await callJson(client, 'list_issues', { issueType: 'build', state: 'ACTIVE' });
      assert.ok(builds.issues.every((i: { namespace: string }) => i.namespace === 'team-a'));
      assert.ok(builds.issues.some((i: { id: string }) => i.id === seeds.toAcknowledge));
      const foreign = await callText(client, 'get_issue', { id: seeds.foreign });
      assert.equal(foreign.isError, true);
      assert.match(foreign.text, /^Not found/);
      const why = await callJson(client, 'explain_failure', { id: seeds.failing, lines: 10 });
      assert.equal(why.log.lines.length, 10);
    } finally {
      await client.close();
    }
  });

  it('keeps answers within --budget', async () => {
    const client = await stdioMcpClient({ HOME: configs.dir, KUBECONFIG: configs.token }, [
      '--budget',
      '2000',
    ]);
    try {
      const { text } = await callText(client, 'list_issues', { namespace: ['team-c'], limit: 100 });
      assert.ok(text.length <= 2000, `${text.length} characters`);
      assert.match(JSON.parse(text).truncated.issues, / of 60 shown$/);
    } finally {
      await client.close();
    }
  });
});

/**
 * Nothing holds KITE open forever (issue 13 finding 5): slow headers and dripping bodies
 * are cut off, a Kubernetes API that does not answer yields a 503 naming it within the
 * configured time (while a live log that has started keeps streaming), and the expensive
 * routes are rate limited per caller. The server runs with short limits so that each
 * case takes well under a second.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { addMintmakerPeople } from '../support/mintmaker-people.js';
import { client, startTestServer, type TestServer } from '../support/test-server.js';

// Long enough that the API double (in this process) answers in time on a loaded machine.
const KUBE_TIMEOUT_MS = 1000;
const RATE_LIMIT = 5;
let kube: KubeApiDouble;
let server: TestServer;

const as = (token: string) => ({ authorization: `Bearer ${token}` });

before(async () => {
  kube = await startKubeApiDouble();
  addMintmakerPeople(kube);
  kube.namespaces.push('team-a', 'team-b', 'mintmaker');
  kube.users.set('token-carol', { username: 'carol', groups: ['team-a-devs'] });
  server = await startTestServer({
    env: {
      KITE_AUTH_MODE: 'kubernetes',
      KUBECONFIG: kube.kubeconfig,
      // Short, but not so short that the embedded database (PGlite runs on the main
      // thread) holding the event loop makes a prompt request look slow.
      KITE_HEADERS_TIMEOUT: '1s',
      KITE_REQUEST_TIMEOUT: '2s',
      KITE_KUBE_API_TIMEOUT: `${KUBE_TIMEOUT_MS}ms`,
      KITE_RATE_LIMIT: String(RATE_LIMIT),
      KITE_RATE_LIMIT_WINDOW: '1m',
    },
  });
});
after(async () => {
  await server.stop();
  await kube.close();
});

/** Opens a raw connection to the server and collects what it answers until it closes. */
function rawConnection(): Promise<{ socket: Socket; closed: Promise<string> }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      const closed = new Promise<string>((done) => socket.once('close', () => done(answer)));
      resolve({ socket, closed });
    });
    socket.once('error', reject);
  });
}

describe('slow clients', () => {
  it('closes connections whose headers never finish (slowloris), all of them', async () => {
    const started = Date.now();
    const connections = await Promise.all(Array.from({ length: 50 }, rawConnection));
    for (const { socket } of connections) {
      socket.write('GET /api/v1/health HTTP/1.1\r\nHost: kite\r\nX-Slow: ');
    }
    const answers = await Promise.all(connections.map((c) => c.closed));
    for (const answer of answers) assert.match(answer, /^HTTP\/1\.1 408 /);
    // Closed by the 1 s headers timeout (checked every 250 ms), not by anything slower.
    assert.ok(Date.now() - started < 5000, `closed after ${Date.now() - started} ms`);
  });

  it('closes a request whose body drips in, before any authentication', async () => {
    const { socket, closed } = await rawConnection();
    socket.write(
      'POST /api/v1/webhooks/pipeline-failure HTTP/1.1\r\nHost: kite\r\n' +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    );
    let sent = 0;
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(' ');
      sent += 1;
    }, 100);
    const answer = await closed;
    clearInterval(drip);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.ok(sent < 100, `still open after ${sent} drips`);
  });

  it('still serves a client that sends its request in time', async () => {
    const answer = await client(server.url).get('/api/v1/health');
    assert.equal(answer.status, 200);
  });
});

describe('a Kubernetes API that does not answer', () => {
  async function assertUnavailable(
    plural: string,
    send: () => Promise<{ status: number; body: unknown }>,
    what: string,
  ) {
    const held = kube.hold(plural);
    try {
      const started = Date.now();
      const answer = await send();
      const elapsed = Date.now() - started;
      assert.equal(answer.status, 503);
      assert.deepEqual(answer.body, {
        error: `The Kubernetes API did not answer within ${KUBE_TIMEOUT_MS / 1000} s (${what}). Try again later.`,
      });
      assert.ok(elapsed >= KUBE_TIMEOUT_MS - 50, `answered after ${elapsed} ms`);
      assert.ok(elapsed < KUBE_TIMEOUT_MS + 4000, `answered after ${elapsed} ms`);
      assert.ok(held.waiting() >= 0);
    } finally {
      held.release();
    }
  }

  it('answers 503 naming it when a TokenReview hangs', async () => {
    kube.users.set('token-dan', { username: 'dan', groups: ['team-a-devs'] });
    await assertUnavailable(
      'tokenreviews',
      () => client(server.url).get('/api/v1/issues?namespace=team-a', as('token-dan')),
      'TokenReview',
    );
  });

  it('answers 503 naming it when a SubjectAccessReview hangs', async () => {
    kube.users.set('token-eve', { username: 'eve', groups: ['team-a-devs'] });
    await assertUnavailable(
      'subjectaccessreviews',
      () => client(server.url).get('/api/v1/issues/counts?namespace=team-a', as('token-eve')),
      'SubjectAccessReview',
    );
  });

  it('answers 503 naming it when the namespace list hangs', async () => {
    kube.users.set('token-fay', { username: 'fay', groups: ['team-b-devs'] });
    // The list is cached for the auth cache TTL: a server of its own has none yet.
    const fresh = await startTestServer({
      env: {
        KITE_AUTH_MODE: 'kubernetes',
        KUBECONFIG: kube.kubeconfig,
        KITE_KUBE_API_TIMEOUT: `${KUBE_TIMEOUT_MS}ms`,
      },
    });
    try {
      await assertUnavailable(
        'namespaces',
        () => client(fresh.url).get('/api/v1/issues', as('token-fay')),
        'listing namespaces',
      );
    } finally {
      await fresh.stop();
    }
  });

  it('answers 503 naming it when a PipelineRun list hangs', async () => {
    await assertUnavailable(
      'pipelineruns',
      () => client(server.url).get('/api/v1/mintmaker/runs?namespace=team-a', as('token-alice')),
      'listing PipelineRuns',
    );
  });
});

describe('live logs and the Kubernetes API deadline', () => {
  const RUN = 'renovate-timeouts-1';
  const POD = `${RUN}-pod`;

  before(() => {
    kube.apply({
      apiVersion: 'tekton.dev/v1',
      kind: 'PipelineRun',
      metadata: {
        name: RUN,
        namespace: 'mintmaker',
        labels: {
          'mintmaker.appstudio.redhat.com/namespace': 'team-a',
          'mintmaker.appstudio.redhat.com/component': 'frontend',
          'mintmaker.appstudio.redhat.com/git-host': 'github.com',
          'mintmaker.appstudio.redhat.com/repository': 'acme_frontend',
          'mintmaker.appstudio.redhat.com/branch': 'main',
        },
      },
      status: {
        startTime: '2026-12-03T04:00:00Z',
        conditions: [{ type: 'Succeeded', status: 'Unknown', reason: 'Running' }],
      },
    });
    kube.apply({
      apiVersion: 'tekton.dev/v1',
      kind: 'TaskRun',
      metadata: {
        name: `${RUN}-renovate`,
        namespace: 'mintmaker',
        labels: { 'tekton.dev/pipelineRun': RUN, 'tekton.dev/pipelineTask': 'renovate' },
      },
      status: {
        podName: POD,
        startTime: '2026-12-03T04:00:01Z',
        steps: [{ name: 'renovate', container: 'step-renovate' }],
      },
    });
    kube.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: POD, namespace: 'mintmaker' },
      spec: { containers: [{ name: 'step-renovate' }] },
    });
    kube.setPodLog('mintmaker', POD, 'step-renovate', 'first line\n');
  });

  it('a pod log that does not start in time ends the response instead of hanging', async () => {
    // The response has begun (a run's steps are served one after another), so the
    // deadline cannot turn into a 503: the connection is cut and the log says so in the
    // server's own log ("serving a run log failed midway").
    const held = kube.hold('pods/log');
    try {
      const started = Date.now();
      const response = await fetch(`${server.url}/api/v1/mintmaker/runs/${RUN}/logs`, {
        headers: as('token-alice'),
      });
      assert.equal(response.status, 200);
      await assert.rejects(response.text(), /terminated/);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= KUBE_TIMEOUT_MS - 50, `ended after ${elapsed} ms`);
      assert.ok(elapsed < KUBE_TIMEOUT_MS + 4000, `ended after ${elapsed} ms`);
      assert.equal(held.waiting(), 1, 'the pod log request was the one held');
    } finally {
      held.release();
    }
  });

  it('a followed log keeps streaming long past the deadline once it has started', async () => {
    const response = await fetch(`${server.url}/api/v1/mintmaker/runs/${RUN}/logs?follow=true`, {
      headers: as('token-alice'),
    });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const next = await reader.read();
        if (next.done) assert.fail(`the log ended before ${String(pattern)}: ${text}`);
        text += decoder.decode(next.value, { stream: true });
      }
    };
    await readUntil(/first line/);
    await new Promise((resolve) => setTimeout(resolve, KUBE_TIMEOUT_MS * 2));
    kube.appendPodLog('mintmaker', POD, 'step-renovate', 'after the deadline\n');
    await readUntil(/after the deadline/);
    kube.endPodLog('mintmaker', POD, 'step-renovate');
    await reader.cancel();
  });
});

describe('rate limits', () => {
  it(`answers 429 with Retry-After past ${RATE_LIMIT} list requests of one user, and counts users apart`, async () => {
    const carol = () =>
      client(server.url).get('/api/v1/issues?namespace=team-a', as('token-carol'));
    for (let i = 0; i < RATE_LIMIT; i += 1) assert.equal((await carol()).status, 200);
    const limited = await carol();
    assert.equal(limited.status, 429);
    assert.match(
      limited.body.error,
      /^Too many requests: at most 5 per 1 minute on this route; retry after \d+ s$/,
    );
    assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/);
    // Another user behind the same address has a budget of their own.
    const other = await client(server.url).get(
      '/api/v1/issues?namespace=team-a',
      as('token-alice'),
    );
    assert.equal(other.status, 200);
    // Cheap routes are not counted.
    assert.equal((await client(server.url).get('/api/v1/health')).status, 200);
  });
});

/**
 * MintMaker run logs for their owners only (archive path): permissions are checked on
 * the run's component namespace, unreadable runs answer like unknown ones, the MintMaker
 * team reads everything, and secrets are redacted before they are stored or served.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { get, type IncomingHttpHeaders } from 'node:http';
import { crc32, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { SEGMENT } from '../../src/logs/gzip-segments.js';
import { after, before, describe, it } from 'node:test';
import { startKubeApiDouble, type KubeApiDouble } from '../support/kube-api.js';
import { addMintmakerPeople } from '../support/mintmaker-people.js';
import { client, startTestServer, type TestServer } from '../support/test-server.js';

const TOKEN = 'ghp_' + 'Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2';
let kube: KubeApiDouble;
let server: TestServer;

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const api = () => client(server.url);

async function upload(run: Record<string, unknown>, steps: [string, string, string][]) {
  const created = await api().post('/api/v1/mintmaker/runs', run, as('token-operator'));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  for (const [index, [task, step, text]] of steps.entries()) {
    const response = await fetch(
      `${server.url}/api/v1/mintmaker/runs/${String(run.name)}/steps/${task}/${step}?position=${index}`,
      {
        method: 'PUT',
        headers: { ...as('token-operator'), 'content-type': 'text/plain' },
        body: text,
      },
    );
    assert.equal(response.status, 200, await response.text());
  }
}

/** A GET whose body is kept as sent (fetch would decode gzip). */
function rawGet(
  path: string,
  headers: Record<string, string>,
): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(`${server.url}${path}`, { headers }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(parts) }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

const logsOf = (name: string, token: string, query = '') =>
  fetch(`${server.url}/api/v1/mintmaker/runs/${name}/logs${query}`, { headers: as(token) });

before(async () => {
  kube = await startKubeApiDouble();
  addMintmakerPeople(kube);
  server = await startTestServer({
    env: { KITE_AUTH_MODE: 'kubernetes', KUBECONFIG: kube.kubeconfig },
  });
  await upload(
    {
      name: 'renovate-a1',
      uid: 'uid-a1',
      namespace: 'team-a',
      component: 'frontend',
      gitHost: 'github.com',
      repository: 'acme/frontend',
      branch: 'main',
      repoBranchHash: createHash('sha256')
        .update('github.com/acme/frontend@main')
        .digest('hex')
        .slice(0, 12),
      status: 'Failed',
      completionTime: '2026-11-20T08:00:00Z',
    },
    [
      ['prepare', 'clone', `git clone https://x-access-token:${TOKEN}@github.com/acme/frontend\n`],
      [
        'renovate',
        'run',
        '{"level":30,"time":"2026-11-20T07:59:00.000Z","msg":"Repository started"}\n' +
          `{"level":50,"time":"2026-11-20T07:59:30.000Z","msg":"Repository has unknown error","err":{"message":"auth failed for ${TOKEN}"}}\n`,
      ],
    ],
  );
  await upload(
    {
      name: 'renovate-b1',
      uid: 'uid-b1',
      namespace: 'team-b',
      component: 'backend',
      status: 'Succeeded',
    },
    [['renovate', 'run', 'all good\n']],
  );
});
after(async () => {
  await server?.stop();
  await kube?.close();
});

describe('MintMaker run logs', () => {
  it("a user of team-a lists team-a's runs and reads their logs, step by step in order", async () => {
    const list = await api().get('/api/v1/mintmaker/runs?namespace=team-a', as('token-alice'));
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.data.map((r: any) => [r.name, r.component, r.status, r.archived]),
      [['renovate-a1', 'frontend', 'Failed', true]],
    );
    const response = await logsOf('renovate-a1', 'token-alice');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    assert.match(text, /^==> task prepare, step clone <==\ngit clone/);
    assert.ok(text.indexOf('step clone') < text.indexOf('step run'), 'steps in order');
  });

  it('a token planted in a log is redacted in what is stored and what is served', async () => {
    const text = await (await logsOf('renovate-a1', 'token-alice')).text();
    assert.ok(!text.includes(TOKEN), text);
    assert.match(text, /x-access-token:\*\*REDACTED\*\*@github\.com/);
    const stored = await server.db.query<{ data: Uint8Array; crc32: string }>(
      `SELECT data, crc32 FROM mintmaker_log_chunks
       WHERE run_id = (SELECT id FROM mintmaker_runs WHERE run_name = 'renovate-a1')`,
    );
    assert.equal(stored.rows.length, 2);
    for (const row of stored.rows) {
      // Stored as a DEFLATE segment with the CRC-32 of its text.
      const kept = inflateRawSync(row.data, SEGMENT);
      assert.equal(Number(row.crc32), crc32(kept));
      assert.ok(!kept.toString('utf8').includes(TOKEN), 'nothing stored holds the token');
      assert.match(kept.toString('utf8'), /\*\*REDACTED\*\*/);
    }
  });

  it('a log archived under other redaction rules is redacted again when served', async () => {
    await upload(
      {
        name: 'renovate-legacy',
        uid: 'uid-legacy',
        namespace: 'team-a',
        component: 'legacy',
        status: 'Failed',
      },
      [['renovate', 'run', 'placeholder\n']],
    );
    // As if stored by an older release whose rules missed this token.
    await server.db.query(
      `UPDATE mintmaker_log_chunks SET data = $1, redaction = 'older-rules', crc32 = NULL
       WHERE run_id = (SELECT id FROM mintmaker_runs WHERE run_name = 'renovate-legacy')`,
      [gzipSync(`pushed with ${TOKEN}\n`)],
    );
    const text = await (await logsOf('renovate-legacy', 'token-alice')).text();
    assert.ok(!text.includes(TOKEN), text);
    assert.match(text, /pushed with \*\*REDACTED\*\*/);
  });

  it('?step selects one step and ?format=text renders Renovate JSON lines readably', async () => {
    const text = await (await logsOf('renovate-a1', 'token-alice', '?step=run&format=text')).text();
    assert.doesNotMatch(text, /git clone/);
    assert.match(
      text,
      /2026-11-20T07:59:30.000Z ERROR Repository has unknown error \(auth failed for \*\*REDACTED\*\*\)/,
    );
    const unknownStep = await logsOf('renovate-a1', 'token-alice', '?step=nope');
    assert.equal(unknownStep.status, 404);
  });

  it('?format=text passes through lines it cannot render, never splits a character, and the server stays up', async () => {
    const nested = `{"msg":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    const overlong = 'y'.repeat(3_000_000);
    // A three-byte character straddling the first 256 KiB chunk boundary of the archive.
    const head = '{"level":30,"msg":"';
    const filler = 'f'.repeat(262_144 - 2 - head.length);
    const straddling = `${head}${filler}€ ok"}`;
    await upload(
      {
        name: 'renovate-odd',
        uid: 'uid-odd',
        namespace: 'team-a',
        component: 'odd',
        status: 'Failed',
      },
      [['renovate', 'run', `${straddling}\n${nested}\n${overlong}\n{"level":40,"msg":"after"}\n`]],
    );
    const response = await logsOf('renovate-odd', 'token-alice', '?format=text');
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.ok(
      text.includes(`INFO  ${filler}€ ok\n`),
      'the character split between chunks is whole',
    );
    assert.ok(!text.includes('\uFFFD'));
    assert.ok(text.includes(`${nested}\n`), 'a line render fails on passes as it is');
    assert.ok(text.includes(`\n${overlong}\n`), 'an overlong line passes as it is');
    assert.match(text, /WARN {2}after\n$/);
    assert.equal((await logsOf('renovate-a1', 'token-alice')).status, 200);
  });

  it('answers gzip to clients that accept it: one gzip body of exactly the text served plain', async () => {
    for (const [run, query] of [
      ['renovate-a1', ''],
      ['renovate-a1', '?step=renovate/run'],
      ['renovate-a1', '?format=text'],
      // Stored before segments (whole gzip members) and under other rules.
      ['renovate-legacy', ''],
    ] as const) {
      const plain = await (await logsOf(run, 'token-alice', query)).text();
      const raw = await rawGet(`/api/v1/mintmaker/runs/${run}/logs${query}`, {
        ...as('token-alice'),
        'accept-encoding': 'gzip',
      });
      assert.equal(raw.headers['content-encoding'], 'gzip');
      // gunzipSync checks the trailer (CRC-32 and length) and refuses trailing bytes.
      assert.equal(gunzipSync(raw.body).toString(), plain, `${run}${query}`);
    }
  });

  it("a user of team-b gets 404 for team-a's run, the same as for no run, and does not see it listed", async () => {
    const denied = await logsOf('renovate-a1', 'token-bob');
    const missing = await logsOf('renovate-zz', 'token-bob');
    assert.equal(denied.status, 404);
    assert.equal(missing.status, 404);
    assert.deepEqual(await denied.json(), await missing.json());
    const own = await api().get('/api/v1/mintmaker/runs?namespace=team-b', as('token-bob'));
    assert.deepEqual(
      own.body.data.map((r: any) => r.name),
      ['renovate-b1'],
    );
    const other = await api().get('/api/v1/mintmaker/runs?namespace=team-a', as('token-bob'));
    assert.equal(other.status, 403);
    const all = await api().get('/api/v1/mintmaker/runs', as('token-bob'));
    assert.equal(all.status, 403);
  });

  it('a reader of the MintMaker namespace lists and reads every run', async () => {
    const all = await api().get('/api/v1/mintmaker/runs', as('token-mm'));
    assert.equal(all.status, 200);
    const names = all.body.data.map((r: any) => r.name);
    assert.ok(names.includes('renovate-a1') && names.includes('renovate-b1'), names.join());
    assert.equal(all.body.total, names.length);
    assert.equal((await logsOf('renovate-a1', 'token-mm')).status, 200);
    assert.equal((await logsOf('renovate-b1', 'token-mm')).status, 200);
  });

  it('only a reporter of the component namespace may archive runs', async () => {
    const refused = await api().post(
      '/api/v1/mintmaker/runs',
      { name: 'renovate-x', uid: 'uid-x', namespace: 'team-a', component: 'x', status: 'Failed' },
      as('token-alice'),
    );
    assert.equal(refused.status, 403);
    const put = await fetch(
      `${server.url}/api/v1/mintmaker/runs/renovate-a1/steps/t/s?position=9`,
      {
        method: 'PUT',
        headers: { ...as('token-bob'), 'content-type': 'text/plain' },
        body: 'overwrite',
      },
    );
    assert.equal(put.status, 403);
    const text = await (await logsOf('renovate-a1', 'token-alice')).text();
    assert.doesNotMatch(text, /overwrite/);
  });

  it('a step upload that is not text is refused with 415 naming what to send, and changes nothing', async () => {
    const before = await (await logsOf('renovate-a1', 'token-alice')).text();
    for (const [type, body] of [
      ['application/json', '{"not":"a log"}'],
      ['application/json', '"a JSON string"'],
      ['application/x-www-form-urlencoded', 'a=b'],
    ]) {
      const put = await fetch(
        `${server.url}/api/v1/mintmaker/runs/renovate-a1/steps/renovate/run?position=1`,
        {
          method: 'PUT',
          headers: { ...as('token-operator'), 'content-type': type ?? '' },
          body,
        },
      );
      assert.equal(put.status, 415, type);
      assert.deepEqual(await put.json(), {
        error: 'Unsupported content type: send text/plain or application/octet-stream',
      });
    }
    assert.equal(await (await logsOf('renovate-a1', 'token-alice')).text(), before);
  });

  it('a second step at a position already taken is refused with 409 and changes nothing', async () => {
    const before = await (await logsOf('renovate-a1', 'token-alice')).text();
    const put = await fetch(
      `${server.url}/api/v1/mintmaker/runs/renovate-a1/steps/other/step?position=0`,
      {
        method: 'PUT',
        headers: { ...as('token-operator'), 'content-type': 'text/plain' },
        body: 'a step of its own\n',
      },
    );
    assert.equal(put.status, 409, await put.text());
    assert.equal(await (await logsOf('renovate-a1', 'token-alice')).text(), before);
  });

  it('an upload of a step while another of it is in progress is refused with 409, and the first lands whole', async () => {
    await upload(
      {
        name: 'renovate-a3',
        uid: 'uid-a3',
        namespace: 'team-a',
        component: 'api',
        status: 'Failed',
      },
      [['renovate', 'run', 'old log\n']],
    );
    const path = '/api/v1/mintmaker/runs/renovate-a3/steps/renovate/run?position=0';
    const first = `${'first upload line\n'.repeat(40_000)}`;
    // The first upload sends most of its body, then waits (as a slow client would).
    let finish: (bytes: Uint8Array) => void = () => undefined;
    let sent: () => void = () => undefined;
    const halfSent = new Promise<void>((resolve) => (sent = resolve));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(first.slice(0, 600_000)));
        sent();
        finish = (bytes) => {
          controller.enqueue(bytes);
          controller.close();
        };
      },
    });
    const firstPut = fetch(`${server.url}${path}`, {
      method: 'PUT',
      headers: { ...as('token-operator'), 'content-type': 'text/plain' },
      body,
      duplex: 'half',
    });
    await halfSent;
    // Once the first upload holds its claim on the step (it has started writing aside),
    // a second upload of the step is refused.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const claims = await server.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM mintmaker_log_uploads u JOIN mintmaker_runs r ON r.id = u.run_id
         WHERE r.run_name = 'renovate-a3'`,
      );
      if ((claims.rows[0]?.n ?? 0) > 0) break;
      assert.ok(Date.now() < deadline, 'the first upload never claimed the step');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const second = await fetch(`${server.url}${path}`, {
      method: 'PUT',
      headers: { ...as('token-operator'), 'content-type': 'text/plain' },
      body: 'second upload\n',
    });
    assert.equal(second.status, 409);
    assert.deepEqual(await second.json(), {
      error: 'Another upload of this step is in progress',
    });
    finish(new TextEncoder().encode(first.slice(600_000)));
    const done = await firstPut;
    assert.equal(done.status, 200, await done.text());
    assert.equal(
      await (await logsOf('renovate-a3', 'token-alice')).text(),
      `==> task renovate, step run <==\n${first}`,
    );
  });

  it("the analyzer's mintmaker-custom report links to the latest run of its repository and branch", async () => {
    const answer = await api().post(
      '/api/v1/webhooks/mintmaker-custom',
      {
        namespace: 'team-a',
        pipelineId: 'github.com/acme/frontend@main',
        type: 'error',
        logs: ['Repository has unknown error'],
      },
      as('token-operator'),
    );
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.deepEqual(
      answer.body.issue.links.map((l: any) => [l.title, l.url]),
      [['MintMaker run logs', '/api/v1/mintmaker/runs/renovate-a1/logs']],
    );
    const other = await api().post(
      '/api/v1/webhooks/mintmaker-custom',
      {
        namespace: 'team-a',
        pipelineId: 'github.com/acme/unknown@main',
        type: 'error',
        logs: ['x'],
      },
      as('token-operator'),
    );
    assert.deepEqual(other.body.issue.links, [], 'no run of that repository: no link');
  });

  it('a run cannot be moved to another namespace by archiving it again', async () => {
    const moved = await api().post(
      '/api/v1/mintmaker/runs',
      {
        name: 'renovate-a1',
        uid: 'uid-a1',
        namespace: 'team-b',
        component: 'frontend',
        status: 'Failed',
      },
      as('token-operator'),
    );
    assert.equal(moved.status, 409);
    const list = await api().get('/api/v1/mintmaker/runs?namespace=team-b', as('token-bob'));
    assert.deepEqual(
      list.body.data.map((r: any) => r.name),
      ['renovate-b1'],
    );
  });
});

/**
 * Notifications end to end (docs/notifications.md): issue changes through the API, the
 * outbox trigger, the dispatcher and real receivers (a local HTTP server, a local SMTP
 * server). One message per transition, none for a repeated report, one per group,
 * signed, in CloudEvents form when asked, by e-mail; failures retried and then dead;
 * a Slack URL in no answer and no log line.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { after, beforeEach, describe, it } from 'node:test';
import {
  createSecretsDir,
  settle,
  startHttpReceiver,
  startSmtpReceiver,
  type HttpReceiver,
  type SecretsDir,
  type SmtpReceiver,
} from '../support/notify-receivers.js';
import { useTestServer } from '../support/test-server.js';

const NS = 'team-notify';
const SLACK_TOKEN = 'T000-B000-slack-secret-path-4f1c';
const HMAC_KEY = 'hmac-key-9d2e';

let receiver: HttpReceiver;
let smtp: SmtpReceiver;
let secrets: SecretsDir;
const log: string[] = [];
const logStream = new PassThrough();
logStream.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));

after(async () => {
  await receiver?.close();
  await smtp?.close();
  await secrets?.remove();
});

// Receivers first: Node 20 runs top-level before hooks together (test-server.ts).
const { api } = useTestServer(async () => {
  receiver = await startHttpReceiver();
  smtp = await startSmtpReceiver();
  secrets = await createSecretsDir();
  return {
    env: {
      KITE_RECEIVER_SECRETS_DIR: secrets.dir,
      KITE_SMTP_URL: smtp.url,
      KITE_SMTP_FROM: 'kite@example.com',
      KITE_DASHBOARD_URL: 'https://kite.example.com/dash',
      KITE_LOG_LEVEL: 'debug',
    },
    notify: { pollMs: 100, holdRecheckMs: 200, backoffMs: 30, maxAttempts: 3 },
    logStream,
  };
});

let n = 0;
/** A fresh namespace per test, so each test sees only its own messages. */
const namespace = () => `${NS}-${++n}`;

const webhook = (extra: object = {}) => ({
  type: 'webhook',
  url: { file: 'webhook-url' },
  ...extra,
});

/** The administrator's secret files for a namespace (KITE_RECEIVER_SECRETS_DIR/<ns>/). */
async function writeSecrets(ns: string) {
  await secrets.write(ns, 'webhook-url', `${receiver.url}/hook`);
  await secrets.write(ns, 'slack-url', `${receiver.url}/services/${SLACK_TOKEN}`);
  await secrets.write(ns, 'hmac', HMAC_KEY);
}

async function subscribe(ns: string, spec: object, name = 'team') {
  await writeSecrets(ns);
  const answer = await api.put(`/api/v1/namespaces/${ns}/subscriptions/${name}`, spec);
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
}

async function report(ns: string, component: string, extra: object = {}) {
  const answer = await api.post('/api/v1/issues', {
    namespace: ns,
    issueType: 'build',
    severity: 'major',
    title: `Build failed: ${component}`,
    description: 'step build exited 1\nline two\nline three',
    scope: { resourceType: 'component', resourceName: component },
    labels: {
      'appstudio.openshift.io/application': 'storefront',
      'appstudio.openshift.io/component': component,
    },
    ...extra,
  });
  assert.ok(answer.status === 201 || answer.status === 200, JSON.stringify(answer.body));
  return answer.body.id as string;
}

const mine = (ns: string) =>
  receiver.received.filter((r) => r.json?.namespace === ns || r.json?.data?.namespace === ns);

async function messagesOf(ns: string, count: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (mine(ns).length < count) {
    if (Date.now() > deadline) assert.fail(`${mine(ns).length} of ${count} messages for ${ns}`);
    await settle(20);
  }
  return mine(ns);
}

beforeEach(() => {
  receiver.answers.length = 0;
});

describe('notifications', () => {
  it('each transition is one message: opened, severity raised, resolved, reopened', async () => {
    const ns = namespace();
    await subscribe(ns, { receivers: [webhook()], groupWait: '0s', groupInterval: '1s' });
    const id = await report(ns, 'web');
    await messagesOf(ns, 1);
    await report(ns, 'web', { severity: 'critical' });
    await messagesOf(ns, 2);
    assert.equal((await api.post(`/api/v1/issues/${id}/resolve`)).status, 200);
    await messagesOf(ns, 3);
    await report(ns, 'web');
    const messages = await messagesOf(ns, 4);
    await settle(300);
    assert.deepEqual(
      mine(ns).map((m) => m.json.issues.map((i: any) => [i.issueId, i.transition, i.severity])),
      [
        [[id, 'opened', 'major']],
        [[id, 'severity-raised', 'critical']],
        [[id, 'resolved', 'critical']],
        [[id, 'reopened', 'major']],
      ],
    );
    assert.equal(messages[1]!.json.issues[0].previousSeverity, 'major');
  });

  it('repeat_interval tells what is still open again, until it is resolved', async () => {
    const ns = namespace();
    await subscribe(ns, {
      receivers: [webhook()],
      groupWait: '1s',
      groupInterval: '1s',
      repeatInterval: '10s',
    });
    const id = await report(ns, 'lasting');
    const brief = await report(ns, 'brief');
    await messagesOf(ns, 1);
    assert.equal((await api.post(`/api/v1/issues/${brief}/resolve`)).status, 200);
    await messagesOf(ns, 2);
    await messagesOf(ns, 3, 15_000);
    assert.equal((await api.post(`/api/v1/issues/${id}/resolve`)).status, 200);
    await messagesOf(ns, 4);
    await settle(11_000);
    assert.deepEqual(
      mine(ns).map((m) => m.json.issues.map((i: any) => i.transition).join(',')),
      ['opened,opened', 'resolved', 'still-open', 'resolved'],
    );
    assert.equal(mine(ns)[2]!.json.issues[0].issueId, id);
  });

  it("a silence made through the API mutes an issue's message until it ends", async () => {
    const ns = namespace();
    await subscribe(ns, { receivers: [webhook()], groupWait: '0s', groupInterval: '1s' });
    const endsAt = Date.now() + 4000;
    const silence = await api.post(`/api/v1/namespaces/${ns}/silences`, {
      matchers: { severity: 'major' },
      endsAt: new Date(endsAt).toISOString(),
      comment: 'known outage',
    });
    assert.equal(silence.status, 201, JSON.stringify(silence.body));
    const id = await report(ns, 'web');
    await settle(1500);
    assert.ok(Date.now() < endsAt, 'looked while the silence was still active');
    assert.equal(mine(ns).length, 0, 'nothing sent while silenced');
    const [message] = await messagesOf(ns, 1, 15_000);
    assert.ok(Date.now() >= endsAt, 'sent only once the silence had ended');
    assert.deepEqual(
      message!.json.issues.map((i: any) => [i.issueId, i.transition]),
      [[id, 'opened']],
    );
  });

  it('a repeated report of an open issue sends nothing', async () => {
    const ns = namespace();
    await subscribe(ns, { receivers: [webhook()], groupWait: '0s', groupInterval: '1s' });
    await report(ns, 'api');
    await messagesOf(ns, 1);
    for (let i = 0; i < 5; i++) await report(ns, 'api');
    await settle(1500);
    assert.equal(mine(ns).length, 1);
  });

  it('15 components failing within group_wait make one readable Slack message', async () => {
    const ns = namespace();
    await subscribe(ns, {
      receivers: [{ type: 'slack', url: { file: 'slack-url' } }],
      groupWait: '1s',
    });
    const ids = [];
    for (let i = 0; i < 15; i++) ids.push(await report(ns, `component-${i}`));
    const before = receiver.received.length;
    await receiver.waitFor(before + 1);
    await settle(1200);
    const slack = receiver.received.slice(before).filter((r) => r.path.includes(SLACK_TOKEN));
    assert.equal(slack.length, 1);
    const text: string = slack[0]!.json.text;
    assert.match(text, new RegExp(`^\\*15 issues opened in ${ns} \\(application=storefront\\)\\*`));
    assert.match(text, /\[major\] \*Build failed: component-0\* — opened/);
    assert.match(
      text,
      /build · component\/component-7 · <https:\/\/kite\.example\.com\/dash\/issues\//,
    );
    assert.match(text, /> step build exited 1\n> line two/);
    for (const id of ids) assert.ok(text.includes(`/dash/issues/${id}|dashboard>`));
  });

  it('a signed webhook carries a verifiable X-Kite-Signature-256 and the idempotency key', async () => {
    const ns = namespace();
    await subscribe(ns, {
      receivers: [webhook({ hmacSecret: { file: 'hmac' } })],
      groupWait: '0s',
    });
    const id = await report(ns, 'signed');
    const [message] = await messagesOf(ns, 1);
    const expected = `sha256=${createHmac('sha256', HMAC_KEY).update(message!.body).digest('hex')}`;
    assert.equal(message!.headers['x-kite-signature-256'], expected);
    assert.equal(message!.headers['content-type'], 'application/json');
    assert.equal(message!.headers['idempotency-key'], message!.json.id);
    assert.equal(message!.json.issues[0].issueId, id);
    assert.equal(message!.json.issues[0].url, `https://kite.example.com/dash/issues/${id}`);
  });

  it('a CloudEvents receiver gets a structured CloudEvents 1.0 event', async () => {
    const ns = namespace();
    await subscribe(ns, { receivers: [webhook({ format: 'cloudevents' })], groupWait: '0s' });
    const id = await report(ns, 'events');
    const [message] = await messagesOf(ns, 1);
    assert.equal(message!.headers['content-type'], 'application/cloudevents+json');
    const event = message!.json;
    assert.deepEqual(Object.keys(event).sort(), [
      'data',
      'datacontenttype',
      'id',
      'source',
      'specversion',
      'subject',
      'time',
      'type',
    ]);
    assert.equal(event.specversion, '1.0');
    assert.equal(event.id, message!.headers['idempotency-key']);
    assert.equal(event.source, `/api/v1/namespaces/${ns}/subscriptions/team`);
    assert.equal(event.type, 'dev.konflux-ci.kite.notification');
    assert.equal(event.subject, `namespace=${ns},application=storefront`);
    assert.ok(!Number.isNaN(Date.parse(event.time)));
    assert.equal(event.data.issues[0].issueId, id);
  });

  it('an e-mail receiver gets one mail through the SMTP server', async () => {
    const ns = namespace();
    await subscribe(ns, {
      receivers: [{ type: 'email', to: ['team@example.com', 'lead@example.com'] }],
      groupWait: '0s',
    });
    const before = smtp.mails.length;
    const id = await report(ns, 'mailed');
    const mails = (await smtp.waitFor(before + 1)).slice(before);
    await settle(300);
    assert.equal(smtp.mails.length, before + 1);
    assert.deepEqual(mails[0]!.to, ['team@example.com', 'lead@example.com']);
    assert.equal(mails[0]!.from, 'kite@example.com');
    assert.match(mails[0]!.data, new RegExp(`Subject: \\[KITE\\] 1 issue opened in ${ns}`));
    // The body is quoted-printable: soft line breaks joined again.
    const body = mails[0]!.data.replace(/=\r\n/g, '');
    assert.match(body, new RegExp(`Dashboard: https://kite.example.com/dash/issues/${id}`));
    assert.match(body, /step build exited 1\r\nline two/);
    assert.match(mails[0]!.data, /Idempotency-Key: [0-9a-f-]{36}/);
  });

  it('a receiver that keeps failing is retried, then dead, listed and counted', async () => {
    const ns = namespace();
    await subscribe(ns, {
      receivers: [{ type: 'slack', url: { file: 'slack-url' } }],
      groupWait: '0s',
    });
    receiver.answers.push(500, 502, 503);
    const before = receiver.received.length;
    await report(ns, 'flaky');
    await receiver.waitFor(before + 3);
    let dead: any;
    for (let i = 0; i < 100 && !dead?.items.length; i++) {
      dead = (await api.get(`/api/v1/namespaces/${ns}/notifications?state=dead`)).body;
      await settle(20);
    }
    assert.equal(dead.items.length, 1);
    const [item] = dead.items;
    assert.deepEqual(
      { ...item, id: typeof item.id, createdAt: typeof item.createdAt, issues: item.issues.length },
      {
        id: 'string',
        subscription: 'team',
        group: `namespace=${ns},application=storefront`,
        receiverType: 'slack',
        state: 'dead',
        attempts: 3,
        lastError: 'the receiver answered HTTP 503',
        createdAt: 'string',
        sentAt: null,
        nextAttemptAt: null,
        issues: 1,
      },
    );
    const metrics = await api.get('/metrics');
    assert.match(
      String(metrics.body),
      /kite_notification_failures_total\{receiver="slack",dead="true"\} 1/,
    );
  });

  it("a file secret is read from the subscription's own namespace folder only", async () => {
    const owner = namespace();
    const other = namespace();
    await subscribe(owner, { receivers: [webhook()], groupWait: '0s' });
    // `other` names the same file but the administrator gave it no folder of its own.
    const answer = await api.put(`/api/v1/namespaces/${other}/subscriptions/team`, {
      receivers: [webhook()],
      groupWait: '0s',
    });
    assert.equal(answer.status, 201);
    await report(owner, 'web');
    await report(other, 'web');
    await messagesOf(owner, 1);
    let dead: any;
    for (let i = 0; i < 200 && !dead?.items.length; i++) {
      dead = (await api.get(`/api/v1/namespaces/${other}/notifications?state=dead`)).body;
      await settle(20);
    }
    assert.equal(dead.items.length, 1);
    assert.match(dead.items[0].lastError, /file secret "webhook-url" cannot be read/);
    assert.equal(mine(other).length, 0, "another namespace's webhook URL was used");
  });

  it('a Slack URL appears in no API answer and no log line', async () => {
    const ns = namespace();
    const spec = { receivers: [{ type: 'slack', url: { file: 'slack-url' } }], groupWait: '0s' };
    await subscribe(ns, spec);
    receiver.answers.push(500, 500, 500);
    await report(ns, 'leaky');
    await settle(1000);
    const answers = [
      await api.get(`/api/v1/namespaces/${ns}/subscriptions`),
      await api.get(`/api/v1/namespaces/${ns}/subscriptions/team`),
      await api.get(`/api/v1/namespaces/${ns}/notifications`),
      await api.get('/metrics'),
    ];
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      assert.ok(!JSON.stringify(answer.body).includes(SLACK_TOKEN));
    }
    const logged = log.join('');
    assert.match(logged, /notification delivery will be retried/);
    assert.ok(!logged.includes(SLACK_TOKEN), 'the Slack URL was logged');
    assert.ok(!logged.includes(HMAC_KEY), 'the HMAC key was logged');
  });
});

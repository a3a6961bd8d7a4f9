/**
 * The dashboard's subscriptions in words and its create form as the API's spec: every
 * condition is named, secrets only by reference, blank fields are left to the server's
 * defaults, and Create/Delete follow `manage` when the server gives it, else `write`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NamespaceAccess, Subscription } from '../../src/client/types.js';
import {
  EMPTY_FORM,
  configMapOf,
  describeGroup,
  describeMatch,
  describeReceiver,
  describeTiming,
  mayManage,
  specOf,
} from '../../web/src/subscriptions.js';

describe('subscriptions in words', () => {
  it('names every condition of the match, and says when there is none', () => {
    assert.deepEqual(
      describeMatch({
        minSeverity: 'major',
        issueTypes: ['build', 'test', 'release'],
        application: 'storefront',
        component: 'web',
        labelSelector: 'env=prod,tier!=db',
      }),
      [
        'severity major or worse',
        'type build, test or release',
        'application storefront',
        'component web',
        'labels env=prod,tier!=db',
      ],
    );
    assert.deepEqual(describeMatch({ minSeverity: 'critical', issueTypes: ['build'] }), [
      'severity critical',
      'type build',
    ]);
    assert.deepEqual(describeMatch({}), ['every issue in the namespace']);
  });

  it('shows receivers by type and secret reference', () => {
    assert.equal(
      describeReceiver({ type: 'slack', url: { secret: { name: 'slack-hook', key: 'url' } } }),
      'Slack: Secret slack-hook, key url',
    );
    assert.equal(
      describeReceiver({ type: 'webhook', url: { file: 'hook' }, hmacSecret: { file: 'hmac' } }),
      'Webhook (json): file hook; signed with file hmac',
    );
    assert.equal(
      describeReceiver({ type: 'email', to: ['a@example.com', 'b@example.com'] }),
      'E-mail: a@example.com, b@example.com',
    );
  });

  it('says how deliveries are grouped, paced and repeated', () => {
    const subscription = {
      groupBy: ['namespace', 'component'],
      groupWait: '0s',
      groupInterval: '1m',
      repeatInterval: null,
    } as unknown as Subscription;
    assert.deepEqual(describeTiming(subscription), [
      'by namespace, component',
      'wait 0s, then at most every 1m',
      'not repeated',
    ]);
    assert.equal(
      describeTiming({ ...subscription, repeatInterval: '4h' })[2],
      'repeated every 4h while open',
    );
  });

  it("names a delivery's group by its fields, saying which are empty", () => {
    assert.equal(
      describeGroup('namespace=team-a,application=,severity=major'),
      'namespace team-a, no application, severity major',
    );
  });

  it('knows a ConfigMap subscription by its source', () => {
    assert.equal(configMapOf('configmap/team-a-notify'), 'team-a-notify');
    assert.equal(configMapOf('api'), undefined);
  });
});

describe('the create form', () => {
  it('leaves blank fields to the server and trims what is typed', () => {
    assert.deepEqual(
      specOf({ ...EMPTY_FORM, name: 'x', secretName: ' slack-hook ', secretKey: 'url ' }),
      { receivers: [{ type: 'slack', url: { secret: { name: 'slack-hook', key: 'url' } } }] },
    );
  });

  it('gives every field it was given', () => {
    assert.deepEqual(
      specOf({
        ...EMPTY_FORM,
        minSeverity: 'minor',
        issueTypes: ['build'],
        application: 'storefront',
        component: 'web',
        labelSelector: 'env=prod',
        receiverType: 'webhook',
        secretName: 'hook',
        secretKey: 'url',
        format: 'cloudevents',
        groupWait: '10s',
      }),
      {
        match: {
          minSeverity: 'minor',
          issueTypes: ['build'],
          application: 'storefront',
          component: 'web',
          labelSelector: 'env=prod',
        },
        receivers: [
          { type: 'webhook', url: { secret: { name: 'hook', key: 'url' } }, format: 'cloudevents' },
        ],
        groupWait: '10s',
      },
    );
  });

  it('sends e-mail to each address, split at commas and spaces, and nothing else', () => {
    assert.deepEqual(
      specOf({
        ...EMPTY_FORM,
        receiverType: 'email',
        secretName: 'left-over',
        to: ' a@example.com, b@example.com  c@example.com,',
      }).receivers,
      [{ type: 'email', to: ['a@example.com', 'b@example.com', 'c@example.com'] }],
    );
  });
});

describe('who may create and delete', () => {
  const access = (rights: object) => ({ namespace: 'a', read: true, ...rights }) as NamespaceAccess;
  it('follows manage when the server gives it, whatever write says', () => {
    assert.equal(mayManage(access({ write: true, manage: false })), false);
    assert.equal(mayManage(access({ write: false, manage: true })), true);
  });
  it('falls back to write from a server without manage', () => {
    assert.equal(mayManage(access({ write: true })), true);
    assert.equal(mayManage(access({ write: false })), false);
  });
});

/**
 * Reads a receiver's secret (a webhook URL, an HMAC key) when a message is sent: from a
 * Kubernetes Secret in the subscription's own namespace, or from a file the
 * administrator put for that namespace under KITE_RECEIVER_SECRETS_DIR/<namespace>/.
 *
 * Threat model: a subscription is written by anyone who may `manage` its namespace, so it
 * must not become a way to read secrets. Only the subscription's namespace is read, and
 * only a Secret labelled `kite.konflux-ci.dev/receiver=true` (someone chose to hand it to
 * KITE); a file reference is a bare name (the schema refuses separators), read in the
 * folder of the subscription's namespace only, so one namespace cannot send with
 * another's webhook URL. A value is never stored, returned, logged or put in an error: the
 * errors name the reference only.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiException, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { RECEIVER_SECRET_LABEL, type SecretRef } from '../domain/subscription.js';
import { withDeadline } from '../kube/deadline.js';

/** A delivery failure whose message is safe to store and show (no secret, no URL). */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    /** Whether trying again later may succeed (a 5xx, a timeout) or not (a 4xx, a bad secret). */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export type SecretResolver = (namespace: string, ref: SecretRef) => Promise<string>;

export interface SecretSources {
  /** KITE_RECEIVER_SECRETS_DIR; absent: file references fail. */
  dir: string | undefined;
  /** The server's own cluster configuration; absent: Secret references fail. */
  kubeConfig: KubeConfig | undefined;
  timeoutMs: number;
}

export function createSecretResolver(sources: SecretSources): SecretResolver {
  const core = sources.kubeConfig?.makeApiClient(CoreV1Api);
  const deadline = { timeoutMs: sources.timeoutMs, dependency: 'the Kubernetes API' };
  return async (namespace, ref) => {
    if (ref.file !== undefined) {
      if (!sources.dir) {
        throw new DeliveryError(
          `file secret "${ref.file}": KITE_RECEIVER_SECRETS_DIR is not set`,
          false,
        );
      }
      try {
        return (await readFile(join(sources.dir, namespace, ref.file), 'utf8')).trim();
      } catch {
        throw new DeliveryError(
          `file secret "${ref.file}" cannot be read (KITE_RECEIVER_SECRETS_DIR/${namespace}/${ref.file})`,
          true,
        );
      }
    }
    const { name, key } = ref.secret ?? { name: '', key: '' };
    if (!core) {
      throw new DeliveryError(
        `secret ${name}: the server has no Kubernetes configuration to read it with`,
        false,
      );
    }
    let secret;
    try {
      secret = await withDeadline(deadline, 'Secret read', (o) =>
        core.readNamespacedSecret({ name, namespace }, o),
      );
    } catch (error) {
      if (error instanceof ApiException && (error.code === 404 || error.code === 403)) {
        throw new DeliveryError(
          `secret ${name} in ${namespace} ${error.code === 404 ? 'does not exist' : 'may not be read by the server'}`,
          true,
        );
      }
      throw new DeliveryError(`secret ${name} in ${namespace} cannot be read now`, true);
    }
    if (secret.metadata?.labels?.[RECEIVER_SECRET_LABEL] !== 'true') {
      throw new DeliveryError(
        `secret ${name} in ${namespace} is not labelled ${RECEIVER_SECRET_LABEL}=true`,
        false,
      );
    }
    const data = secret.data?.[key] ?? undefined;
    if (data === undefined) {
      throw new DeliveryError(`secret ${name} in ${namespace} has no key "${key}"`, false);
    }
    return Buffer.from(data, 'base64').toString('utf8').trim();
  };
}

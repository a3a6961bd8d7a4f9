/**
 * Deadlines for calls to the Kubernetes API (and KubeArchive, which speaks it). A slow or
 * hung API server must not hold KITE's requests open: each call is aborted after the
 * configured time and answered 503 naming the dependency, like an unreachable one
 * (fail closed: a permission that cannot be checked is refused).
 *
 * Streams (pod logs) are bounded only until their response headers arrive: a live log
 * may legitimately run for hours once it has started.
 */
import {
  ApiException,
  Observable,
  type ConfigurationOptions,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { UnavailableError } from '../domain/errors.js';

export interface Deadline {
  /** How long one call may take, in milliseconds. */
  timeoutMs: number;
  /** What the 503 names: "the Kubernetes API", "KubeArchive". */
  dependency: string;
}

/**
 * Runs `call` with request options that abort it at the deadline. A timeout or a failed
 * connection becomes an UnavailableError naming the dependency; an HTTP answer (an
 * ApiException: 404, 403, …) is the caller's to interpret and passes through.
 */
export async function withDeadline<T>(
  deadline: Deadline,
  what: string,
  call: (options: ConfigurationOptions) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deadline.timeoutMs);
  const options: ConfigurationOptions = {
    middleware: [
      {
        pre: (context: RequestContext) => {
          context.setSignal(controller.signal);
          return new Observable(Promise.resolve(context));
        },
        post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
  try {
    return await call(options);
  } catch (error) {
    if (error instanceof ApiException) throw error;
    throw unavailable(deadline, what, controller.signal.aborted, error);
  } finally {
    clearTimeout(timer);
  }
}

export function unavailable(
  deadline: Deadline,
  what: string,
  timedOut: boolean,
  cause?: unknown,
): UnavailableError {
  const reason = timedOut
    ? `did not answer within ${formatMs(deadline.timeoutMs)}`
    : 'could not be reached';
  return new UnavailableError(
    `${capitalize(deadline.dependency)} ${reason} (${what}). Try again later.`,
    {
      cause,
    },
  );
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
const formatMs = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/**
 * What one live event stream may still deliver. A stream is long-lived, so the rights it
 * was opened with must not outlive a revocation: every delivery (of a tick's changes in
 * one namespace) asks the same cached access check a REST read would, so a stream stops
 * delivering a namespace no later than REST refuses it; and every auth cache TTL the
 * whole scope is re-checked, the caller's token included, so a quiet stream notices too.
 * Anything dropped is announced to the client; a stream with nothing left, a token no
 * longer valid, or rights that cannot be checked (fail closed) is ended.
 */
import type { FastifyRequest } from 'fastify';
import type { AccessControl, Caller } from '../auth/access.js';

/** `all`: every namespace (a cluster-wide reader who named none). */
export type StreamScope = Set<string> | 'all';

/** What the stream tells its client. `*` in `dropped` stands for "every namespace". */
export type RightsNotice =
  { kind: 'dropped'; dropped: string[]; remaining: string[] } | { kind: 'ended'; reason: string };

export interface StreamRights {
  /** Whether a change in `namespace` may be delivered now; may narrow the scope first. */
  mayDeliver(namespace: string): Promise<boolean>;
  /**
   * The same answer when it is known without asking: false outside the scope, true when
   * the access check holds a fresh allowance; undefined otherwise (ask `mayDeliver`,
   * which also narrows the scope and announces it on a refusal).
   */
  mayDeliverNow(namespace: string): boolean | undefined;
  /** Re-checks every namespace of the scope (and the caller's token). */
  recheck(): Promise<void>;
}

const TOLD = new Set(['UnauthenticatedError', 'UnavailableError', 'NotAllowedError', 'InputError']);

export function streamRights(options: {
  access: AccessControl;
  request: FastifyRequest;
  caller: Caller;
  /** The namespaces the client named (each checked), or all it may read. */
  scope: StreamScope;
  notify: (notice: RightsNotice) => void;
}): StreamRights {
  const { access, request, notify } = options;
  let caller = options.caller;
  let scope = options.scope;
  let ended = false;

  const end = (reason: string) => {
    if (ended) return;
    ended = true;
    notify({ kind: 'ended', reason });
  };

  const narrowTo = (kept: string[], dropped: string[]) => {
    if (dropped.length === 0) return;
    scope = new Set(kept);
    notify({ kind: 'dropped', dropped, remaining: [...kept].sort() });
    if (kept.length === 0) end('no namespace of this stream is readable any more');
  };

  /** Runs a check; when rights cannot be checked or the caller is no longer valid, ends. */
  const checked = async <T>(check: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await check();
    } catch (error) {
      // Access errors carry messages meant for callers; anything else stays inside.
      const told = error instanceof Error && TOLD.has(error.name);
      end(told ? error.message : 'permissions could not be checked');
      return undefined;
    }
  };

  const recheck = async () => {
    if (ended) return;
    const now = await checked(() => access.authenticate(request));
    if (now === undefined) return;
    caller = now;
    if (scope === 'all') {
      const readable = await checked(() => access.readableNamespaces(caller));
      if (readable === undefined || readable === 'all') return;
      scope = new Set(readable);
      notify({ kind: 'dropped', dropped: ['*'], remaining: [...readable].sort() });
      if (readable.length === 0) end('no namespace of this stream is readable any more');
      return;
    }
    const names = [...scope];
    const answers = await checked(() =>
      Promise.all(names.map((namespace) => access.allowed(caller, 'read', namespace))),
    );
    if (answers === undefined) return;
    narrowTo(
      names.filter((_, i) => answers[i]),
      names.filter((_, i) => !answers[i]),
    );
  };

  return {
    recheck,
    mayDeliverNow(namespace) {
      if (ended || (scope !== 'all' && !scope.has(namespace))) return false;
      return access.cachedAllowed(caller, 'read', namespace) === true ? true : undefined;
    },
    async mayDeliver(namespace) {
      if (ended) return false;
      if (scope !== 'all' && !scope.has(namespace)) return false;
      const allowed = await checked(() => access.allowed(caller, 'read', namespace));
      if (allowed === undefined) return false;
      if (allowed) return true;
      // Refused now: the rest of the scope is stale too, most likely.
      await recheck();
      if (scope === 'all') return false;
      if (scope.has(namespace))
        narrowTo(
          [...scope].filter((name) => name !== namespace),
          [namespace],
        );
      return false;
    },
  };
}

/**
 * The dashboard's one way to the API: the project's typed client (src/client/), with URLs
 * relative to the page's base (so a path prefix just works) and the bearer token the user
 * pasted, kept in sessionStorage only (gone when the tab closes). Behind a console or
 * OAuth proxy there is no pasted token: the proxy adds the user's.
 */
import { QueryCache, QueryClient } from '@tanstack/react-query';
import { KiteClient } from '../../src/client/client.js';
import { KiteApiError, KiteTransportError } from '../../src/client/errors.js';

export { KiteApiError, KiteTransportError };

const TOKEN_KEY = 'kite.token';

export const token = {
  get: (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined,
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value.trim()),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** `none` when the server runs with --auth-mode none (set in index.html by the server). */
export const authMode =
  document.querySelector<HTMLMetaElement>('meta[name="kite-auth-mode"]')?.content || 'token';

export const kite = new KiteClient({
  baseUrl: document.baseURI,
  token: () => token.get(),
  timeoutMs: 20_000,
  retries: 1,
  // The browser's fetch must be called unbound from an object (else "Illegal invocation").
  fetch: (input, init) => fetch(input, init),
});

/**
 * The API's last 401, if it answered one: the app then asks for a token instead of
 * showing its views. Any query may be the first to learn it, so views start at once
 * rather than after a request that only checks who we are.
 */
export const unauthorized = (() => {
  let error: unknown;
  const listeners = new Set<() => void>();
  const set = (value: unknown) => {
    if (value === error) return;
    error = value;
    for (const listener of listeners) listener();
  };
  return {
    current: () => error,
    set,
    clear: () => set(undefined),
    subscribe: (listener: () => void) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
})();

export const queryClient = new QueryClient({
  queryCache: new QueryCache({
    onError: (error) => {
      if (isUnauthorized(error)) unauthorized.set(error);
    },
  }),
  defaultOptions: {
    queries: {
      // The client already retries where it is safe (429, 503, a lost connection).
      retry: false,
      refetchOnWindowFocus: false,
      staleTime: 15_000,
    },
  },
});

/** "401 Unauthorized: …": the status first, then the server's own message. */
export function describeError(error: unknown): { status?: number; message: string } {
  if (error instanceof KiteApiError) return { status: error.status, message: error.message };
  if (error instanceof KiteTransportError) {
    return {
      message:
        error.kind === 'timeout'
          ? 'The server did not answer in time'
          : `The server could not be reached (${error.message})`,
    };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

export const isUnauthorized = (error: unknown) =>
  error instanceof KiteApiError && error.status === 401;

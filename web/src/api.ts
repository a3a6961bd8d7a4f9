/**
 * The dashboard's one way to the API: the project's typed client (src/client/), with URLs
 * relative to the page's base (so a path prefix just works) and the bearer token the user
 * pasted, kept in sessionStorage only (gone when the tab closes). Behind a console or
 * OAuth proxy there is no pasted token: the proxy adds the user's.
 */
import { QueryClient } from '@tanstack/react-query';
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

export const queryClient = new QueryClient({
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

/**
 * A failed call as the assistant reads it: a tool result with `isError` and one sentence
 * saying what happened and what to do next (MCP: errors the model can act on are tool
 * results, not protocol errors). The server's own message is kept; a token never is (the
 * client's errors do not carry it). Anything unexpected is a fault and is thrown.
 */
import { KiteApiError, KiteTransportError } from '../client/errors.js';

/** A failure worth telling the assistant, or undefined for a fault to throw. */
export function toolErrorText(error: unknown): string | undefined {
  if (error instanceof KiteApiError) {
    const said = error.message;
    switch (error.status) {
      case 400:
        return `The KITE server refused the arguments: ${said}. Fix them and call again.`;
      case 401:
        return `The KITE server did not accept your identity (${said}). Check the token or kubeconfig the MCP server uses.`;
      case 403:
        return `Not allowed: ${said}. Your Kubernetes permissions do not cover this; ask an owner of the namespace.`;
      case 404:
        return `Not found: ${said}. It does not exist, or you may not read it.`;
      case 409:
        return `Conflict: ${said}.`;
      case 429:
        return `Too many requests: ${said}. Wait, then call again.`;
      case 503:
        return `KITE cannot answer now (${said}); nothing was changed. Try again shortly.`;
      default:
        return `The KITE server answered ${error.status}: ${said}.`;
    }
  }
  if (error instanceof KiteTransportError) {
    return error.kind === 'timeout'
      ? `The KITE server did not answer in time (${error.message}). Try again, or ask for less.`
      : `Cannot reach the KITE server (${error.message}).`;
  }
  return undefined;
}

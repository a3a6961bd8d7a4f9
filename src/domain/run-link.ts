/**
 * A KITE run-logs link (`…/api/v1/mintmaker/runs/<run>/logs[?runNamespace=…]`, which the
 * operator and KITE itself put on MintMaker issues) read back into the run it names, for
 * every reader that opens an issue's log: the dashboard and the MCP server. Pure.
 */

const RUN_LOGS = /\/api\/v1\/mintmaker\/runs\/([^/?#]+)\/logs(?:\?(.*))?$/;

/** The run (and where it ran) a link points at, if it is a KITE run-logs link. */
export function runOfLink(url: string): { run: string; runNamespace?: string } | undefined {
  const found = RUN_LOGS.exec(url);
  if (!found) return undefined;
  let run: string;
  try {
    run = decodeURIComponent(found[1]!);
  } catch {
    return undefined;
  }
  const runNamespace = new URLSearchParams(found[2] ?? '').get('runNamespace') ?? undefined;
  return { run, ...(runNamespace ? { runNamespace } : {}) };
}

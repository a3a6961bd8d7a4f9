/** Content negotiation for response bodies KITE compresses itself. */

/**
 * Whether an Accept-Encoding header accepts gzip: named (or `*`, when gzip is not named)
 * with a quality above 0 (RFC 9110 §12.5.3).
 */
export function acceptsGzip(header: string | undefined): boolean {
  let star = false;
  for (const entry of (header ?? '').split(',')) {
    const [name = '', ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    const accepted = q === undefined || Number(q.slice(2)) > 0;
    if (name === 'gzip' || name === 'x-gzip') return accepted;
    if (name === '*') star = accepted;
  }
  return star;
}

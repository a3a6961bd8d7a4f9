/** A link from an issue (user data): followed only when http(s), opened with rel=noopener. */

/**
 * A link target the dashboard may render: an absolute http(s) URL, or a path on this
 * server (KITE's own links, e.g. a run's logs). Anything else (javascript:, data:) is
 * shown as text only.
 */
function safeHref(url: string): string | undefined {
  if (/^\/(?![/\\])/.test(url)) return new URL(url.slice(1), document.baseURI).href;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

export function SafeLink({ url, title }: { url: string; title: string }) {
  const target = safeHref(url);
  if (!target) return <span title="not an http(s) link: shown as text">{title}</span>;
  return (
    <a href={target} target="_blank" rel="noopener noreferrer">
      {title}
    </a>
  );
}

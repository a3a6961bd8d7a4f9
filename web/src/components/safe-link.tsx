/** A link from an issue (user data): followed only when http(s), opened with rel=noopener. */
import { safeHref } from '../format.js';

export function SafeLink({ url, title }: { url: string; title: string }) {
  const target = safeHref(url);
  if (!target) return <span title="not an http(s) link: shown as text">{title}</span>;
  return (
    <a href={target} target="_blank" rel="noopener noreferrer">
      {title}
    </a>
  );
}

/**
 * The dashboard's routes as paths under the page's `<base href>` (the server sets it to
 * KITE_PUBLIC_URL's path, so the dashboard works under a console proxy prefix): a few
 * lines over the History API instead of a router library. The server answers every
 * such path with index.html (src/api/web-app.ts), so a reload or a shared URL opens the
 * same view with the same filters.
 */
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** The base path, always ending with "/" (e.g. "/" or "/api/proxy/plugin/kite/kite/"). */
export const basePath = new URL(document.baseURI).pathname.replace(/\/*$/, '/');

/** The element that scrolls (PatternFly's main container), by its id. */
export const MAIN_ID = 'kite-main';

const CHANGED = 'kite:location';
const subscribe = (onChange: () => void) => {
  window.addEventListener('popstate', onChange);
  window.addEventListener(CHANGED, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(CHANGED, onChange);
  };
};
const snapshot = () => window.location.pathname + window.location.search;

export interface Location {
  /** The path below the base, without leading slash: "", "issues", "issues/<id>". */
  path: string;
  search: URLSearchParams;
}

export function useLocation(): Location {
  const current = useSyncExternalStore(subscribe, snapshot);
  const url = new URL(current, window.location.origin);
  const path = url.pathname.startsWith(basePath)
    ? url.pathname.slice(basePath.length)
    : url.pathname.replace(/^\//, '');
  return { path: decodeURIComponent(path.replace(/\/+$/, '')), search: url.searchParams };
}

/** The URL of a route ("issues?severity=major") under the base path. */
export const href = (to: string) => basePath + to.replace(/^\//, '');

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = href(to);
  if (url === snapshot()) return;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new Event(CHANGED));
  if (!options.replace) document.getElementById(MAIN_ID)?.scrollTo(0, 0);
}

/** An anchor to a route: a real href (open in a new tab works), navigated in place on click. */
export function Link({
  to,
  ...props
}: { to: string } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'>) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    props.onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a {...props} href={href(to)} onClick={onClick} />;
}

/** Matches "issues/:id" against a path; the named parts, or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const have = path.split('/');
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const value = have[i] ?? '';
    if (part.startsWith(':')) {
      if (!value) return undefined;
      params[part.slice(1)] = value;
    } else if (part !== value) return undefined;
  }
  return params;
}

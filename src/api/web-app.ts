/**
 * The dashboard (web/, built by Vite into dist/web) served beside the API:
 * - `/assets/…`: content-hashed files, cached for a year as `immutable` (a new build has
 *   new names), gzip-compressed copies sent to callers that accept them;
 * - `/` and every other path outside `/api/` and `/assets/`: index.html, never cached, so
 *   a reload of `/issues?severity=major` opens the dashboard on that view. Its
 *   `<base href>` is the path users reach KITE at (`KITE_PUBLIC_URL`'s path, e.g. a
 *   console proxy prefix), which every asset and API URL of the dashboard is relative to;
 * - a Content-Security-Policy that allows no inline script, no other origin.
 * See docs/dashboard.md and docs/decisions/0040-dashboard-served-by-kite.md.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

export interface WebAppOptions {
  /** The built dashboard (index.html and assets/); absent or unbuilt: `/` says so. */
  root: string | undefined;
  /** `KITE_PUBLIC_URL`: its path is where the dashboard lives for its users. */
  publicUrl?: string | undefined;
  /** `--auth-mode none`: the dashboard shows the anonymous development mode banner. */
  anonymous: boolean;
}

/** index.html's placeholders, filled per server (web/index.html). */
const BASE_TAG = '<base href="/" />';
const AUTH_TAG = '<meta name="kite-auth-mode" content="" />';

export function basePathOf(publicUrl: string | undefined): string {
  return publicUrl ? new URL(publicUrl).pathname.replace(/\/*$/, '/') : '/';
}

const escapeAttribute = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export const webAppRoutes: FastifyPluginAsync<WebAppOptions> = async (app, options) => {
  const indexFile = options.root && join(options.root, 'index.html');
  if (!options.root || !indexFile || !existsSync(indexFile)) {
    app.get('/', { schema: { hide: true } }, (_request, reply) =>
      reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send('The dashboard is not built: run `npm run build` (the API is under /api/v1).\n'),
    );
    return;
  }
  const html = readFileSync(indexFile, 'utf8')
    .replace(BASE_TAG, `<base href="${escapeAttribute(basePathOf(options.publicUrl))}" />`)
    .replace(
      AUTH_TAG,
      `<meta name="kite-auth-mode" content="${options.anonymous ? 'none' : 'token'}" />`,
    );

  await app.register(fastifyStatic, {
    root: join(options.root, 'assets'),
    prefix: '/assets/',
    index: false,
    decorateReply: false,
    immutable: true,
    maxAge: '365d',
    preCompressed: true,
    setHeaders: (response) => {
      response.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
      response.setHeader('vary', 'accept-encoding');
    },
  });

  const sendIndex = (reply: FastifyReply) =>
    reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .type('text/html; charset=utf-8')
      .send(html);

  // Pages, not API operations: kept out of the OpenAPI document.
  const page = { schema: { hide: true } };
  app.get('/', page, (_request, reply) => sendIndex(reply));
  // The dashboard's own routes (/issues, /issues/<id>, /runs, …): the client renders them.
  app.get('/*', page, (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (path.startsWith('/api/') || path.startsWith('/assets/')) return reply.callNotFound();
    return sendIndex(reply);
  });
};

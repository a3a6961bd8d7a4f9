/**
 * The package's name, description and version, read from package.json: for `kite
 * --version` and the server's `/api/v1/version`. Its own module so the CLI's client
 * commands get it without loading the server.
 */
import { readFileSync } from 'node:fs';
import type { VersionInfo } from './api/routes/health.js';

export function versionInfo(): VersionInfo {
  const pkg = JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  ) as VersionInfo;
  return { name: pkg.name, description: pkg.description, version: pkg.version };
}

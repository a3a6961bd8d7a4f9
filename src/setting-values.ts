/**
 * The value syntaxes of settings (durations, sizes, integers, lists, URLs, switches, the
 * auth mode), shared by `kite serve` (config.ts) and `kite operator` (operator-config.ts).
 * Each refuses a bad value with an InputError naming the setting.
 */
import { isIP } from 'node:net';
import { InputError } from './domain/errors.js';
import { isClusterName } from './domain/place.js';

/** A comma-separated list; undefined when not given or empty. */
export function list(text: string | undefined): string[] | undefined {
  const items = (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return items.length ? items : undefined;
}

export function trustedProxies(text: string | undefined): string[] {
  const addresses = list(text) ?? [];
  for (const address of addresses) {
    if (isIP(address) === 0) {
      throw new InputError(
        `KITE_TRUSTED_PROXIES must be IP addresses separated by commas, got "${address}"`,
      );
    }
  }
  return addresses;
}

/**
 * The public base URL (`KITE_PUBLIC_URL` / the operator's `publicUrl`): an http(s) URL
 * with a host, no query or fragment; kept without its trailing slashes.
 */
export function publicUrl(name: string, text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || !url.host || url.search || url.hash) {
    throw new InputError(
      `${name} must be an http(s):// URL without a query or fragment, e.g. https://console.example.com/api/k8s/plugins/kite, got "${text}"`,
    );
  }
  return text.replace(/\/+$/, '');
}

export function kubearchiveUrl(url: string | undefined): string | undefined {
  if (url === undefined || url === '') return undefined;
  if (!/^https?:\/\/[^/]+/.test(url)) {
    throw new InputError(`KITE_KUBEARCHIVE_URL must be an http(s):// URL, got "${url}"`);
  }
  return url.replace(/\/+$/, '');
}

/** A comma-separated list of user names (or `*`), none of them empty. */
export function userList(name: string, text: string): string[] {
  const names = text.split(',').map((entry) => entry.trim());
  if (names.some((entry) => entry === '')) {
    throw new InputError(`${name} must be user names separated by commas (or *), got "${text}"`);
  }
  return names;
}

export function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InputError(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `90s`, `15m`, `12h`, `30d` (or a bare number of seconds). */
export function duration(name: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  const unit = DURATION_UNITS[match?.[2] ?? 's'];
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw new InputError(`${name} must be a duration such as 90s, 15m, 12h or 30d, got "${text}"`);
  }
  return Math.round(Number(match[1]) * unit);
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  k: 1000,
  ki: 1024,
  m: 1e6,
  mi: 1024 ** 2,
  g: 1e9,
  gi: 1024 ** 3,
};

/** Kubernetes-style quantities: `1048576`, `512Ki`, `1Mi`, `2M`. */
export function byteSize(text: string, name = 'size'): number {
  const match = /^(\d+)\s*([kmg]i?)?b?$/i.exec(text.trim());
  const unit = SIZE_UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw new InputError(`${name} must be a size such as 1048576, 512Ki or 1Mi, got "${text}"`);
  }
  return Number(match[1]) * unit;
}

export function boolean(name: string, text: string): boolean {
  if (text === 'true' || text === 'false') return text === 'true';
  throw new InputError(`${name} must be true or false, got "${text}"`);
}

export function onOff(name: string, text: string): boolean {
  if (text === 'on' || text === 'off') return text === 'on';
  throw new InputError(`${name} must be on or off, got "${text}"`);
}

/** Never echoed in the error: the URL may carry a password. */
export function smtpUrl(name: string, text: string | undefined): string | undefined {
  if (text !== undefined && !/^smtps?:\/\/[^\s]+$/i.test(text)) {
    throw new InputError(`${name} must be an smtp:// or smtps:// URL`);
  }
  return text;
}

export function authMode(name: string, text: string): 'kubernetes' | 'none' | 'auto' {
  if (text === 'kubernetes' || text === 'none' || text === 'auto') return text;
  throw new InputError(`${name} must be kubernetes, none or auto, got "${text}"`);
}

/** `0`, or a duration up to a second: a longer wait would only hold answers back. */
export function batchWindow(name: string, text: string): number {
  if (text.trim() === '0') return 0;
  const ms = duration(name, text);
  if (ms > 1000) throw new InputError(`${name} must be 0 or at most 1s, got "${text}"`);
  return ms;
}

/** A cluster name (KITE_CLUSTER_NAME): a Kubernetes label, as namespace names are. */
export function clusterName(env: string, value: string): string {
  if (!isClusterName(value)) {
    throw new InputError(
      `${env} must be a cluster name (lowercase letters, digits and "-", at most 63 characters), got "${value}"`,
    );
  }
  return value;
}

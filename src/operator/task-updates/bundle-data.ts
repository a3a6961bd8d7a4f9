/**
 * The acceptable task bundles: Konflux's `data-acceptable-bundles`, the list Conforma
 * (Enterprise Contract) judges builds against. Per bundle repository (the reference
 * without tag and digest), the digests that are acceptable, each with its tag and, once
 * a newer digest replaced it, the day it stops being acceptable (`expires_on`):
 *
 *   task-bundles:
 *     quay.io/konflux-ci/tekton-catalog/task-buildah:
 *       - { digest: "sha256:…", tag: "0.5", effective_on: "2026-11-20T00:00:00Z" }
 *       - { digest: "sha256:…", tag: "0.4", effective_on: "2026-10-01T00:00:00Z",
 *           expires_on: "2027-01-15T00:00:00Z" }
 *
 * Other top-level keys (`pipeline-bundles`, `trusted_tasks`, `required-tasks`, …) are
 * ignored. Parsing is strict about what is read: an unreadable document must never be
 * taken for an empty one (that would look like "nothing acceptable").
 */
import { parse as parseYaml } from 'yaml';

export interface AcceptableBundle {
  digest: string;
  tag: string | undefined;
  effectiveOn: string | undefined;
  /** When this digest stops being acceptable; absent: it is current. */
  expiresOn: string | undefined;
}

/** Acceptable digests by bundle repository. */
export type BundleData = ReadonlyMap<string, readonly AcceptableBundle[]>;

export class BundleDataError extends Error {}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Reads the YAML (or JSON) document; throws BundleDataError when it is not the shape. */
export function parseBundleData(text: string): BundleData {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new BundleDataError(`not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const bundles = (document as Record<string, unknown> | null)?.['task-bundles'];
  if (typeof bundles !== 'object' || bundles === null || Array.isArray(bundles)) {
    throw new BundleDataError('no "task-bundles" map');
  }
  const data = new Map<string, AcceptableBundle[]>();
  for (const [repository, entries] of Object.entries(bundles)) {
    if (!Array.isArray(entries)) {
      throw new BundleDataError(`task-bundles["${repository}"] is not a list`);
    }
    data.set(
      repository,
      entries.map((entry: unknown, index) => {
        const e = (entry ?? {}) as Record<string, unknown>;
        const where = `task-bundles["${repository}"][${index}]`;
        if (typeof e.digest !== 'string' || !DIGEST.test(e.digest)) {
          throw new BundleDataError(`${where}: digest must be sha256:<64 hex>`);
        }
        return {
          digest: e.digest,
          tag: optionalText(e.tag, `${where}.tag`),
          effectiveOn: optionalDate(e.effective_on, `${where}.effective_on`),
          expiresOn: optionalDate(e.expires_on, `${where}.expires_on`),
        };
      }),
    );
  }
  return data;
}

function optionalText(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  throw new BundleDataError(`${where} must be text`);
}

function optionalDate(value: unknown, where: string): string | undefined {
  // YAML reads an unquoted timestamp as text here (the yaml package's core schema).
  const text = value instanceof Date ? value.toISOString() : optionalText(value, where);
  if (text === undefined) return undefined;
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new BundleDataError(`${where} is not a date: "${text}"`);
  return new Date(time).toISOString();
}

/** A bundle reference split: `quay.io/…/task-buildah:0.4@sha256:…`. */
export interface BundleRef {
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

export function parseBundleRef(reference: string): BundleRef {
  const [name = '', digest] = reference.split('@', 2);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const tagged = colon > slash;
  return {
    repository: tagged ? name.slice(0, colon) : name,
    tag: tagged ? name.slice(colon + 1) : undefined,
    digest: digest && DIGEST.test(digest) ? digest : undefined,
  };
}

/** What the data says of one bundle in use. */
export type BundleVerdict =
  | { state: 'current'; version: string | undefined }
  | {
      state: 'outdated';
      version: string | undefined;
      /** When the digest in use stops being acceptable. */
      dueAt: string;
      /** The newest acceptable version, when it is not the one in use. */
      newVersion: string | undefined;
    }
  /** Not in the data (an unknown repository or digest): nothing to say either way. */
  | { state: 'unknown' };

export function judgeBundle(data: BundleData, reference: string): BundleVerdict {
  const ref = parseBundleRef(reference);
  const entries = data.get(ref.repository);
  const used = ref.digest ? entries?.find((e) => e.digest === ref.digest) : undefined;
  if (!entries || !used) return { state: 'unknown' };
  const version = ref.tag ?? used.tag;
  if (!used.expiresOn) return { state: 'current', version };
  const newest = newestVersion(entries);
  return {
    state: 'outdated',
    version,
    dueAt: used.expiresOn,
    newVersion: newest !== undefined && newest !== version ? newest : undefined,
  };
}

/** The highest tag among the digests that do not expire. */
function newestVersion(entries: readonly AcceptableBundle[]): string | undefined {
  const tags = entries.filter((e) => !e.expiresOn && e.tag).map((e) => e.tag as string);
  return tags.sort(compareVersions).at(-1);
}

/** `0.10` after `0.9`: dotted numbers compared as numbers, anything else as text. */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.');
  const right = b.split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const x = left[i] ?? '';
    const y = right[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    const order =
      x !== '' && y !== '' && Number.isFinite(nx) && Number.isFinite(ny)
        ? nx - ny
        : x.localeCompare(y);
    if (order !== 0) return order;
  }
  return 0;
}

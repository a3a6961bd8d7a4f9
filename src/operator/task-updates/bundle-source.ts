/**
 * Where the acceptable bundles come from: a file (a mounted ConfigMap, a volume an
 * OCI-pulling sidecar fills) or a ConfigMap read through the Kubernetes API
 * (`namespace/name/key`), read again every refresh. Data that cannot be read or parsed
 * is logged and counted, and the last good data is kept: an issue is never opened nor
 * resolved on missing data.
 */
import { readFile } from 'node:fs/promises';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { InputError } from '../../domain/errors.js';
import { describe } from '../leader.js';
import { parseBundleData, type BundleData } from './bundle-data.js';

export type BundleLocation =
  { file: string } | { configMap: { namespace: string; name: string; key: string } };

/** `namespace/name/key` of a ConfigMap, as the setting gives it. */
export function configMapLocation(text: string): BundleLocation {
  const parts = text.split('/');
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    throw new InputError(
      `the task bundles ConfigMap must be namespace/name/key (e.g. konflux-info/acceptable-bundles/data.yaml), got "${text}"`,
    );
  }
  const [namespace = '', name = '', key = ''] = parts;
  return { configMap: { namespace, name, key } };
}

export const describeLocation = (location: BundleLocation) =>
  'file' in location
    ? location.file
    : `ConfigMap ${location.configMap.namespace}/${location.configMap.name} key ${location.configMap.key}`;

export type LoadResult = 'loaded' | 'unchanged' | 'failed';

export class BundleSource {
  private text: string | undefined;
  private current: BundleData | undefined;
  private readonly core: CoreV1Api | undefined;

  constructor(
    private readonly location: BundleLocation,
    kc: KubeConfig,
    private readonly options: { log: Logger; count(result: LoadResult): void },
  ) {
    this.core = 'configMap' in location ? kc.makeApiClient(CoreV1Api) : undefined;
  }

  /** The last good data; undefined until a first good read. */
  get data(): BundleData | undefined {
    return this.current;
  }

  /** Reads the data again; `loaded` when it changed (and is good). */
  async refresh(): Promise<LoadResult> {
    let result: LoadResult;
    try {
      const text = await this.read();
      if (text === this.text) {
        result = 'unchanged';
      } else {
        this.current = parseBundleData(text);
        this.text = text;
        result = 'loaded';
        this.options.log.info(
          { source: describeLocation(this.location), repositories: this.current.size },
          'task bundles data loaded',
        );
      }
    } catch (error) {
      result = 'failed';
      this.options.log.error(
        {
          source: describeLocation(this.location),
          err: describe(error),
          keeping: this.current ? 'the last good data' : 'nothing: no task is judged',
        },
        'task bundles data unreadable: task updates are neither reported nor resolved on it',
      );
    }
    this.options.count(result);
    return result;
  }

  private async read(): Promise<string> {
    if ('file' in this.location) return readFile(this.location.file, 'utf8');
    const { namespace, name, key } = this.location.configMap;
    const configMap = await (this.core as CoreV1Api).readNamespacedConfigMap({ namespace, name });
    const text = configMap.data?.[key];
    if (text === undefined) throw new Error(`the ConfigMap has no key "${key}"`);
    return text;
  }
}

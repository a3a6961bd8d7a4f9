/**
 * Finds the operator's cluster the way `kubectl` does (a kubeconfig named by flag or
 * KUBECONFIG, else the pod's service account, else `~/.kube/config`), and refuses to start
 * when there is none. Without this check the client library falls back to
 * `http://localhost:8080` and the operator retries against nothing forever.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { InputError } from '../domain/errors.js';
import { SERVICE_ACCOUNT_DIR } from './operator-config.js';

type Env = Readonly<Record<string, string | undefined>>;

export function loadClusterConfig(kubeconfig: string | undefined, env: Env): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfig) {
    const files = kubeconfig.split(delimiter).filter(Boolean);
    const found = files.filter((file) => existsSync(file));
    if (found.length === 0) {
      throw new InputError(`no Kubernetes configuration found: ${files.join(', ')} does not exist`);
    }
    kc.loadFromFile(found[0]!);
    for (const file of found.slice(1)) {
      const more = new KubeConfig();
      more.loadFromFile(file);
      kc.mergeConfig(more);
    }
    return kc;
  }
  if (env.KUBERNETES_SERVICE_HOST && existsSync(join(SERVICE_ACCOUNT_DIR, 'token'))) {
    kc.loadFromCluster();
    return kc;
  }
  const home = join(env.HOME || homedir(), '.kube', 'config');
  if (existsSync(home)) {
    kc.loadFromFile(home);
    return kc;
  }
  throw new InputError(
    'no Kubernetes configuration found: pass --kubeconfig or set KUBECONFIG, put one in ~/.kube/config, or run in a pod',
  );
}

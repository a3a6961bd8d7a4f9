/**
 * The people of the MintMaker log tests, as users and grants of the Kubernetes API
 * double: `token-alice` reads team-a, `token-bob` team-b, `token-mm` (the MintMaker
 * team) the MintMaker namespace, and `token-operator` (the bridge operator's service
 * account) reports everywhere.
 */
import type { KubeApiDouble } from './kube-api.js';

const RBAC = { apiGroup: 'kite.konflux-ci.dev', resource: 'issues' };
export const OPERATOR_USER = 'system:serviceaccount:kite:kite-operator';

export function addMintmakerPeople(kube: KubeApiDouble): void {
  kube.users.set('token-alice', { username: 'alice', groups: ['team-a-devs'] });
  kube.users.set('token-bob', { username: 'bob', groups: ['team-b-devs'] });
  kube.users.set('token-mm', { username: 'mm-support', groups: ['mintmaker-team'] });
  kube.users.set('token-operator', { username: OPERATOR_USER, groups: [] });
  kube.grants.push(
    { group: 'team-a-devs', verb: 'get', ...RBAC, namespace: 'team-a' },
    { group: 'team-b-devs', verb: 'get', ...RBAC, namespace: 'team-b' },
    { group: 'mintmaker-team', verb: 'get', ...RBAC, namespace: 'mintmaker' },
    { user: OPERATOR_USER, verb: 'create', ...RBAC },
  );
}

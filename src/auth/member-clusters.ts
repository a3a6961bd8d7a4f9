/**
 * The member clusters a hub `kite serve` answers for (`KITE_CLUSTERS_FILE`, YAML):
 *
 *     clusters:
 *       - name: stone-prd-rh01
 *         server: https://api.stone-prd-rh01.example.com:6443
 *         caFile: /etc/kite/clusters/stone-prd-rh01/ca.crt
 *         tokenFile: /etc/kite/clusters/stone-prd-rh01/token
 *
 * `tokenFile` holds the token of a service account of that member that may create
 * TokenReviews and SubjectAccessReviews there (mounted from a Secret); it is read again
 * once at start-up (restart the server after rotating it). Each member
 * gets its own client, caches and deadline (docs/multi-cluster.md).
 */
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { Type, type Static } from 'typebox';
import { InputError } from '../domain/errors.js';
import { CLUSTER_NAME_PATTERN } from '../domain/place.js';
import { parseYamlDocument } from '../domain/yaml-document.js';

const MemberSchema = Type.Object(
  {
    name: Type.String({ pattern: CLUSTER_NAME_PATTERN }),
    server: Type.String({ pattern: '^https?://' }),
    caFile: Type.Optional(Type.String({ minLength: 1 })),
    tokenFile: Type.String({ minLength: 1 }),
    insecureSkipTlsVerify: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const MembersFile = Type.Object(
  { clusters: Type.Array(MemberSchema, { maxItems: 1000 }) },
  { additionalProperties: false },
);

export type MemberCluster = Static<typeof MemberSchema>;

/** The members of `text` (the file at `source`); a clear error naming the problem otherwise. */
export function parseMembersFile(source: string, text: string, local: string): MemberCluster[] {
  const { clusters: members } = parseYamlDocument(source, text, MembersFile, {
    what: 'clusters file',
    empty: { clusters: [] },
  });
  const seen = new Set([local]);
  for (const member of members) {
    if (seen.has(member.name)) {
      throw new InputError(
        `${source}: the cluster name "${member.name}" is used twice (the server's own cluster is "${local}")`,
      );
    }
    seen.add(member.name);
    if (member.server.startsWith('http://') && member.insecureSkipTlsVerify !== true) {
      throw new InputError(
        `${source}: cluster ${member.name}: an http:// server sends its token in the clear; use https:// (or insecureSkipTlsVerify: true, for tests only)`,
      );
    }
  }
  return members;
}

export function readMembersFile(path: string, local: string): MemberCluster[] {
  return parseMembersFile(path, readFileSync(path, 'utf8'), local);
}

/**
 * A kubeconfig for one member: its API server, CA and the token read from its file.
 * The token is never logged; a missing file fails at start-up, naming the file.
 */
export function memberKubeConfig(member: MemberCluster): KubeConfig {
  let token: string;
  try {
    token = readFileSync(member.tokenFile, 'utf8').trim();
  } catch (error) {
    throw new InputError(
      `cluster ${member.name}: cannot read tokenFile ${member.tokenFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: member.name,
        server: member.server,
        ...(member.caFile ? { caFile: member.caFile } : {}),
        skipTLSVerify: member.insecureSkipTlsVerify === true,
      },
    ],
    users: [{ name: `kite@${member.name}`, token }],
    contexts: [{ name: member.name, cluster: member.name, user: `kite@${member.name}` }],
    currentContext: member.name,
  });
  return kubeConfig;
}

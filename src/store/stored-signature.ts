/**
 * A report's failure signature as the store keeps it: the domain's signature
 * (src/domain/failure-signature.ts) with its key hashed, and the keys a root-cause group
 * is found by. Computed in JavaScript before the report's statement and passed as
 * parameters, so the SQL never normalises text. A report that resolves has none.
 */
import { createHash } from 'node:crypto';
import { failureSignature, type FailureClass } from '../domain/failure-signature.js';
import type { IssueReport } from '../domain/issue.js';

export interface StoredSignature {
  /** sha256 of the key, hex: what the index and the group keys hold. */
  hash: string;
  key: string;
  failureClass: FailureClass;
  cves: string[];
  dependency: string | null;
}

export function storedSignature(report: IssueReport): StoredSignature | null {
  if ((report.state ?? 'ACTIVE') !== 'ACTIVE') return null;
  const signature = failureSignature({
    issueType: report.issueType,
    title: report.title,
    description: report.description,
    ...(report.labels ? { labels: report.labels } : {}),
  });
  if (!signature) return null;
  return {
    hash: createHash('sha256').update(signature.key).digest('hex'),
    key: signature.key,
    failureClass: signature.failureClass,
    cves: signature.cves,
    dependency: signature.dependency ?? null,
  };
}

/**
 * The keys a report may join or form a group by, strongest first: its signature, each
 * CVE it names, its dependency.
 */
export function groupKeys(signature: StoredSignature): string[] {
  return [
    `signature:${signature.hash}`,
    ...signature.cves.map((cve) => `cve:${cve}`),
    ...(signature.dependency === null ? [] : [`dependency:${signature.dependency}`]),
  ];
}

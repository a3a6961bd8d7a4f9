/**
 * The signature measured on the corpus (issue 20): pairwise precision (reports grouped
 * together share a cause) and recall (reports of one cause are grouped together), and
 * the cost per signature, since every report is signed at ingest. The figures are
 * printed; docs/failure-signatures.md records them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failureSignature } from '../../src/domain/failure-signature.js';
import { CAUSES, corpusReports } from '../support/failure-corpus.js';

/** Pairwise counts over every pair of reports. */
function pairwise(rows: { cause: string; key: string }[]) {
  let sameCauseSameKey = 0;
  let sameCauseOtherKey = 0;
  let otherCauseSameKey = 0;
  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) {
      const sameCause = rows[i]!.cause === rows[j]!.cause;
      const sameKey = rows[i]!.key === rows[j]!.key;
      if (sameCause && sameKey) sameCauseSameKey++;
      else if (sameCause) sameCauseOtherKey++;
      else if (sameKey) otherCauseSameKey++;
    }
  }
  return {
    precision: sameCauseSameKey / (sameCauseSameKey + otherCauseSameKey),
    recall: sameCauseSameKey / (sameCauseSameKey + sameCauseOtherKey),
    pairs: (rows.length * (rows.length - 1)) / 2,
  };
}

describe('failure signatures on the corpus', () => {
  const reports = corpusReports();

  it('the corpus has at least 30 causes, each in two to four variants', () => {
    assert.ok(CAUSES.length >= 30, `${CAUSES.length} causes`);
    const counts = new Map<string, number>();
    for (const r of reports) counts.set(r.cause, (counts.get(r.cause) ?? 0) + 1);
    assert.equal(counts.size, CAUSES.length, 'cause names are unique');
    for (const [cause, count] of counts) assert.ok(count >= 2 && count <= 4, cause);
  });

  it('pairwise precision and recall are both at least 0.95', () => {
    const rows = reports.map((r) => ({ cause: r.cause, key: failureSignature(r.input)!.key }));
    const { precision, recall, pairs } = pairwise(rows);
    console.log(
      `# signatures: ${CAUSES.length} causes, ${rows.length} reports, ${pairs} pairs: precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}`,
    );
    assert.ok(precision >= 0.95, `precision ${precision}`);
    assert.ok(recall >= 0.95, `recall ${recall}`);
  });

  it('a signature costs well under a millisecond', () => {
    const inputs = reports.map((r) => r.input);
    for (let i = 0; i < 200; i++) for (const input of inputs) failureSignature(input); // warm up
    const rounds = 300;
    const started = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) for (const input of inputs) failureSignature(input);
    const perSignature =
      Number(process.hrtime.bigint() - started) / 1000 / (rounds * inputs.length);
    console.log(
      `# signatures: ${perSignature.toFixed(1)} µs per signature (${inputs.length} reports × ${rounds})`,
    );
    // Generous against a shared machine: the figure measured is in the docs.
    assert.ok(perSignature < 500, `${perSignature} µs`);
  });
});

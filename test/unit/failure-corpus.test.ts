/**
 * The signature measured on the corpus (issue 20): pairwise precision (reports grouped
 * together share a cause) and recall (reports of one cause are grouped together), and
 * the cost per signature, since every report is signed at ingest. The figures are
 * printed; docs/failure-signatures.md records them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failureSignature } from '../../src/domain/failure-signature.js';
import { TEXT_LIMITS } from '../../src/domain/webhook-engine.js';
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

  it('a description at the 64 KiB cap, every line an error, costs a few milliseconds', () => {
    const line = (i: number) =>
      JSON.stringify({
        level: 50,
        msg: `Failed to look up docker package quay.io/acme/image-${i}`,
        err: {
          message: `unauthorized: authentication required at ${new Date(i * 1e9).toISOString()}`,
        },
      });
    const lines: string[] = [];
    for (let size = 0, i = 0; size < TEXT_LIMITS.description; i++) {
      lines.push(line(i));
      size += lines[i]!.length + 1;
    }
    const input = {
      issueType: 'dependency' as const,
      title: '',
      description: lines.join('\n').slice(0, TEXT_LIMITS.description),
    };
    for (let i = 0; i < 5; i++) failureSignature(input); // warm up
    const rounds = 20;
    const started = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) failureSignature(input);
    const ms = Number(process.hrtime.bigint() - started) / 1e6 / rounds;
    console.log(`# signatures: ${ms.toFixed(2)} ms for ${lines.length} error lines in 64 KiB`);
    assert.ok(ms < 100, `${ms} ms`);
  });

  it('no line shape makes a signature slow: repeated fragments of every rule, 2,000 characters a line', () => {
    const fragments = [
      'a-',
      'a/',
      '1.',
      'a:',
      '-b',
      '1h',
      '@',
      '"',
      'a.b/',
      'sha256:0',
      '0:',
      'bcdfg-',
      'a0',
      '1.1-',
      '"step-',
      'https://a',
      'release ',
      'component ',
      'task a/',
      'error: a/b ',
      'Task x failed (TaskRun y): ',
      '{"msg":"',
      'update module ',
      'renovate/a-',
    ];
    let worst = { ms: 0, fragment: '' };
    for (const fragment of fragments) {
      const line = `error ${fragment.repeat(Math.ceil(2000 / fragment.length))}`.slice(0, 2000);
      const input = {
        issueType: 'dependency' as const,
        title: '',
        description: `${line}!\n${line}?\n${line}`,
      };
      failureSignature(input);
      const started = process.hrtime.bigint();
      failureSignature(input);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (ms > worst.ms) worst = { ms, fragment };
    }
    console.log(
      `# signatures: slowest repeated fragment ${JSON.stringify(worst.fragment)}: ${worst.ms.toFixed(2)} ms`,
    );
    // The line cap bounds a quadratic rule to ~20 ms here; a cubic one takes seconds.
    assert.ok(worst.ms < 200, `${worst.fragment}: ${worst.ms} ms`);
  });
});

import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text as readText } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createRedactor, REDACTED } from '../../src/logs/redact.js';
import { REDACTION_RULES } from '../../src/logs/redaction-rules.js';

const redactor = createRedactor(['ACME-[0-9]{6}']);
const secrets: [string, string][] = [
  ['a GitHub token', 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'],
  ['a fine-grained GitHub token', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz'],
  ['a GitLab token', 'glpat-' + 'x1y2z3A4B5C6D7E8F9G0'],
  ['a configured pattern', 'ACME-123456'],
];

/** `input` cut into pieces of the given lengths, the rest as the last piece. */
function cut(input: Buffer, lengths: readonly number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const length of lengths) {
    if (at >= input.length) break;
    pieces.push(input.subarray(at, at + length));
    at += length;
  }
  if (at < input.length) pieces.push(input.subarray(at));
  return pieces;
}

describe('log redaction', () => {
  for (const [what, secret] of secrets) {
    it(`redacts ${what}`, () => {
      const out = redactor.text(`cloning with ${secret} now`);
      assert.ok(!out.includes(secret), out);
      assert.match(out, /\*\*REDACTED\*\*/);
    });
  }

  it('keeps the scheme of bearer and basic credentials and hides the rest', () => {
    assert.equal(
      redactor.text('Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.abc.def'),
      `Authorization: Bearer ${REDACTED}`,
    );
    assert.equal(redactor.text('auth: Basic dXNlcjpwYXNzd29yZA=='), `auth: Basic ${REDACTED}`);
  });

  it('hides passwords in URLs and registry auths, keeping the user and host', () => {
    assert.equal(
      redactor.text('git clone https://bot:s3cr3tpass@github.com/acme/x.git'),
      `git clone https://bot:${REDACTED}@github.com/acme/x.git`,
    );
    const out = redactor.text('{"auths":{"quay.io":{"auth":"Ym90OnNlY3JldHBhc3N3b3Jk"}}}');
    assert.ok(!out.includes('Ym90OnNlY3JldHBhc3N3b3Jk'), out);
  });

  it('hides every password among several URLs and leaves URLs without one alone', () => {
    assert.equal(
      redactor.text(
        'a https://x.org/a b ftp://u:p4ss@h/c https://only-user@h2/ git://a:b:c@h3 end://',
      ),
      `a https://x.org/a b ftp://u:${REDACTED}@h/c https://only-user@h2/ git://a:${REDACTED}@h3 end://`,
    );
  });

  it('hides a private key block spanning lines, keeping its markers', () => {
    const key = [
      'before',
      '-----BEGIN OPENSSH PRIVATE KEY-----',
      'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ',
      'AAAAC3NzaC1lZDI1NTE5AAAAIOb',
      '-----END OPENSSH PRIVATE KEY-----',
      'after',
    ].join('\n');
    const out = redactor.text(key);
    assert.ok(!out.includes('b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ'), out);
    assert.match(out, /^before\n-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    assert.match(out, /-----END OPENSSH PRIVATE KEY-----\nafter$/);
  });

  it('an empty line inside a key block stays empty, in a text and in a stream alike', async () => {
    const builtin = createRedactor();
    const input = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n\nkqhkiG9w0BAQEF\n';
    const expected = `-----BEGIN PRIVATE KEY-----\n${REDACTED}\n\n${REDACTED}\n`;
    assert.equal(builtin.text(input), expected);
    assert.equal(
      await readText(Readable.from([Buffer.from(input)]).pipe(builtin.stream())),
      expected,
    );
    // A text that ends inside the block ends there: nothing is added after it.
    assert.equal(builtin.text('-----BEGIN PRIVATE KEY-----\n'), '-----BEGIN PRIVATE KEY-----\n');
  });

  it('finds key/value secrets whatever their case', () => {
    for (const text of [
      'PASSWORD=hunter22',
      'Api_Key: abcd1234',
      '"client_secret":"s3cr3tvalue"',
    ]) {
      assert.match(redactor.text(text), /\*\*REDACTED\*\*$|\*\*REDACTED\*\*"$/, text);
    }
  });

  it('leaves ordinary log lines unchanged', () => {
    const line =
      '{"level":30,"msg":"Dependency extraction complete","baseBranch":"main","stats":{"managers":{"npm":{"fileCount":1}}}}';
    assert.equal(redactor.text(line), line);
  });

  it('the stream redacts a token however the bytes are chunked', async () => {
    const token = secrets[0]?.[1] ?? '';
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 }),
        async (cuts) => {
          const input = Buffer.from(`line one\npush with ${token} done\n€ multi-byte ✓\nlast`);
          const out = await readText(Readable.from(cut(input, cuts)).pipe(redactor.stream()));
          assert.ok(!out.includes(token));
          assert.equal(out, `line one\npush with ${REDACTED} done\n€ multi-byte ✓\nlast`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the stream redacts exactly as the text rules do, line by line, however the bytes are chunked', async () => {
    const builtin = createRedactor();
    const lines = [
      '{"level":20,"msg":"Found update","url":"https://registry.npmjs.org/left-pad"}',
      `cloning with ${secrets[0]?.[1] ?? ''} now`,
      'author: Jane (not a secret), see https://only-user@example.com/x',
      'git clone https://bot:pässwörd@github.com/acme/x.git',
      'git clone https://bot:pàss@github.com/acme/y.git',
      '€ multi-byte ✓ Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.abc.def',
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
      '-----END RSA PRIVATE KEY-----',
      '{"token":"abcd1234efgh","next":"PASSWORD=hunter22"}',
      'glpat-x1y2z3A4B5C6D7E8F9G0 and github_pat_11ABCDEFG0123456789_abcdefghijklmnop',
      'plain closing line',
    ];
    const input = Buffer.from(`${lines.join('\n')}\n`);
    const expected = builtin.text(input.toString('utf8'));
    // The rules themselves are pinned above; here: nothing the text rules hide survives.
    assert.ok(!expected.includes('hunter22') && !expected.includes('pàss@'), expected);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 20 }),
        async (cuts) => {
          const out = await readText(Readable.from(cut(input, cuts)).pipe(builtin.stream()));
          assert.equal(out, expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the stream hides exactly what the text rules hide, for any lines of anchors, near misses and other text', async () => {
    const builtin = createRedactor();
    // Every anchor of the rule table, and the ends of a key block.
    const anchors = [
      ...new Set(REDACTION_RULES.flatMap((rule) => rule.anchors)),
      'bearer ',
      'basic ',
      'PRIVATE KEY-----',
      '-----END ',
      ':\\\\/\\\\/',
    ];
    const fragment = fc.oneof(
      fc
        .tuple(fc.constantFrom(...anchors), fc.array(fc.boolean(), { maxLength: 12 }))
        .map(([anchor, upper]) =>
          [...anchor].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''),
        ),
      fc.constantFrom(
        'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8',
        'eyJhbGciOiJSUzI1NiJ9.abc.def',
        '"password":"hunter22"',
        '=abcd1234',
        ': "s3cr3tvalue"',
        'u:p4ss@',
        'u:p@ss@',
        'only-user@',
        '\\"',
        '\\n',
        'QWERTYUIOP234567',
        '-----END PRIVATE KEY-----\\n',
        'https://bot:pàss@h/x',
        'automerge',
        'baseBranch',
        'github.com',
        '€',
        ' ',
        '"',
      ),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'grapheme', maxLength: 6 }),
    );
    const line = fc.array(fragment, { maxLength: 12 }).map((parts) => parts.join(''));
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 8 }),
        async (lines, cuts) => {
          const input = Buffer.from(lines.join('\n'));
          const out = await readText(Readable.from(cut(input, cuts)).pipe(builtin.stream()));
          assert.equal(out, builtin.text(input.toString('utf8')));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('a secret anywhere around the edge of the 256 KiB the scan copies at a time is redacted', async () => {
    const builtin = createRedactor();
    const token = secrets[0]?.[1] ?? '';
    const filler = `${'{"level":20,"msg":"Found update for dependency"}'.padEnd(99, ' ')}\n`;
    for (let shift = -40; shift <= 4; shift += 1) {
      const head = filler.repeat(2700).slice(0, 262144 + shift);
      const input = Buffer.from(`${head} ${token} done\n${filler}`);
      // One chunk: the stream sees it as one block, larger than the scan's window.
      const out = await readText(Readable.from([input]).pipe(builtin.stream()));
      assert.ok(!out.includes(token), `token at ${262144 + shift + 1} survived`);
      assert.equal(out, builtin.text(input.toString('utf8')));
    }
  });
});

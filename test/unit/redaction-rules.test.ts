/**
 * The built-in redaction rules, one table (src/logs/redaction-rules.ts): each rule's
 * samples are hidden and its near misses kept, through the text and the stream alike;
 * every sample survives no random Renovate log around it and no chunking; and the table
 * in docs/security.md is this table.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { text as readText } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createRedactor, REDACTED } from '../../src/logs/redact.js';
import { REDACTION_RULES } from '../../src/logs/redaction-rules.js';
import { renovateLine } from '../../src/logs/renovate-format.js';

const redactor = createRedactor();
const samples = REDACTION_RULES.flatMap((rule) =>
  rule.samples.map((sample, index) => ({ rule: rule.name, index, ...sample })),
);

const streamed = (input: Buffer | string, pieces?: Buffer[]) =>
  readText(Readable.from(pieces ?? [Buffer.from(input)]).pipe(redactor.stream()));

/** Where the secret could show: as it is, or escaped once or twice as in JSON strings. */
function leaks(output: string, secret: string): boolean {
  const once = JSON.stringify(secret).slice(1, -1);
  const twice = JSON.stringify(once).slice(1, -1);
  return [secret, once, twice].some((form) => output.includes(form));
}

describe('redaction rules', () => {
  for (const { rule, index, text, secret } of samples) {
    it(`${rule}: sample ${index + 1} is hidden, in a text and in a stream`, async () => {
      assert.ok(text.includes(secret), 'the sample holds its secret');
      for (const out of [redactor.text(text), await streamed(`${text}\n`)]) {
        assert.ok(!leaks(out, secret), out);
        assert.ok(out.includes(REDACTED), out);
      }
    });
  }

  it('every rule has a name of its own, anchors, a sample and a near miss', () => {
    const names = REDACTION_RULES.map((rule) => rule.name);
    assert.equal(new Set(names).size, names.length, 'names are unique');
    for (const rule of REDACTION_RULES) {
      assert.match(rule.name, /^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      assert.ok(rule.anchors.length > 0, `${rule.name} has anchors`);
      assert.ok(rule.samples.length > 0, `${rule.name} has a sample`);
      assert.ok(rule.nearMisses.length > 0, `${rule.name} has a near miss`);
    }
  });

  it('every match of a rule holds one of its anchors (what the scan finds)', () => {
    for (const rule of REDACTION_RULES) {
      if (rule.kind !== 'match') continue;
      for (const { text } of rule.samples) {
        const found = [...text.matchAll(rule.pattern)];
        assert.ok(found.length > 0, `${rule.name} matches its sample ${text}`);
        for (const [match] of found) {
          assert.ok(
            rule.anchors.some((anchor) => match.toLowerCase().includes(anchor.toLowerCase())),
            `${rule.name}: ${match} holds none of its anchors`,
          );
        }
      }
    }
  });

  it('leaves near misses alone: words, digests, commit hashes, image references, Renovate JSON', async () => {
    const ordinary = [
      ...REDACTION_RULES.flatMap((rule) => rule.nearMisses),
      'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      'quay.io/konflux-ci/mintmaker-renovate-image@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      'commit 3f786850e387550fdab836ed7e6dc881de23001b (HEAD -> main)',
      '{"level":20,"msg":"Found update","depName":"@types/node","currentDigest":"sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae","newValue":"24.0.1"}',
      '{"name":"renovate","level":30,"logContext":"a1b2c3","repository":"acme/frontend","baseBranch":"main","automerge":false,"msg":"Dependency extraction complete","stats":{"managers":{"npm":{"fileCount":1,"depCount":42}}}}',
      '{"level":20,"msg":"GET https://registry.npmjs.org/left-pad = (code=200, statusCode=200 retryCount=0, duration=12)"}',
      '{"level":20,"hostType":"docker","matchHost":"quay.io","msg":"Using docker registry auth (hostType docker)"}',
      'The tokenizer splits the secret sauce; see the password policy and the authentication docs.',
      'registry.access.redhat.com/ubi9/ubi-minimal:9.5-1736404036',
    ];
    for (const line of ordinary) {
      assert.equal(redactor.text(line), line);
      assert.equal(await streamed(`${line}\n`), `${line}\n`);
    }
  });

  it('the secrets of issue 13 pass redaction no more, on the text and the stream paths', async () => {
    // Each of these passed before: the finding's list, one line each.
    const akia = `AKIA${'QWERTYUIOP234567'}`;
    const found: [string, string][] = [
      [akia, akia],
      [`aws_access_key_id = ${akia}`, akia],
      [
        'aws_secret_access_key=' + 'wJalrXUtnFEMI0K7MDENGbPxRfiCY1EXAMPLE2',
        'wJalrXUtnFEMI0K7MDENG',
      ],
      ['npm_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8', 'a1B2c3D4e5F6g7H8i9J0'],
      ['xoxb-' + '1234567890-1234567890-AbCdEfGhIjKlMnOpQrStUvWx', 'AbCdEfGhIjKlMnOp'],
      ['xoxp-' + '1234567890-1234567890-1234567890-abcdef0123456789abcdef', 'abcdef0123456789'],
      [
        'eyJhbGciOiJIUzI1NiJ9.' + 'eyJzdWIiOiJib3QiLCJpYXQiOjE3MDB9.c2lnbmF0dXJlLXZhbHVl',
        'eyJzdWIiOiJib3Qi',
      ],
      ['X-Api-Key: ' + 'k3yV4lu3xYz0123456789', 'k3yV4lu3xYz0123456789'],
      ['pwd: ' + 'Hunter2isMyPwd', 'Hunter2isMyPwd'],
      ['"url":"https:\\/\\/bot:' + 'S3cretPassw0rd' + '@git.example.com\\/acme"', 'S3cretPassw0rd'],
      ['xghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8', 'a1B2c3D4e5F6g7H8i9J0'],
    ];
    for (const [line, secret] of found) {
      assert.ok(!redactor.text(line).includes(secret), redactor.text(line));
      assert.ok(!(await streamed(`${line}\n`)).includes(secret), line);
    }
  });

  it('a private key escaped in a JSON string is hidden within its line, and the line goes on', () => {
    const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC';
    const line = `{"private_key":"-----BEGIN PRIVATE KEY-----\\n${body}\\n-----END PRIVATE KEY-----\\n","token":"abcd1234"}`;
    assert.equal(
      redactor.text(`${line}\nnext`),
      `{"private_key":"-----BEGIN PRIVATE KEY-----${REDACTED}-----END PRIVATE KEY-----\\n","token":"${REDACTED}"}\nnext`,
    );
  });

  it('every sample, in random Renovate JSON lines cut at any byte, never shows, on the stream, text and format=text paths', async () => {
    const word = fc.constantFrom(
      'Found update',
      'lookup',
      'npm',
      'left-pad',
      'main',
      'v1.2.3',
      '€ ✓',
    );
    const renovateJson = (message: string, extra: Record<string, unknown>) =>
      JSON.stringify({
        name: 'renovate',
        hostname: 'renovate-job',
        level: 20,
        logContext: 'a1b2c3',
        repository: 'acme/frontend',
        ...extra,
        msg: message,
        time: '2026-11-22T04:00:00.000Z',
      });
    const placed = fc
      .tuple(fc.constantFrom(...samples), fc.array(word, { maxLength: 4 }), fc.nat(3))
      .map(([sample, words, where]) => {
        const around = words.join(' ');
        const line =
          where === 0
            ? renovateJson(`${around} ${sample.text} ${around}`, {})
            : where === 1
              ? renovateJson(around, {
                  err: { message: sample.text, stack: `Error: ${sample.text}` },
                })
              : where === 2
                ? renovateJson(around, { body: renovateJson(sample.text, {}) })
                : sample.text;
        return { line, secret: sample.secret };
      });
    const ordinary = fc
      .array(word, { maxLength: 6 })
      .map((words) => renovateJson(words.join(' '), {}));
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            placed,
            ordinary.map((line) => ({ line, secret: '' })),
          ),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 }),
        async (lines, cuts) => {
          const input = Buffer.from(`${lines.map((l) => l.line).join('\n')}\n`);
          const pieces: Buffer[] = [];
          let at = 0;
          for (const length of cuts) {
            if (at >= input.length) break;
            pieces.push(input.subarray(at, at + length));
            at += length;
          }
          if (at < input.length) pieces.push(input.subarray(at));
          const out = await streamed(input, pieces);
          const text = redactor.text(input.toString('utf8'));
          assert.equal(out, text);
          const formatted = text.split('\n').map(renovateLine).join('\n');
          for (const { secret } of lines) {
            if (secret === '') continue;
            assert.ok(!leaks(out, secret), out);
            assert.ok(!leaks(formatted, secret), formatted);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a line built to make a rule backtrack is redacted in time linear in its length', () => {
    // 256 KiB of one piece repeated: a rule that searches a run again from each anchor in
    // it (as a JWT rule did: 30 s here) takes seconds; every rule takes milliseconds.
    const pieces = new Set([
      'docker login ',
      'passworda',
      'eyJaaaaaaaaaaa',
      "password: '",
      'authorization: a',
      'https://a',
      '-----BEGIN PRIVATE KEY-----\\n',
    ]);
    for (const anchor of REDACTION_RULES.flatMap((rule) => rule.anchors)) {
      for (const tail of ['a', '=a', 'eyJaaaaaaaaaaa', ': "']) pieces.add(anchor + tail);
    }
    for (const piece of pieces) {
      const line = piece.repeat(Math.ceil((256 * 1024) / piece.length));
      const started = performance.now();
      redactor.text(line);
      const took = performance.now() - started;
      assert.ok(took < 3000, `${JSON.stringify(piece)} repeated took ${Math.round(took)} ms`);
    }
  });

  it('every sample is hidden whichever byte a chunk ends at', async () => {
    for (const { line, secret } of samples.map((sample) => ({
      line: `{"level":20,"msg":"before"}\n${sample.text}\n{"level":20,"msg":"after"}\n`,
      secret: sample.secret,
    }))) {
      const input = Buffer.from(line);
      const whole = redactor.text(line);
      for (let cut = 1; cut < input.length; cut += 1) {
        const out = await streamed(input, [input.subarray(0, cut), input.subarray(cut)]);
        assert.equal(out, whole, `cut at ${cut}`);
        assert.ok(!leaks(out, secret));
      }
    }
  });
});

describe('docs/security.md', () => {
  it('its "Redaction rules" table is the code\'s table, row for row', () => {
    const docs = readFileSync('docs/security.md', 'utf8');
    const section = docs.split(/^## Redaction rules$/m)[1]?.split(/^## /m)[0] ?? '';
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .slice(2)
      .map((line) =>
        line
          .slice(1, -1)
          .split(/(?<!\\)\|/)
          .map((cell) => cell.trim().replace(/\\\|/g, '|')),
      );
    const expected = REDACTION_RULES.map((rule) => [`\`${rule.name}\``, rule.matches, rule.shape]);
    assert.deepEqual(
      rows,
      expected,
      `docs/security.md should list:\n${expected.map((row) => `| ${row.join(' | ')} |`).join('\n')}`,
    );
  });
});

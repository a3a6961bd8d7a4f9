/**
 * The repository stands alone: README.md and docs/ link only to files that exist in it,
 * and never send the reader to design notes kept outside it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';

const pages = [
  'README.md',
  ...readdirSync('docs', { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name)),
];

describe('the documentation stands alone', () => {
  it('every relative link in README.md and docs/ points at a file of the repository', () => {
    const broken: string[] = [];
    for (const page of pages) {
      const text = readFileSync(page, 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!target || /^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
        const path = join(dirname(page), target.split('#')[0]!);
        if (!existsSync(path)) broken.push(`${page}: ${target}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('no page refers the reader to files outside the repository', () => {
    const outside = pages.filter((page) =>
      /(^|[\s`(])(\/work\/|shared\/[A-Z-]+\.md)/m.test(readFileSync(page, 'utf8')),
    );
    assert.deepEqual(outside, []);
  });
});

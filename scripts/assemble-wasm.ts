/**
 * `npm run build:wasm`: assembles each WebAssembly text file in src/ (`*.wat`) into the
 * binary beside it (`*.wasm`), which is committed so that the server, the tests and the
 * image load it as it is, with no assembler at run time. test/unit/trigram-scan.test.ts
 * fails when a committed binary is not the assembly of its text.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabt from 'wabt';

/** The binary of one text file: deterministic, without debug names. */
export async function assemble(watFile: string): Promise<Buffer> {
  const toolkit = await wabt();
  const parsed = toolkit.parseWat(watFile, readFileSync(watFile, 'utf8'), { simd: true });
  try {
    parsed.validate();
    return Buffer.from(parsed.toBinary({ write_debug_names: false }).buffer);
  } finally {
    parsed.destroy();
  }
}

/** Every `.wat` under `dir`, recursively. */
export function watFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.wat'))
    .map((entry) => join(entry.parentPath, entry.name));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const file of watFiles('src')) {
    const target = file.replace(/\.wat$/, '.wasm');
    writeFileSync(target, await assemble(file));
    console.log(`${file} -> ${target}`);
  }
}

/**
 * `npm start`'s pre-step: builds dist/ only when a build input (src/, the dashboard's
 * web/, the tsconfig files) changed since dist/ was last built. Compiling took most of `npm start`'s 22 s on a
 * loaded machine, every time. The last build's time is the time of dist/cli/main.js,
 * which every `tsc` run rewrites.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BUILD_INPUTS = ['src', 'web', 'tsconfig.json', 'tsconfig.build.json'];
export const BUILD_OUTPUTS = [
  'dist/cli/main.js',
  'dist/logs/trigram-scan.wasm',
  'dist/web/index.html',
];

/** Why dist/ under `root` must be rebuilt, or undefined when it is up to date. */
export function staleBecause(root: string): string | undefined {
  const missing = BUILD_OUTPUTS.find((file) => !existsSync(join(root, file)));
  if (missing) return `${missing} is missing`;
  const builtAt = statSync(join(root, BUILD_OUTPUTS[0]!)).mtimeMs;
  for (const input of BUILD_INPUTS) {
    const newer = filesOf(join(root, input)).find((file) => statSync(file).mtimeMs > builtAt);
    if (newer) return `${newer.slice(root.length + 1)} changed since the last build`;
  }
  return undefined;
}

function filesOf(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const reason = staleBecause(process.cwd());
  if (reason === undefined) {
    console.log('dist/ is up to date: not rebuilding (npm run build forces it)');
  } else {
    console.log(`building dist/: ${reason}`);
    const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
    process.exitCode = build.status ?? 1;
  }
}

/**
 * The dashboard's build: web/ into dist/web, assets with content hashes under assets/ and
 * every URL relative (`base: './'`), so the page works under whatever path prefix the
 * server's `<base href>` names (src/api/web-app.ts). Each asset also gets a .gz copy the
 * server sends to browsers that accept gzip.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const outDir = fileURLToPath(new URL('../dist/web', import.meta.url));

function gzipAssets(): Plugin {
  return {
    name: 'kite-gzip-assets',
    apply: 'build',
    closeBundle() {
      const assets = join(outDir, 'assets');
      for (const name of readdirSync(assets)) {
        if (!/\.(js|css|svg|json)$/.test(name)) continue;
        const file = join(assets, name);
        writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      // React Query marks its modules "use client" (for server components); meaningless here.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  plugins: [gzipAssets()],
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});

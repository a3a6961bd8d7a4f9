// Lint rules: typescript-eslint's recommended type-aware set, named exports only, and the
// layering of src/ (docs/decisions/0023-layers.md): the domain does no I/O, nothing below
// the HTTP layer imports it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Lint config for one layer: its files may not import from the `above` folders of src/
 * (type-only imports allowed from `typesFrom`), nor match `extra`.
 */
function layer(folder, above, extra, typesFrom = []) {
  const fromFolders = (names) => `^(\\.\\./)+(${names.join('|')})/`;
  const runtimeOnly = typesFrom.filter((name) => above.includes(name));
  const banned = above.filter((name) => !runtimeOnly.includes(name));
  const patterns = [
    {
      regex: fromFolders(banned),
      message: `${folder} may not import ${banned.join(', ')} (docs/decisions/0023-layers.md).`,
    },
    {
      // The composition root (server.ts, cli/) wires the layers; none of them imports it.
      regex: '^(\\.\\./)+(server\\.js$|cli/)',
      message: `${folder} may not import the composition root (server.ts, cli/).`,
    },
  ];
  if (runtimeOnly.length) {
    patterns.push({
      regex: fromFolders(runtimeOnly),
      allowTypeImports: true,
      message: `${folder} may import only types from ${runtimeOnly.join(', ')} (docs/decisions/0023-layers.md).`,
    });
  }
  if (extra) patterns.push(extra);
  return {
    files: [`${folder}/**/*.ts`],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.kite/', 'web/dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ExportAllDeclaration',
          message: 'Use named exports: every import names what it uses.',
        },
      ],
    },
  },
  // The layers of src/, lowest first (docs/decisions/0023-layers.md). A folder imports
  // only from the folders below it; cli/, server.ts and config.ts wire everything.
  layer('src/domain', ['store', 'kube', 'logs', 'auth', 'webhooks', 'notify', 'operator', 'api'], {
    group: ['node:*', 'pg', '@electric-sql/*', 'fastify', '@kubernetes/*', '../*'],
    message: 'src/domain is pure: no I/O imports, nothing from outside src/domain.',
  }),
  layer('src/store', ['kube', 'logs', 'auth', 'webhooks', 'notify', 'operator', 'api']),
  layer('src/kube', ['store', 'logs', 'auth', 'webhooks', 'notify', 'operator', 'api']),
  layer('src/logs', ['webhooks', 'operator', 'api']),
  layer('src/auth', ['webhooks', 'operator', 'api']),
  layer('src/webhooks', ['logs', 'auth', 'operator', 'api']),
  // The notification dispatcher: a service over the store, run by server.ts.
  layer('src/notify', ['logs', 'auth', 'webhooks', 'operator', 'api']),
  // The operator is a separate process that reaches the server over HTTP: never its
  // database, and of the HTTP layer only the types of what it sends.
  layer('src/operator', ['store', 'auth', 'webhooks', 'notify', 'api'], undefined, ['api']),
  // The API client runs in other processes (CLI, MCP server, tests): the server's schemas
  // as types only, nothing that would load the server.
  layer(
    'src/client',
    ['store', 'kube', 'logs', 'auth', 'webhooks', 'notify', 'operator', 'api'],
    undefined,
    ['api'],
  ),
  // The MCP server works over the API client, as the caller: never the store or the
  // services; of the HTTP layer, the request schemas its tools reuse (and the guard's type).
  layer('src/mcp', ['store', 'kube', 'logs', 'auth', 'webhooks', 'notify', 'operator']),
  {
    // Route modules are Fastify plugins, async by contract (docs/architecture.md); most
    // only declare routes and have nothing to await.
    files: ['src/api/routes/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // Tests read JSON answers field by field; typing every answer would add noise, not safety.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);

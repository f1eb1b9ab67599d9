import nx from '@nx/eslint-plugin';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';

// Module boundaries: contracts depend on nothing; utilities on contracts; the transport on
// contracts and utilities; broadcast on the transport too; apps on libraries only; e2e projects on testing helpers and libraries.
// Scopes: an app and its e2e project form a scope and may use only their own scope and the shared
// libraries; libraries are shared and use nothing scoped. So no app reaches into another's code.
const appScopes = ['gateway', 'room', 'user', 'rpc', 'broadcast', 'client', 'deploy'];
const scopeConstraints = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  ...appScopes.map((scope) => ({
    sourceTag: `scope:${scope}`,
    onlyDependOnLibsWithTags: [`scope:${scope}`, 'scope:shared'],
  })),
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/coverage', '**/*.js', '**/*.mjs'] },
  {
    // Type-aware rules: a promise nobody awaits or catches, or one passed where a plain callback is
    // expected, loses its error; each project's own tsconfig gives the types.
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: dirname(fileURLToPath(import.meta.url)) },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:contracts'] },
            { sourceTag: 'type:transport', onlyDependOnLibsWithTags: ['type:util', 'type:contracts'] },
            // The broadcast cluster reuses the RPC transport's frame layout (one batch format).
            {
              sourceTag: 'type:broadcast',
              onlyDependOnLibsWithTags: ['type:transport', 'type:util', 'type:contracts'],
            },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:util', 'type:contracts'] },
            // The client SDK runs in browsers: contracts only, never a server library.
            { sourceTag: 'type:sdk', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:web', onlyDependOnLibsWithTags: ['type:sdk', 'type:contracts'] },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:broadcast', 'type:transport', 'type:util', 'type:contracts'],
            },
            {
              sourceTag: 'type:e2e',
              onlyDependOnLibsWithTags: [
                'type:testing',
                'type:sdk',
                'type:broadcast',
                'type:transport',
                'type:util',
                'type:contracts',
              ],
            },
            {
              sourceTag: 'type:bench',
              onlyDependOnLibsWithTags: [
                'type:testing',
                'type:sdk',
                'type:broadcast',
                'type:transport',
                'type:util',
                'type:contracts',
              ],
            },
            ...scopeConstraints,
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Specs of any project may use the shared test helpers (real processes, real Redis).
    files: ['**/*.spec.ts', '**/__tests__/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          depConstraints: [
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
            {
              sourceTag: '*',
              onlyDependOnLibsWithTags: [
                'type:testing',
                'type:sdk',
                'type:broadcast',
                'type:transport',
                'type:util',
                'type:contracts',
              ],
            },
            ...scopeConstraints,
          ],
        },
      ],
    },
  },
  {
    // The gateway's one-way layers: socket/ owns the connection (every write, backlog, disconnect,
    // engine.io and ws details) and knows nothing of what is delivered; delivery/ decides what goes
    // to whom through socket/'s interface (SocketWriter, SessionRegistry) and never reaches into
    // Socket.IO, engine.io or ws itself.
    files: ['apps/gateway/src/socket/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../delivery/*', '../events/*'],
              message: 'socket/ never imports delivery/ or events/: they use socket/, not the other way',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/gateway/src/delivery/**/*.ts'],
    ignores: ['apps/gateway/src/delivery/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['socket.io', 'engine.io', 'ws'].map((name) => ({
            name,
            message:
              'delivery/ writes through socket/ (SocketWriter), never through Socket.IO, engine.io or ws',
          })),
          patterns: [
            {
              group: ['../socket/engine-internals', '../socket/socket-server.host'],
              message: 'engine.io details and the Socket.IO server belong to socket/',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='conn']",
          message: "delivery/ never touches a socket's engine.io connection: ask socket/ (SocketWriter)",
        },
        {
          selector: "MemberExpression[property.name='io']",
          message: 'delivery/ never broadcasts through the Socket.IO server: write through SocketWriter',
        },
        {
          selector: "CallExpression[callee.property.name='emit'][callee.object.property.name='socket']",
          message: 'delivery/ never emits on a socket itself: write through SocketWriter',
        },
      ],
    },
  },
];

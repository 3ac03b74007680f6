import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'dist-bench/',
      'node_modules/',
      'coverage/',
      'data/',
      'jest.config.js',
      'test-artifacts/',
      // Compiled at test time against generated types (test/e2e/typed-client.e2e-spec.ts).
      'test/fixtures/typed-client/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Type-aware: async generators, background saves and event handlers are where promises get dropped.
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      // Configuration is read once, in src/config; everything else receives the typed AppConfig.
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Inject AppConfig instead.' },
      ],
      'no-console': 'error',
    },
  },
  {
    files: ['src/main.ts', 'ormconfig.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-properties': 'off', 'no-console': 'off' },
  },
  {
    // Plain ESM worker entries and scripts are outside the TypeScript project: linted without type information.
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The playground's page script: plain browser JavaScript, served as it is.
    files: ['src/playground/public/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'document',
          'localStorage',
          'fetch',
          'FormData',
          'TextDecoder',
          'setTimeout',
          'clearTimeout',
          'HTMLElement',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);

// Type-aware lint (typescript-eslint): the promise and exhaustiveness rules catch the defects
// the daemon cannot afford — an unhandled rejection in a socket callback, an async listener whose
// failure nobody sees, a new union member a switch forgot.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tap/**', 'coverage/**', 'packaging/out/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // An async method that implements an async interface without awaiting is still right:
      // it turns a throw into a rejection, which is what its callers handle.
      '@typescript-eslint/require-await': 'off',
      // Parsers of outside input reject control characters on purpose.
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // tap queues a subtest the moment t.test() is called and awaits it itself; its promise is
    // safe to leave. Test bodies are async by tap's convention whether or not they await.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }],
      }],
      '@typescript-eslint/require-await': 'off',
      // Tests read JSON the daemon wrote and assert on it; typing every JSON.parse would only
      // restate the assertion. tap's assertion methods are bound, so passing them is safe.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);

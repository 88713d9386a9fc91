// Lint: typescript-eslint recommended rules; type-checking is done by `tsc` separately.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'data/**', '.cache/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Benchmarks and command-line scripts print their result lines on stdout by design.
    files: ['bench/**', 'infra/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
);

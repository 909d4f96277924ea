// Fast, non-type-aware lint: the type checker (tsc, strict) already runs in every build.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'test-results/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read settings through shared/config (the one place that reads process.env).',
        },
      ],
    },
  },
  {
    // The configuration module, the local stack and tests legitimately touch the environment.
    files: ['shared/config/**', 'dev/**', 'tests/**', 'bench/**', '*.config.*'],
    rules: { 'no-restricted-properties': 'off' },
  },
);

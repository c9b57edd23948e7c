// ESLint 9 flat config (issue 11 item 5). Run with `npm run lint`; `npm run lint -- --fix` fixes what it can.
// Width is the formatter's job (Prettier, printWidth 140); max-len here only catches what Prettier cannot wrap.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import comments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'data/**', 'test-artifacts/**', 'test/fixtures/**', 'bench/results/**'],
  },
  {
    // A disable comment that no longer suppresses anything is an error, so stale ones do not pile up.
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  // Non-type-checked recommended set: the type-checked one costs a full program build per run (see docs/development.md).
  ...tseslint.configs.recommended,
  comments.recommended,
  {
    files: ['**/*.{ts,js,mjs,cjs}'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Every eslint-disable must say why: `// eslint-disable-next-line rule -- reason`.
      '@eslint-community/eslint-comments/require-description': ['error', { ignore: [] }],
      // A whole-file disable without a rule list hides everything; name the rules.
      '@eslint-community/eslint-comments/no-unlimited-disable': 'error',
      'max-len': ['error', { code: 140, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true }],
      // `_`-prefixed names are deliberate placeholders (positional parameters, destructuring to drop a key).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Plain CommonJS entry points (bin/segl.js, scripts/*.js) use require().
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Product code: small files and functions, no `any`, logs through pino (src/log.ts), not the console.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 500, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  {
    // The portal's browser script (the PDF viewer) runs in the page, not in Node.
    files: ['src/portal/static/**/*.js'],
    languageOptions: { sourceType: 'module', globals: { ...globals.browser } },
  },
  {
    // The CLI entry points talk to the operator on stdout/stderr.
    files: ['src/main.ts', 'src/demo.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // Tests, benches and scripts: no size limits (those are set for src only) and `any` allowed for fixtures and mocks.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);

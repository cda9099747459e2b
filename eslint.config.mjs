// ESLint with typescript-eslint's type-aware rules. The first import points typescript-eslint at
// TypeScript 5 (tools/typescript5): the project's TypeScript 7 has no JavaScript API to lint with.
import './tools/typescript5/register.cjs';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import regexp from 'eslint-plugin-regexp';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'tools/typescript5/node_modules/', 'data/', 'test-artifacts/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    // Every regex of the shipped code is checked for super-linear backtracking (a ReDoS on outside
    // input holds the event loop, and with it the policy file of every domain) and for the usual
    // regex mistakes. Not the tests: they match the pages and output the code itself produced.
    ...regexp.configs.recommended,
    files: ['src/**/*.{ts,mts}'],
    rules: {
      ...regexp.configs.recommended.rules,
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
      // Character classes stay spelled the way the RFC grammars spell them (ALPHA / DIGIT / "-"),
      // which is easier to check against the ABNF than \w, \d, \S or an `i` flag.
      'regexp/prefer-w': 'off',
      'regexp/prefer-d': 'off',
      'regexp/use-ignore-case': 'off',
      'regexp/negation': 'off',
    },
  },
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    rules: {
      // Relaying a caught error (of type unknown) through reject() is deliberate: it is the error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // `async` without `await` is how an interface's Promise-returning method is implemented
      // here (migration sources, fakes), and it turns a throw into a rejection.
      '@typescript-eslint/require-await': 'off',
      // Host-name and header validation matches control characters on purpose.
      'no-control-regex': 'off',
      // A leading underscore marks a parameter or binding that is there for its position only.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Benchmarks and tests load untyped packages (autocannon) and the built library with require().
    files: ['bench/**/*.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests read JSON bodies (supertest's `res.body` is `any`) and poke at internals on purpose;
    // typing every body would be hundreds of edits for no behaviour a user notices.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/unbound-method': 'off', // the loopback guard wraps prototype methods
      // Assertion messages print whatever they got, lists and undefined included.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowAny: true, allowArray: true, allowBoolean: true, allowNullish: true, allowNumber: true },
      ],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // The JavaScript example runs on Node as a host's own file: Node's globals are defined there.
    files: ['examples/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', Buffer: 'readonly', console: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

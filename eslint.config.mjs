// ESLint flat config (ESLint 10, typescript-eslint 8).
// - src/**/*.ts: @eslint/js recommended + typescript-eslint recommended (syntax only, no type information, to stay fast).
// - test/, bench/, scripts/, demo/ (hand-written CommonJS): @eslint/js recommended with Node and mocha globals.
// - nodes/**/*.js is tsc's output of src/ and is not linted; nodes/ also holds the hand-written editor .html and
//   locale .json files, which ESLint does not read.
// - src/kernel/ is AssemblyScript (compiled by asc into nodes/kernel/lstm.wasm), not linted.
// - eslint-config-prettier comes last so that formatting is left to Prettier.
import { defineConfig, globalIgnores } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

const unusedVars = [
  'error',
  {
    argsIgnorePattern: '^_',
    varsIgnorePattern: '^_',
    caughtErrors: 'none',
  },
];

export default defineConfig(
  globalIgnores([
    'nodes/**/*.js',
    '**/node_modules/**',
    '.demo/**',
    '.cache/**',
    'test-artifacts/**',
    'bench/results/**',
    // AssemblyScript (i32, f32, v128, decorators on functions), compiled by asc: not TypeScript ESLint can read.
    'src/kernel/**',
  ]),
  {
    files: ['src/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': unusedVars,
      // `const node = this` is how every Node-RED node constructor keeps its node for the
      // handlers it registers (core nodes and the typed starter do the same); no other alias.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
    },
  },
  {
    files: ['test/**/*.js', 'bench/**/*.js', 'scripts/**/*.js', 'demo/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { ...globals.node, ...globals.mocha },
    },
    rules: {
      'no-unused-vars': unusedVars,
    },
  },
  {
    // Callbacks of page.evaluate run inside headless Chromium.
    files: ['test/browser/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  prettier,
);

#!/usr/bin/env node
'use strict';
/**
 * Compiles the AssemblyScript LSTM kernel (src/kernel/lstm.ts) into
 * nodes/kernel/lstm.wasm with asc (devDependency, pinned so a rebuild gives the
 * same bytes). The .wasm is committed beside the source, so an install from git
 * or the registry needs no compiler; test/core/model/kernel-build.spec.js checks
 * that a rebuild reproduces it.
 *
 *   node scripts/build-kernel.js              write nodes/kernel/lstm.wasm
 *   node scripts/build-kernel.js --out FILE   write FILE instead
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
const SOURCE = path.join(ROOT, 'src', 'kernel', 'lstm.ts');
const TARGET = path.join(ROOT, 'nodes', 'kernel', 'lstm.wasm');
/** The asc options the committed .wasm was built with. */
const ASC_FLAGS = ['--enable', 'simd', '-O3', '--runtime', 'stub', '--noAssert'];

function ascPath() {
  try {
    return path.join(path.dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');
  } catch {
    return null;
  }
}

function main() {
  const at = process.argv.indexOf('--out');
  const out = at > 0 ? path.resolve(process.argv[at + 1]) : TARGET;
  const asc = ascPath();
  if (!asc) {
    if (fs.existsSync(TARGET) && out === TARGET) {
      console.log('build-kernel: assemblyscript not installed; keeping the committed nodes/kernel/lstm.wasm');
      return;
    }
    console.error('build-kernel: assemblyscript is not installed (npm install --save-dev assemblyscript)');
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const r = spawnSync(process.execPath, [asc, SOURCE, '-o', out, ...ASC_FLAGS], { stdio: 'inherit', timeout: 120000 });
  if (r.status !== 0) {
    console.error(`build-kernel: asc failed (${r.error ? r.error.message : `exit ${r.status}`})`);
    process.exit(1);
  }
}

main();

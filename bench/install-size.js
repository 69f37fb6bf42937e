#!/usr/bin/env node
'use strict';
/**
 * Install size and time as a palette install gives them: packs this repository
 * (`npm pack`, which builds it) and installs the tarball into an empty user
 * directory with the palette manager's own flags (`npm install --no-audit
 * --no-update-notifier --no-fund --save --save-prefix=~ --omit=dev
 * --engine-strict`), ROUNDS times, each in a fresh directory. With `--against
 * other.tgz` the other tarball (e.g. an older release) is installed in the same
 * rounds, alternating, so both see the same npm cache and machine load.
 * Reports the installed size (du of node_modules and of node_modules/@tensorflow,
 * MB) and the install's wall time. Needs the npm registry (or a warm npm cache).
 *
 *   node bench/install-size.js [--rounds 2] [--against FILE.tgz] [--out FILE]
 * Writes bench/results/install-size.json.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { parseArgs } = require('node:util');

const root = path.join(__dirname, '..');
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    against: { type: 'string' },
    out: { type: 'string', default: path.join(root, 'bench', 'results', 'install-size.json') },
  },
});
const PALETTE_FLAGS = [
  'install',
  '--no-audit',
  '--no-update-notifier',
  '--no-fund',
  '--save',
  '--save-prefix=~',
  '--omit=dev',
  '--engine-strict',
];

function megabytes(dir) {
  if (!fs.existsSync(dir)) return 0;
  return Number(execFileSync('du', ['-sm', dir], { encoding: 'utf8' }).split('\t')[0]);
}

function installOnce(tarball) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palette-'));
  try {
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
    const start = process.hrtime.bigint();
    execFileSync('npm', [...PALETTE_FLAGS, tarball], { cwd: dir, stdio: 'ignore', timeout: 15 * 60_000 });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const nm = path.join(dir, 'node_modules');
    return { seconds, totalMB: megabytes(nm), tensorflowMB: megabytes(path.join(nm, '@tensorflow')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function main() {
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-'));
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], {
    cwd: root,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop();
  const tarballs = { this: path.join(packDir, name) };
  if (args.against) tarballs.against = path.resolve(args.against);
  const runs = [];
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const [which, tarball] of Object.entries(tarballs)) {
      const r = { round, which, tarball: path.basename(tarball), ...installOnce(tarball) };
      runs.push(r);
      console.log(
        `round ${round} ${which}: ${r.totalMB} MB (@tensorflow ${r.tensorflowMB} MB), ${r.seconds.toFixed(1)} s`,
      );
    }
  }
  const machine = { cpus: os.cpus().length, node: process.version, npm: execFileSync('npm', ['-v']).toString().trim() };
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  fs.writeFileSync(args.out, JSON.stringify({ date: new Date().toISOString(), machine, runs }, null, 2));
  fs.rmSync(packDir, { recursive: true, force: true });
}

main();

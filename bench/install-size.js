#!/usr/bin/env node
'use strict';
/**
 * Install size, time and noise as a palette install gives them: packs this
 * repository (`npm pack`, which builds it) and installs the tarball into an empty
 * user directory with the palette manager's own flags (`npm install --no-audit
 * --no-update-notifier --no-fund --save --save-prefix=~ --omit=dev
 * --engine-strict`), ROUNDS times, each in a fresh directory.
 *
 * Variants, installed in the same rounds, alternating, so all see the same npm
 * cache and machine load:
 *   as-is           the palette install (npm also tries any optional dependency; the
 *                   pack had tfjs-node there, whose install script downloads
 *                   libtensorflow, until it became an opt-in: `--against` a tarball
 *                   of an earlier commit measures that attempt)
 *   omit-optional   the same plus `--omit=optional` (the CLI way to skip it)
 *   npmrc           `omit=optional` in the user directory's .npmrc (what `npm config
 *                   set omit optional --location=project` writes), palette flags
 *                   unchanged: does the palette's own `--omit=dev` override it?
 *   no-optional     a tarball whose package.json has no optionalDependencies
 *                   (tfjs-node as a documented opt-in), palette flags
 *   against         with `--against other.tgz`, that tarball (e.g. an older release)
 * `--variants a,b` picks some.
 *
 * All rounds share one npm cache (`--cache`, default a fresh directory that a
 * warm-up install of every variant fills before the measured rounds), so the
 * registry's downloads do not dominate; npm still revalidates package metadata
 * with the registry, as a palette install does. The tfjs-node install script's own
 * download of libtensorflow does not go through npm's cache.
 *
 * Reports per install: exit code, wall time, installed size (du of node_modules
 * and of node_modules/@tensorflow, MB), whether tfjs-node ended up installed, the
 * lines npm printed (stdout+stderr: what the palette manager shows in its log),
 * its `npm warn`/`npm error` lines, and the lines of npm's debug log (written
 * with `--logs-dir`, inside the user directory) on the failed optional tfjs-node
 * (count and the first ones). The first warm-up install runs with
 * `--foreground-scripts` to record what tfjs-node's install script itself prints
 * (npm hides it otherwise). Needs the npm registry (or a warm npm cache).
 *
 *   node bench/install-size.js [--rounds 2] [--variants as-is,...] [--against FILE.tgz]
 *                              [--cache DIR] [--out FILE]
 * Writes bench/results/install-size.json.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { parseArgs } = require('node:util');

const root = path.join(__dirname, '..');
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    variants: { type: 'string', default: 'as-is,omit-optional,npmrc,no-optional' },
    against: { type: 'string' },
    cache: { type: 'string' },
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
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const FIRST_LINES = 5;
const LINE_CHARS = 200;

function megabytes(dir) {
  if (!fs.existsSync(dir)) return 0;
  return Number(execFileSync('du', ['-sm', dir], { encoding: 'utf8' }).split('\t')[0]);
}

function lines(text) {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/**
 * The debug-log lines about the optional tfjs-node's failed install: its script's exit
 * (`info run @tensorflow/tfjs-node@... install { code: 1 ...}`) and one `reify failed optional
 * dependency` per package npm unpacked for it and then removed. Without npm's "123 " prefix.
 */
function optionalFailureLines(logsDir) {
  if (!fs.existsSync(logsDir)) return [];
  return fs
    .readdirSync(logsDir)
    .filter((f) => f.endsWith('.log'))
    .flatMap((f) => lines(fs.readFileSync(path.join(logsDir, f), 'utf8')))
    .map((l) => l.replace(/^\d+\s+/, ''))
    .filter((l) => /^info run @tensorflow\/tfjs-node@\S+ install \{/.test(l) || /failed optional dependency/.test(l));
}

/**
 * What tfjs-node's install script itself printed, from an install with
 * `--foreground-scripts` (npm otherwise hides a background script's output, and
 * an optional one's failure): the lines from its `> @tensorflow/tfjs-node@... install`
 * header up to npm's `added N packages`.
 */
function scriptOutput(output) {
  const from = output.findIndex((l) => /^> @tensorflow\/tfjs-node@\S+ install/.test(l));
  if (from < 0) return [];
  const to = output.findIndex((l, i) => i > from && /^(added|changed|up to date)/.test(l));
  return output.slice(from, to < 0 ? undefined : to);
}

function installOnce(variant, tarball, cache, { measure = true, foreground = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palette-'));
  try {
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
    if (variant === 'npmrc') {
      execFileSync('npm', ['config', 'set', 'omit', 'optional', '--location=project'], { cwd: dir, stdio: 'ignore' });
    }
    const logsDir = path.join(dir, 'npm-logs');
    const extra = [
      ...(variant === 'omit-optional' ? ['--omit=optional'] : []),
      ...(foreground ? ['--foreground-scripts'] : []),
    ];
    const outFile = path.join(dir, 'npm-output.txt');
    const fd = fs.openSync(outFile, 'w');
    const start = process.hrtime.bigint();
    let status;
    try {
      // Both streams into one file keeps npm's own interleaving of stdout and stderr.
      const r = spawnSync('npm', [...PALETTE_FLAGS, ...extra, `--cache=${cache}`, `--logs-dir=${logsDir}`, tarball], {
        cwd: dir,
        stdio: ['ignore', fd, fd],
        timeout: INSTALL_TIMEOUT_MS,
      });
      status = r.status ?? `signal ${r.signal}`;
    } finally {
      fs.closeSync(fd);
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const output = lines(fs.readFileSync(outFile, 'utf8'));
    if (!measure) return { status, script: scriptOutput(output) };
    const nm = path.join(dir, 'node_modules');
    const failed = optionalFailureLines(logsDir);
    return {
      status,
      seconds,
      totalMB: megabytes(nm),
      tensorflowMB: megabytes(path.join(nm, '@tensorflow')),
      tfjsNodeInstalled: fs.existsSync(path.join(nm, '@tensorflow', 'tfjs-node', 'package.json')),
      outputLines: output.length,
      warnErrorLines: output.filter((l) => /^npm (warn|error|ERR)/i.test(l)).length,
      firstOutputLines: output.slice(0, FIRST_LINES).map((l) => l.slice(0, LINE_CHARS)),
      debugLogLines: failed.length,
      firstDebugLogLines: failed.slice(0, FIRST_LINES).map((l) => l.slice(0, LINE_CHARS)),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** This tarball with optionalDependencies removed from its package.json (tfjs-node as an opt-in). */
function withoutOptional(tarball, dir) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'noopt-'));
  try {
    execFileSync('tar', ['-xzf', tarball, '-C', work]);
    const pkgFile = path.join(work, 'package', 'package.json');
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
    delete pkg.optionalDependencies;
    fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n');
    // --ignore-scripts: the extracted package has no src/ to build; nodes/ is already built.
    const name = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], {
      cwd: path.join(work, 'package'),
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop();
    // Packed beside the original under the same name, it would replace it: rename it on the way.
    const renamed = path.join(dir, name.replace(/\.tgz$/, '-no-optional.tgz'));
    fs.renameSync(path.join(work, name), renamed);
    return renamed;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function main() {
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-'));
  const ownCache = !args.cache;
  const cache = args.cache ? path.resolve(args.cache) : fs.mkdtempSync(path.join(os.tmpdir(), 'npm-cache-'));
  try {
    const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], {
      cwd: root,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop();
    const packed = path.join(packDir, name);
    const wanted = args.variants.split(',').map((v) => v.trim());
    const known = ['as-is', 'omit-optional', 'npmrc', 'no-optional'];
    const unknown = wanted.filter((v) => !known.includes(v));
    if (unknown.length)
      throw new Error(`unknown variant(s) ${unknown.join(', ')}; expected some of ${known.join(', ')}`);
    const variants = wanted.map((v) => [v, v === 'no-optional' ? withoutOptional(packed, packDir) : packed]);
    if (args.against) variants.push(['against', path.resolve(args.against)]);

    // Warm the shared cache with every variant's packages (not measured); the first
    // one in the foreground, to record what tfjs-node's install script says.
    let tfjsNodeScript = [];
    for (const [i, [variant, tarball]] of variants.entries()) {
      const { status, script } = installOnce(variant, tarball, cache, { measure: false, foreground: i === 0 });
      if (i === 0) tfjsNodeScript = script;
      console.error(
        `warm-up ${variant}: exit ${status}${i === 0 ? `, tfjs-node's script printed ${script.length} lines` : ''}`,
      );
    }
    const runs = [];
    for (let round = 1; round <= Number(args.rounds); round++) {
      for (const [variant, tarball] of variants) {
        const r = { round, variant, tarball: path.basename(tarball), ...installOnce(variant, tarball, cache) };
        runs.push(r);
        if (r.status !== 0) console.error(`${variant} failed:\n  ${r.firstOutputLines.join('\n  ')}`);
        console.log(
          `round ${round} ${variant}: exit ${r.status}, ${r.seconds.toFixed(1)} s, ${r.totalMB} MB ` +
            `(@tensorflow ${r.tensorflowMB} MB), tfjs-node ${r.tfjsNodeInstalled ? 'installed' : 'absent'}, ` +
            `npm printed ${r.outputLines} lines (${r.warnErrorLines} warn/error), ` +
            `${r.debugLogLines} debug-log lines on the failed optional tfjs-node`,
        );
      }
    }
    const machine = {
      cpus: os.cpus().length,
      node: process.version,
      npm: execFileSync('npm', ['-v']).toString().trim(),
      cache: ownCache ? 'fresh directory, warmed by one unmeasured install per variant' : cache,
    };
    fs.mkdirSync(path.dirname(args.out), { recursive: true });
    fs.writeFileSync(
      args.out,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          machine,
          tfjsNodeScript: { lines: tfjsNodeScript.length, first: tfjsNodeScript.slice(0, 12) },
          runs,
        },
        null,
        2,
      ),
    );
  } finally {
    fs.rmSync(packDir, { recursive: true, force: true });
    if (ownCache) fs.rmSync(cache, { recursive: true, force: true });
  }
}

main();

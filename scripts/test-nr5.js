#!/usr/bin/env node
/*
 * The Node-RED 5 / Node 22 leg of the test matrix.
 *
 * Node-RED 5 needs Node >= 22.9, newer than the Node the rest of the tooling
 * runs on. This script installs, once, a Node 22 binary (the npm package
 * `node`, which ships the official binary for this platform) and `node-red@5`
 * into .cache/nr5/ (git-ignored), then runs mocha on the node-level specs with
 * that binary, with node-red-node-test-helper pointed at the cached Node-RED 5.
 *
 *   node scripts/test-nr5.js                 build, then run test/nodes/**\/*.spec.js
 *   node scripts/test-nr5.js path/to/x.spec.js   run these specs instead
 *   node scripts/test-nr5.js --refresh       reinstall (picks up new 5.x / 22.x releases)
 *   node scripts/test-nr5.js --no-build      skip `tsc -p .` (nodes/ is already compiled)
 *
 * Any other argument starting with `-` is handed to mocha (e.g. --grep batch).
 * Env: NR5_NODE_SPEC (default "22"), NR5_NODE_RED_SPEC (default "5") choose
 * what npm installs; the cache is reinstalled when they change.
 *
 * How the helper is pointed at Node-RED 5: node-red-node-test-helper finds the
 * runtime with `require.resolve('node-red')` from its own folder, which is the
 * repository's Node-RED 4. This file is also loaded into mocha with `--require`
 * (see installResolveHook): there it makes `node-red`, `node-red/...` and
 * `@node-red/...` resolve inside .cache/nr5, so the helper, and any spec that
 * loads a core node such as `@node-red/nodes/core/function/10-function.js`,
 * get Node-RED 5 and Node-RED 4 is never loaded. Everything else (mocha,
 * the helper itself, tfjs, ioredis) resolves from the repository as usual.
 *
 * Exit code: mocha's (non-zero when a test fails), 2 when the setup fails.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const CACHE = path.join(ROOT, '.cache', 'nr5');
const STAMP = path.join(CACHE, 'installed.json');
const LOCK = path.join(ROOT, '.cache', 'nr5.lock');
const NODE_SPEC = process.env.NR5_NODE_SPEC || '22';
const NODE_RED_SPEC = process.env.NR5_NODE_RED_SPEC || '5';
const DEFAULT_SPECS = 'test/nodes/**/*.spec.js';
const MIN_NODE = [22, 9, 0];

// ---------------------------------------------------------------------------
// Inside mocha (loaded with --require): redirect Node-RED to the cache.
// ---------------------------------------------------------------------------

function installResolveHook(cacheDir) {
  const Module = require('module');
  const original = Module._resolveFilename;
  const isNodeRed = (request) =>
    request === 'node-red' || request.startsWith('node-red/') || request.startsWith('@node-red/');
  Module._resolveFilename = function (request, parent, isMain, options) {
    if (typeof request === 'string' && isNodeRed(request)) {
      // Requests from inside the cached Node-RED resolve normally (they are
      // already in its tree); every other one is looked up from the cache.
      const from = parent && parent.filename;
      if (!from || !from.startsWith(cacheDir + path.sep)) {
        return original.call(this, request, parent, isMain, { paths: [cacheDir] });
      }
    }
    return original.call(this, request, parent, isMain, options);
  };
}

/** Runs inside mocha: point the helper at the cached Node-RED and say which ran. */
function setUpInsideMocha(cacheDir) {
  installResolveHook(cacheDir);
  const nrPkg = require(require.resolve('node-red/package.json', { paths: [cacheDir] }));
  const helper = require(require.resolve('node-red-node-test-helper', { paths: [ROOT] }));
  // The helper found its runtime while being required just now, through the hook.
  const ran = helper._RED && typeof helper._RED.version === 'function' ? helper._RED.version() : 'none';
  if (!ran.startsWith(nrPkg.version.split('-')[0])) {
    throw new Error(`node-red-node-test-helper loaded Node-RED ${ran}, expected ${nrPkg.version} from ${cacheDir}`);
  }
  console.log(`[test-nr5] mocha on Node ${process.version}, node-red-node-test-helper runtime: Node-RED ${ran}`);
}

// ---------------------------------------------------------------------------
// As a script.
// ---------------------------------------------------------------------------

function log(text) {
  console.log(`[test-nr5] ${text}`);
}

function fail(text) {
  console.error(`[test-nr5] ERROR: ${text}`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { refresh: false, build: true, mochaArgs: [], specs: [] };
  for (const arg of argv) {
    if (arg === '--refresh') opts.refresh = true;
    else if (arg === '--no-build') opts.build = false;
    else if (arg === '-h' || arg === '--help') {
      console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 30).join('\n'));
      process.exit(0);
    } else if (arg.startsWith('-')) opts.mochaArgs.push(arg);
    else opts.specs.push(arg);
  }
  return opts;
}

function versionAtLeast(version, min) {
  const parts = version
    .replace(/^v/, '')
    .split('.')
    .map((p) => parseInt(p, 10));
  for (let i = 0; i < min.length; i++) {
    if ((parts[i] || 0) !== min[i]) return (parts[i] || 0) > min[i];
  }
  return true;
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** A lock so that two runs at once do not install into the same folder. */
function acquireLock() {
  fs.mkdirSync(path.dirname(LOCK), { recursive: true });
  const deadline = Date.now() + 10 * 60 * 1000;
  for (;;) {
    try {
      fs.writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(LOCK, { force: true });
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const holder = parseInt(fs.readFileSync(LOCK, 'utf8'), 10);
      let alive = false;
      try {
        process.kill(holder, 0);
        alive = true;
      } catch {
        /* the holder is gone: a stale lock */
      }
      if (!alive) {
        fs.rmSync(LOCK, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        fail(`another run (pid ${holder}) holds ${path.relative(ROOT, LOCK)} for over 10 minutes`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
  }
}

function nodeBinary() {
  // The `node` package links bin/node to the platform binary it installed.
  return path.join(CACHE, 'node_modules', 'node', 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
}

function probeCache() {
  const stamp = readJson(STAMP);
  if (!stamp || stamp.nodeSpec !== NODE_SPEC || stamp.nodeRedSpec !== NODE_RED_SPEC) return undefined;
  const nrPkg = readJson(path.join(CACHE, 'node_modules', 'node-red', 'package.json'));
  if (!nrPkg || nrPkg.version !== stamp.nodeRed) return undefined;
  const probe = spawnSync(nodeBinary(), ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0 || probe.stdout.trim() !== stamp.node) return undefined;
  return stamp;
}

function install() {
  log(`installing node@${NODE_SPEC} and node-red@${NODE_RED_SPEC} into ${path.relative(ROOT, CACHE)}/ (once) ...`);
  fs.rmSync(CACHE, { recursive: true, force: true });
  fs.mkdirSync(CACHE, { recursive: true });
  fs.writeFileSync(
    path.join(CACHE, 'package.json'),
    JSON.stringify({ name: 'nr5-test-cache', private: true, description: 'written by scripts/test-nr5.js' }, null, 2) +
      '\n',
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const started = Date.now();
  const result = spawnSync(
    npm,
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--no-save',
      '--loglevel=error',
      // node-red@5 declares engines node >= 22.9 and this npm runs on the
      // older Node: the install is fine, the tests run on the Node 22 below.
      '--engine-strict=false',
      `node@${NODE_SPEC}`,
      `node-red@${NODE_RED_SPEC}`,
    ],
    { cwd: CACHE, stdio: 'inherit', env: { ...process.env, npm_config_update_notifier: 'false' } },
  );
  if (result.error) fail(`could not run npm: ${result.error.message}`);
  if (result.status !== 0) fail(`npm install in ${path.relative(ROOT, CACHE)} exited with ${result.status}`);

  const probe = spawnSync(nodeBinary(), ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    fail(
      `the installed Node binary ${path.relative(ROOT, nodeBinary())} does not run: ${probe.error ? probe.error.message : probe.stderr}`,
    );
  }
  const nodeVersion = probe.stdout.trim();
  const nrPkg = readJson(path.join(CACHE, 'node_modules', 'node-red', 'package.json'));
  if (!nrPkg) fail('node-red is missing from the cache after npm install');
  const stamp = {
    nodeSpec: NODE_SPEC,
    nodeRedSpec: NODE_RED_SPEC,
    node: nodeVersion,
    nodeRed: nrPkg.version,
    installedAt: new Date().toISOString(),
  };
  // Written last: an interrupted install has no stamp and is redone next time.
  fs.writeFileSync(STAMP, JSON.stringify(stamp, null, 2) + '\n');
  log(`installed Node ${nodeVersion} and Node-RED ${nrPkg.version} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return stamp;
}

function build() {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!fs.existsSync(tsc)) fail('typescript is not installed in the repository (run npm ci first)');
  log('building: tsc -p .');
  const result = spawnSync(process.execPath, [tsc, '-p', ROOT], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    // tsc still emits on type errors; the specs then run on what was emitted.
    const errors = (result.stdout.match(/error TS\d+/g) || []).length;
    log(`warning: tsc reported ${errors} type error(s); running the tests on the emitted code anyway:`);
    process.stdout.write(result.stdout.split('\n').slice(0, 20).join('\n') + '\n');
  }
}

/** The files under test/nodes/ that mocha's default glob would pick. */
function defaultSpecFiles() {
  const found = [];
  const walk = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.spec.js')) found.push(full);
    }
  };
  walk(path.join(ROOT, 'test', 'nodes'));
  return found;
}

function mochaDefaults() {
  // The repository's .mocharc.json without its `spec` (mocha would add it to
  // ours); hence --no-config below.
  const rc = readJson(path.join(ROOT, '.mocharc.json')) || {};
  const args = [];
  if (rc.timeout !== undefined) args.push('--timeout', String(rc.timeout));
  if (rc.exit) args.push('--exit');
  if (rc.reporter) args.push('--reporter', rc.reporter);
  for (const r of [].concat(rc.require || [])) args.push('--require', r);
  return args;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const release = acquireLock();
  let stamp;
  try {
    stamp = opts.refresh ? undefined : probeCache();
    if (stamp)
      log(
        `reusing ${path.relative(ROOT, CACHE)}/ (Node ${stamp.node}, Node-RED ${stamp.nodeRed}; --refresh reinstalls)`,
      );
    else stamp = install();
  } finally {
    release();
  }
  if (!versionAtLeast(stamp.node, MIN_NODE)) {
    fail(`Node-RED 5 needs Node >= ${MIN_NODE.join('.')}, the cache has ${stamp.node} (NR5_NODE_SPEC=${NODE_SPEC})`);
  }
  if (opts.build) build();

  const mocha = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
  if (!fs.existsSync(mocha)) fail('mocha is not installed in the repository (run npm ci first)');
  const specs = opts.specs.length ? opts.specs : [DEFAULT_SPECS];
  if (!opts.specs.length && defaultSpecFiles().length === 0) {
    // mocha would fail with "No test files found"; there is nothing to check yet.
    log(`no spec matches ${DEFAULT_SPECS}: nothing to run on Node ${stamp.node} / Node-RED ${stamp.nodeRed}`);
    process.exit(0);
  }
  const args = [
    mocha,
    '--no-config',
    '--no-package',
    ...mochaDefaults(),
    '--require',
    __filename,
    ...opts.mochaArgs,
    ...specs,
  ];
  log(`running ${specs.join(' ')} on Node ${stamp.node} with Node-RED ${stamp.nodeRed}`);
  const started = Date.now();
  const result = spawnSync(nodeBinary(), args, {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NR5_CACHE_DIR: CACHE },
  });
  if (result.error) fail(`could not start ${nodeBinary()}: ${result.error.message}`);
  const code = result.status === null ? 1 : result.status;
  log(
    `Node ${stamp.node} / Node-RED ${stamp.nodeRed}: mocha ${code === 0 ? 'passed' : `FAILED (exit ${code}${result.signal ? `, ${result.signal}` : ''})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  process.exit(code);
}

if (require.main === module) {
  main();
} else if (process.env.NR5_CACHE_DIR) {
  setUpInsideMocha(process.env.NR5_CACHE_DIR);
} else {
  throw new Error(
    'scripts/test-nr5.js is a --require hook only when scripts/test-nr5.js runs mocha (NR5_CACHE_DIR is unset)',
  );
}

#!/usr/bin/env node
/*
 * npm start: a local Node-RED with this pack, FlowFuse Dashboard 2 and the demo
 * flow (examples/demo-dashboard.json) deployed.
 *
 *   npm start                      editor on http://127.0.0.1:1880/, dashboard on /dashboard
 *   npm start -- --port 1881       another port (or env PORT)
 *   npm start -- --reset           replace .demo/flows.json with the shipped demo flow
 *   npm start -- --user-dir DIR    another Node-RED user directory (default .demo/, or env DEMO_USER_DIR)
 *   npm start -- --epochs N        train the demo model for N epochs instead of the flow's setting (or env DEMO_EPOCHS)
 *   npm start -- --no-build        do not compile src/ even when nodes/ is missing or older
 *
 * The user directory keeps the flows you edit: the demo flow is copied into it
 * only when it has no flows.json yet, or with --reset. The pack is linked into
 * <userDir>/node_modules/@lstm-forecast/node-red-lstm-forecast -> this repository,
 * the way `npm link` would, so Node-RED loads it like any installed node module.
 *
 * Env read by the flow: DEMO_RATE_MS (ms between replayed readings, default 500),
 * DEMO_HISTORY_ROWS (hours of history to train on, default 1440),
 * DEMO_DATA_FILE (a CSV path overriding the data embedded in the flow; passed through when set).
 * HOST chooses the listening address (default 127.0.0.1).
 *
 * Ctrl-C (SIGINT) or SIGTERM stops Node-RED cleanly (flows closed, training
 * workers ended); a second Ctrl-C kills it.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const PKG = require(path.join(ROOT, 'package.json'));
const FLOW = path.join(ROOT, 'examples', 'demo-dashboard.json');
const SETTINGS = path.join(ROOT, 'demo', 'settings.js');

function usage(code) {
  console.log(
    fs
      .readFileSync(__filename, 'utf8')
      .split('\n')
      .slice(2, 26)
      .map((l) => l.replace(/^ \* ?/, ''))
      .join('\n'),
  );
  process.exit(code);
}

function parseArgs(argv) {
  const opts = {
    port: process.env.PORT || '1880',
    userDir: process.env.DEMO_USER_DIR || path.join(ROOT, '.demo'),
    epochs: process.env.DEMO_EPOCHS || '',
    reset: false,
    build: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (v === undefined || v === '') fail(`${arg} needs a value`);
      return v;
    };
    if (arg === '--reset') opts.reset = true;
    else if (arg === '--no-build') opts.build = false;
    else if (arg === '-h' || arg === '--help') usage(0);
    else if (arg === '--port' || arg.startsWith('--port=') || arg === '-p') opts.port = value();
    else if (arg === '--user-dir' || arg.startsWith('--user-dir=')) opts.userDir = path.resolve(value());
    else if (arg === '--epochs' || arg.startsWith('--epochs=')) opts.epochs = value();
    else fail(`unknown argument ${arg} (see --help)`);
  }
  if (!/^\d+$/.test(String(opts.port)) || Number(opts.port) > 65535) fail(`expected a port number, got ${opts.port}`);
  if (opts.epochs !== '' && !/^[1-9]\d*$/.test(String(opts.epochs)))
    fail(`expected --epochs as a positive integer, got ${opts.epochs}`);
  return opts;
}

function log(text) {
  console.log(`[demo] ${text}`);
}

function fail(text) {
  console.error(`[demo] ERROR: ${text}`);
  process.exit(2);
}

/** The compiled node files are missing or older than a source file: compile (tsc). */
function ensureBuilt() {
  const outputs = Object.values(PKG['node-red'].nodes).map((f) => path.join(ROOT, f));
  const newestSource = (dir) => {
    let newest = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
    return newest;
  };
  const missing = outputs.filter((f) => !fs.existsSync(f));
  const oldest = missing.length ? 0 : Math.min(...outputs.map((f) => fs.statSync(f).mtimeMs));
  if (!missing.length && oldest >= newestSource(path.join(ROOT, 'src'))) return;
  log(
    missing.length
      ? `compiling src/ (missing ${missing.map((f) => path.relative(ROOT, f)).join(', ')})`
      : 'compiling src/ (sources changed)',
  );
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.json')], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) fail('tsc failed; fix the build or start with --no-build');
}

/** <userDir>/node_modules/<pack name> -> the repository, replacing a stale link. */
function linkPack(userDir) {
  const link = path.join(userDir, 'node_modules', ...PKG.name.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  let current;
  try {
    current = fs.readlinkSync(link);
  } catch {
    current = undefined;
  }
  if (current !== undefined && path.resolve(path.dirname(link), current) === ROOT) return;
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(ROOT, link, 'dir');
}

/** Copies the demo flow into the user directory (when missing or on --reset), with the epochs override. */
function installFlow(userDir, opts) {
  const target = path.join(userDir, 'flows.json');
  const exists = fs.existsSync(target);
  if (exists && !opts.reset) {
    log(
      `keeping your flows in ${path.relative(process.cwd(), target) || target} (npm start -- --reset restores the demo)`,
    );
    if (opts.epochs) log('--epochs applies only when the demo flow is (re)installed; add --reset');
    return;
  }
  const flow = JSON.parse(fs.readFileSync(FLOW, 'utf8'));
  if (opts.epochs) for (const n of flow) if (n.type === 'lstm-train') n.epochs = Number(opts.epochs);
  if (exists) fs.copyFileSync(target, `${target}.backup`);
  fs.writeFileSync(target, JSON.stringify(flow, null, 2));
  log(
    `${exists ? 'reset' : 'installed'} the demo flow in ${target}${exists ? ' (previous flows in flows.json.backup)' : ''}`,
  );
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.build) ensureBuilt();
  fs.mkdirSync(opts.userDir, { recursive: true });
  linkPack(opts.userDir);
  installFlow(opts.userDir, opts);

  const redJs = require.resolve('node-red/red.js', { paths: [ROOT] });
  const env = {
    ...process.env,
    DEMO_RATE_MS: process.env.DEMO_RATE_MS || '500',
    DEMO_HISTORY_ROWS: process.env.DEMO_HISTORY_ROWS || '1440',
  };
  const host = process.env.HOST || '127.0.0.1';
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const base = `http://${shown}:${opts.port}`;
  const child = spawn(
    process.execPath,
    [redJs, '--settings', SETTINGS, '--userDir', opts.userDir, '--port', String(opts.port)],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );

  // Pass Node-RED's log through; announce the URLs once it listens.
  let announced = false;
  let pendingOut = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    if (announced) return;
    pendingOut = (pendingOut + chunk.toString()).slice(-4000);
    if (/Server now running at/.test(pendingOut)) {
      announced = true;
      pendingOut = '';
      console.log(
        `\n[demo] Node-RED editor: ${base}/\n[demo] Dashboard:        ${base}/dashboard/\n[demo] Training starts now; forecasts appear once the model is trained. Ctrl-C stops.\n`,
      );
    }
  });
  child.stderr.pipe(process.stderr);

  let stopping = 0;
  const stop = (signal) => {
    stopping++;
    if (stopping === 1) {
      log(`stopping Node-RED (${signal})...`);
      child.kill('SIGINT');
      // Node-RED closes its flows (and ends training workers) within seconds; never hang.
      setTimeout(() => child.kill('SIGKILL'), 15000).unref();
    } else {
      child.kill('SIGKILL');
    }
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  child.on('exit', (code, signal) => {
    if (!stopping) log(`Node-RED exited (${signal || code})`);
    process.exit(stopping ? 0 : code === null ? 1 : code);
  });
}

main();

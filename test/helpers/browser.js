'use strict';
// Shared parts of the browser specs: Node-RED started through scripts/start.js (the pack linked into a temporary
// user directory, Dashboard 2 from the devDependencies) on a free loopback port, and headless Debian chromium driven
// by playwright-core.
const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');
const { chromium } = require('playwright-core');

const ROOT = path.join(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** Fails (never skips) when chromium is missing. */
function requireChromium() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `chromium not found at ${CHROMIUM}: install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH. The browser tests do not skip.`,
    );
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node scripts/start.js --no-build` on `port` with `userDir` (extra `args` and `env` passed on) and resolves
 * `started` once Node-RED listens. start.js keeps a flows.json already in userDir, so a spec can deploy its own flow.
 */
function startDemo(port, userDir, { args = [], env = {} } = {}) {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'scripts', 'start.js'), '--no-build', '--port', String(port), '--user-dir', userDir, ...args],
    {
      cwd: ROOT,
      env: { ...process.env, HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = [];
  const keep = (chunk) => {
    output.push(chunk.toString());
    if (output.length > 400) output.splice(0, output.length - 400);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const started = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`Node-RED did not start within 90 s:\n${output.join('')}`)), 90000);
    const watch = () => {
      if (/Server now running at/.test(output.join(''))) {
        clearTimeout(t);
        child.stdout.off('data', watch);
        resolve();
      }
    };
    child.stdout.on('data', watch);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`scripts/start.js exited (${code}) before Node-RED listened:\n${output.join('')}`));
    });
  });
  return { child, output, started };
}

/** Ctrl-C, as a user would; SIGKILL if Node-RED has not stopped after 20 s. */
function stopDemo(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGINT');
  });
}

/** A headless chromium with its profile in `profileDir`, and its first page. */
async function launchBrowser(profileDir) {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 },
  });
  const page = context.pages()[0] || (await context.newPage());
  return { context, page };
}

module.exports = { ROOT, CHROMIUM, requireChromium, freePort, startDemo, stopDemo, launchBrowser };

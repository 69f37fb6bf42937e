// Bundles scripts/tfjs-registrations.mjs (ES modules of tfjs-core) into one CommonJS
// file beside the compiled core, loaded by backend.ts after tfjs-core and tfjs-layers.
// The registries it fills are tfjs-core's global ones, so the copy registers on the
// tfjs-core instance the pack uses. Run by `npm run build`.
'use strict';
const path = require('path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
esbuild.buildSync({
  entryPoints: [path.join(root, 'scripts', 'tfjs-registrations.mjs')],
  outfile: path.join(root, 'nodes', 'core', 'base', 'tfjs-registrations.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
});

'use strict';
// An example flow as the editor imports it, for the examples spec and bench/demo-widths.js.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '../..');
const pkg = require(path.join(root, 'package.json'));
/** The pack's node types and their compiled modules. */
const ours = Object.entries(pkg['node-red'].nodes).map(([type, file]) => ({
  type,
  mod: require(path.join(root, file)),
}));
const coreDir = path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core');
/** Node-RED's core nodes the examples use, by type: their files under @node-red/nodes/core. */
const core = {
  inject: 'common/20-inject.js',
  comment: 'common/90-comment.js',
  catch: 'common/25-catch.js',
  status: 'common/25-status.js',
  'link in': 'common/60-link.js',
  'link out': 'common/60-link.js',
  function: 'function/10-function.js',
  change: 'function/15-change.js',
  switch: 'function/10-switch.js',
  delay: 'function/89-delay.js',
  template: 'function/80-template.js',
  csv: 'parsers/70-CSV.js',
  json: 'parsers/70-JSON.js',
};

/**
 * The example as the editor imports it: every node on one new tab `ex`, the pack's nodes and the core nodes real,
 * other packs' nodes (dashboard widgets) and debug nodes stood in for by helper nodes with the same wires.
 * @param adjust (node, original) => void: changes a real node's copy before it is deployed (e.g. fewer epochs).
 */
function imported(file, adjust = () => {}) {
  const raw = JSON.parse(fs.readFileSync(path.join(root, 'examples', file), 'utf8'));
  const ourTypes = new Set(ours.map((o) => o.type));
  const flow = [];
  const modules = new Set(ours.map((o) => o.mod));
  for (const n of raw) {
    if (n.type === 'tab' || (!('wires' in n) && !ourTypes.has(n.type))) continue; // tabs and other packs' config nodes
    if (ourTypes.has(n.type) || core[n.type]) {
      if (core[n.type]) modules.add(require(path.join(coreDir, core[n.type])));
      const node = { ...n, z: 'ex' };
      adjust(node, n);
      flow.push(node);
    } else {
      flow.push({ id: n.id, type: 'helper', z: 'ex', wires: n.wires || [] });
    }
  }
  flow.unshift({ id: 'ex', type: 'tab', label: file });
  return { raw, flow, modules: [...modules], ourTypes };
}

module.exports = { root, ours, imported };

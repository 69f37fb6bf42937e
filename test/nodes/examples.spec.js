'use strict';
// Every example flow under examples/ is loaded into the real runtime with the
// pack's nodes and Node-RED's core nodes, so none can rot: each of our nodes
// must start without a red status. Nodes of other packs (dashboard widgets) and
// debug nodes are stood in for by helper nodes with the same wires.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { helper, startRuntime, stopRuntime, lastStatus } = require('../helpers/runtime');

const root = path.join(__dirname, '../..');
const pkg = require(path.join(root, 'package.json'));
const ours = Object.entries(pkg['node-red'].nodes).map(([type, file]) => ({
  type,
  mod: require(path.join(root, file)),
}));
const coreDir = path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core');
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

const examples = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json'));

describe('example flows', function () {
  this.timeout(60000);
  afterEach(async function () {
    await stopRuntime();
  });

  it('every node type of the pack appears in an example', function () {
    const used = new Set();
    for (const f of examples)
      for (const n of JSON.parse(fs.readFileSync(path.join(root, 'examples', f), 'utf8'))) used.add(n.type);
    for (const { type } of ours) assert.ok(used.has(type), `${type} is in no example flow`);
  });

  for (const file of examples) {
    it(`${file} loads and its pack nodes start cleanly`, async function () {
      const raw = JSON.parse(fs.readFileSync(path.join(root, 'examples', file), 'utf8'));
      assert.ok(
        raw.some((n) => n.type === 'comment'),
        'the example explains itself with a comment node',
      );
      const ourTypes = new Set(ours.map((o) => o.type));
      const flow = [];
      const modules = new Set(ours.map((o) => o.mod));
      for (const n of raw) {
        if (n.type === 'tab' || (!('wires' in n) && !ourTypes.has(n.type))) continue; // tabs and other packs' config nodes
        if (ourTypes.has(n.type) || core[n.type]) {
          if (core[n.type]) modules.add(require(path.join(coreDir, core[n.type])));
          flow.push({ ...n, z: 'ex' });
        } else {
          flow.push({ id: n.id, type: 'helper', z: 'ex', wires: n.wires || [] });
        }
      }
      flow.unshift({ id: 'ex', type: 'tab', label: file });
      await startRuntime([...modules], flow);
      await new Promise((r) => setTimeout(r, 300));
      for (const n of flow.filter((x) => ourTypes.has(x.type))) {
        const node = helper.getNode(n.id);
        assert.ok(node, `${n.type} ${n.id} started`);
        const st = lastStatus(node);
        assert.ok(!st || st.fill !== 'red', `${n.type} ${n.id} has a red status: ${st && st.text}`);
      }
    });
  }
});

'use strict';
// lstm-train's message ways to move a model: msg.export sends the stored model as
// the three files of a TensorFlow.js layers model; msg.artifact (or an artifact
// in msg.payload) stores an imported model as the next version of the node's
// model. Through the real runtime and a real memory context store.
const assert = require('assert');
const { helper, startRuntime, stopRuntime, expectError, collect, lastStatus } = require('../helpers/runtime');
const { initBackend } = require('../../nodes/core/base/backend');
const { trainForecaster } = require('../../nodes/core/train/trainer');
const { importExported } = require('../../nodes/core/model/export');
const { co2Dataset } = require('../helpers/co2-fixture');

const modules = [require('../../nodes/lstm-train.js')];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function ctx(node, key, value) {
  return new Promise((resolve, reject) =>
    value === undefined
      ? node.context().flow.get(key, (err, v) => (err ? reject(err) : resolve(v)))
      : node.context().flow.set(key, value, (err) => (err ? reject(err) : resolve())),
  );
}

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(10);
  }
}

const flow = () => [
  { id: 'f1', type: 'tab', label: 'export' },
  { id: 'src', type: 'lstm-train', z: 'f1', model: 'co2', units: 4, wires: [['out'], []] },
  { id: 'dst', type: 'lstm-train', z: 'f1', model: 'copy', units: 4, wires: [['out'], []] },
  { id: 'out', type: 'helper', z: 'f1' },
];

describe('lstm-train export and import messages', function () {
  this.timeout(120000);
  let artifact;
  before(async () => {
    await initBackend();
    ({ artifact } = await trainForecaster(co2Dataset(12, 3, 120), { units: 4, seed: 2 }, { epochs: 2, name: 'co2' }));
  });
  afterEach(() => stopRuntime());

  it('msg.export sends model.json, weights.bin and forecast-settings.json; msg.artifact stores them as the next version', async function () {
    await startRuntime(modules, flow());
    const src = helper.getNode('src');
    const dst = helper.getNode('dst');
    const out = collect(helper.getNode('out'));
    await ctx(src, 'co2', artifact);
    src.receive({ export: true });
    await until(() => out.length === 3, 10000, 'three export messages');
    assert.deepStrictEqual(
      out.map((m) => m.filename),
      ['model.json', 'weights.bin', 'forecast-settings.json'],
    );
    assert.ok(out.every((m) => m.topic === 'co2' && m.export.model.version === 1));
    assert.ok(Buffer.isBuffer(out[1].payload));
    assert.strictEqual(lastStatus(src).text, 'exported v1');
    // What a file node would write, read back as lstm-forecast import does.
    const imported = importExported(
      JSON.parse(out[0].payload),
      new Uint8Array(out[1].payload),
      JSON.parse(out[2].payload),
    );
    assert.deepStrictEqual(imported, artifact);

    dst.receive({ artifact: imported });
    await until(() => out.length === 4, 20000, 'the import report');
    assert.deepStrictEqual([out[3].model.name, out[3].model.version, out[3].model.importedFrom], ['copy', 1, 'co2']);
    const stored = await ctx(dst, 'copy');
    assert.strictEqual(stored.name, 'copy');
    assert.notStrictEqual(stored.id, artifact.id);
    assert.deepStrictEqual(stored.weights, artifact.weights);
    assert.deepStrictEqual(stored.scaler, artifact.scaler);
    // An artifact in msg.payload (a file-in + json node) is an import too: the next version.
    dst.receive({ payload: JSON.parse(JSON.stringify(artifact)) });
    await until(() => out.length === 5, 20000, 'the second import report');
    assert.strictEqual((await ctx(dst, 'copy')).version, 2);
  });

  it('a bad artifact is refused at the edge and changes nothing; export with nothing stored says so', async function () {
    await startRuntime(modules, flow());
    const src = helper.getNode('src');
    const dst = helper.getNode('dst');
    await ctx(dst, 'copy', artifact);
    const bent = JSON.parse(JSON.stringify(artifact));
    bent.weights[0].shape = [1];
    const err = await expectError(dst, { artifact: bent });
    assert.match(String(err), /weights\[0\].*shape \[1\] needs 4 bytes/);
    assert.strictEqual(lastStatus(dst).fill, 'red');
    assert.deepStrictEqual(await ctx(dst, 'copy'), artifact);
    const none = await expectError(src, { export: true });
    assert.match(String(none), /no model 'co2' stored in flow context .* to export/);
  });
});

'use strict';
// Fuzz: 10,000 generated forecasts (seeded, reproducible; malformed attention,
// headers and payloads) through attention-inspector in the real runtime. Every
// message gets its outputs or done(err) (none silent), no uncaught exception,
// every number in the outputs is finite, texts bounded, inputs never mutated.
const assert = require('assert');
const { helper, startRuntime, stopRuntime } = require('../helpers/runtime');
const { deliverInBatches } = require('../helpers/fuzz');
const { Forecaster } = require('../../nodes/core/serve/forecaster');
const { forecastPayload } = require('../../nodes/core/serve/forecast-message');
const { tinyArtifact, windowMessage, nonFinite, prng } = require('./predict-fixtures');

const inspectorNode = require('../../nodes/attention-inspector.js');
const SEED = Number(process.env.FUZZ_SEED || 20240611);
const COUNT = 10000;

const flow = [
  { id: 'tab', type: 'tab', label: 'fuzz' },
  { id: 'i', type: 'attention-inspector', topK: 3, wires: [['nums'], ['chart'], ['svg']] },
  { id: 'nums', type: 'helper' },
  { id: 'chart', type: 'helper' },
  { id: 'svg', type: 'helper' },
].map((n) => (n.type === 'tab' ? n : { z: 'tab', ...n }));

const clone = (x) => JSON.parse(JSON.stringify(x));

function generator(rand, samples) {
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const int = (n) => Math.floor(rand() * n);
  const unicode = (n) => Array.from({ length: n }, () => pick(['é', '\u{1F600}', '中', '<', '&', '"'])).join('');
  const junk = () =>
    pick([
      () => NaN,
      () => Infinity,
      () => -1,
      () => 1e39,
      () => 1e308,
      () => 10n,
      () => null,
      () => undefined,
      () => '0.5',
      () => unicode(int(300)),
      () => [],
      () => [[]],
      () => ({}),
      () => JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"x": 1}}}'),
      () => new Array(int(30000)).fill(1 / 30000),
      () => ({ a: [{ b: NaN }] }),
    ])();
  const mutations = [
    () => {},
    () => {},
    (f) => {
      const row = f.attention.weights[int(f.attention.weights.length)];
      row[int(row.length)] = junk();
    },
    (f) => f.attention.weights.push(...new Array(1 + int(8)).fill(f.attention.weights[0])),
    (f) => (f.attention.weights = f.attention.weights.map((r) => r.map((v) => v * 2))),
    (f) => (f.attention.weights = f.attention.weights.map((r) => r.slice(0, int(r.length)))),
    (f) => (f.attention.weights = f.attention.weights.map((r) => r.concat(r).map((v) => v / 2))),
    (f) => (f.attention.weights = [new Array(20000).fill(1 / 20000)]),
    (f) => (f.attention.weights = junk()),
    (f) => (f.attention.timestamps = pick([junk(), f.attention.timestamps.slice(1)])),
    (f) => (f.attention.timestamps[int(f.attention.timestamps.length)] = pick([junk(), '2024-13-45', 'not a time'])),
    (f) => (f.attention.timestamps = f.attention.timestamps.map((t) => new Date(t).toISOString())),
    (f) => (f.attention.values[int(f.attention.values.length)] = junk()),
    (f) => (f.attention.values = junk()),
    (f) => (f.attention.features = junk()),
    (f) => (f.attention.featureWeights = pick([junk(), [[[1]]], f.attention.weights.map((r) => r.map(() => [1]))])),
    (f) => (f[pick(['model', 'series', 'target', 'version', 'origin'])] = junk()),
    (f) => (f.model = unicode(int(20000))),
    (f) => (f.attention = junk()),
    (f) => (f.forecast = junk()),
  ];
  return (i) => {
    const f = clone(pick(samples));
    for (let k = 0, n = int(3); k <= n; k++) {
      const mutate = pick(mutations);
      try {
        mutate(f);
      } catch {
        // an earlier mutation already broke the part this one edits: the forecast stays as it is
      }
    }
    const roll = rand();
    const msg = { _msgid: `fuzz-${i}` };
    if (roll < 0.85) msg.payload = f;
    else if (roll < 0.92) Object.assign(msg, { payload: [{ x: 1, y: 2 }], forecast: f });
    else msg.payload = junk();
    if (rand() < 0.1) msg.topic = unicode(int(10000));
    return msg;
  };
}

describe('faults: attention-inspector fuzz', function () {
  this.timeout(180000);
  const samples = [];
  const uncaught = [];
  const onUncaught = (err) => uncaught.push(err);
  before(async function () {
    const artifact = await tinyArtifact('gca');
    const f = await Forecaster.load(artifact);
    try {
      for (const offset of [0, 7, 30]) {
        const w = windowMessage(offset).inputs;
        const times = w.map((_, j) => 1.7e12 + j * 86400000);
        samples.push(forecastPayload(f.artifact, f.predict([w]), 0, w, times, 86400000, 'co2'));
      }
    } finally {
      f.dispose();
    }
    assert.ok(samples[0].attention, 'the tiny gca model forecasts with attention');
    await startRuntime([inspectorNode], flow);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
  });
  after(async function () {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    await stopRuntime();
  });

  it(`answers each of ${COUNT} generated forecasts with its outputs or done(err), finite numbers only`, async function () {
    const node = helper.getNode('i');
    const samplesBefore = JSON.stringify(samples);
    const waiting = new Map();
    const counts = { out: 0, err: 0, chart: 0, svg: 0 };
    const bad = [];
    const settle = (id, kind) => {
      const w = waiting.get(id);
      if (!w) return;
      waiting.delete(id);
      counts[kind]++;
      w();
    };
    helper.getNode('chart').on('input', (msg) => {
      counts.chart++;
      const found = nonFinite({ payload: msg.payload });
      if (found.length) bad.push(`${msg._msgid} chart: ${found.join(', ')}`);
    });
    helper.getNode('svg').on('input', (msg) => {
      counts.svg++;
      if (/NaN|Infinity/.test(msg.payload))
        bad.push(`${msg._msgid}: svg with NaN or Infinity: ${msg.payload.match(/.{0,80}(NaN|Infinity).{0,40}/)[0]}`);
      if (msg.payload.length > 5e6) bad.push(`${msg._msgid}: svg of ${msg.payload.length} chars`);
    });
    helper.getNode('nums').on('input', (msg) => {
      const found = nonFinite({ payload: msg.payload });
      if (found.length) bad.push(`${msg._msgid}: ${found.join(', ')}`);
      settle(msg._msgid, 'out');
    });
    node.on('call:error', (call) => {
      if (call.thisValue !== node) return;
      const [err, msg] = call.args;
      const text = err instanceof Error ? err.message : String(err);
      if (text.length > 1001) bad.push(`${msg && msg._msgid}: error text of ${text.length}`);
      if (/TypeError|Cannot read|is not a function|serialize a BigInt/.test(text)) bad.push(`${msg._msgid}: ${text}`);
      settle(msg && msg._msgid, 'err');
    });
    const next = generator(prng(SEED), samples);
    const started = Date.now();
    const silent = await deliverInBatches(
      COUNT,
      next,
      () => node,
      waiting,
      (i) => {
        if (i % 500 === 0) helper._sandbox.resetHistory(); // the helper's spies keep every call
        const st =
          node.status.lastCall && node.status.lastCall.thisValue === node ? node.status.lastCall.args[0] : null;
        if (st && st.text && st.text.length > 40) bad.push(`status of ${st.text.length} chars`);
      },
    );
    await new Promise((r) => setTimeout(r, 100));
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `      ${COUNT} messages in ${seconds.toFixed(1)} s (seed ${SEED}): ${counts.out} outputs, ${counts.err} errors`,
    );
    assert.deepStrictEqual(uncaught.map(String), []);
    assert.deepStrictEqual(silent.slice(0, 10), [], `${silent.length} messages got neither an output nor an error`);
    assert.strictEqual(counts.out + counts.err, COUNT);
    assert.deepStrictEqual([counts.chart, counts.svg], [counts.out, counts.out], 'all three outputs each time');
    assert.deepStrictEqual(bad.slice(0, 10), []);
    assert.ok(counts.out > COUNT / 20, `some forecasts were inspected (${counts.out})`);
    assert.ok(counts.err > COUNT / 4, `most junk was refused (${counts.err})`);
    assert.strictEqual(JSON.stringify(samples), samplesBefore, 'the inputs were not mutated');
    assert.ok(!{}.polluted && !{}.x, 'no prototype pollution');
  });
});

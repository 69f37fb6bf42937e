'use strict';
// window -> train (GCA) -> predict -> inspector on real data (monthly CO2), and
// the inspector's bad inputs.
const assert = require('assert');
const { helper, startRuntime, stopRuntime, nextMessage, expectError, lastStatus } = require('../helpers/runtime');
const { co2Series } = require('../helpers/co2-fixture');
const nodes = ['sequence-windower', 'lstm-train', 'lstm-predict', 'attention-inspector'].map((n) =>
  require(`../../nodes/${n}.js`),
);

const L = 24;
const flow = [
  { id: 'tab', type: 'tab', label: 'gca' },
  {
    id: 'hist',
    type: 'sequence-windower',
    mode: 'batch',
    window: L,
    horizon: 6,
    stride: 2,
    features: 'co2',
    target: 'co2',
    timeField: 'date',
    wires: [
      ['pred', 'pred2'],
      ['train', 'train2'],
    ],
  },
  {
    id: 'train',
    type: 'lstm-train',
    model: 'co2gca',
    modelType: 'gca',
    units: 6,
    attentionUnits: 4,
    iterations: 2,
    epochs: 3,
    patience: 3,
    batchSize: 32,
    learningRate: 0.01,
    season: 12,
    wires: [['report'], []],
  },
  { id: 'report', type: 'helper' },
  { id: 'pred', type: 'lstm-predict', model: 'co2gca', attribution: true, attributionSteps: 8, wires: [['insp']] },
  { id: 'insp', type: 'attention-inspector', topK: 4, wires: [['nums'], ['chart'], ['svg']] },
  { id: 'nums', type: 'helper' },
  { id: 'chart', type: 'helper' },
  { id: 'svg', type: 'helper' },
  // A plain lstm (no attention: the default type) whose forecasts carry an attribution.
  {
    id: 'train2',
    type: 'lstm-train',
    model: 'co2lstm',
    modelType: 'lstm',
    units: 6,
    epochs: 2,
    patience: 2,
    batchSize: 32,
    learningRate: 0.01,
    season: 12,
    wires: [['report2'], []],
  },
  { id: 'report2', type: 'helper' },
  { id: 'pred2', type: 'lstm-predict', model: 'co2lstm', attribution: true, attributionSteps: 8, wires: [['insp2']] },
  { id: 'insp2', type: 'attention-inspector', topK: 4, wires: [['nums2'], ['chart2'], ['svg2']] },
  { id: 'nums2', type: 'helper' },
  { id: 'chart2', type: 'helper' },
  { id: 'svg2', type: 'helper' },
  { id: 'insp3', type: 'attention-inspector', attribution: false, wires: [[], [], []] },
].map((n) => (n.type === 'tab' ? n : { z: 'tab', ...n }));

describe('attention-inspector node', function () {
  this.timeout(120000);
  before(async function () {
    await startRuntime(nodes, flow);
    // Train once; the latest-window output reaches predict before a model exists (an error we ignore here).
    const rows = co2Series().slice(0, 300);
    const report = nextMessage(helper.getNode('report'), 110000);
    const report2 = nextMessage(helper.getNode('report2'), 110000);
    helper.getNode('hist').receive({ payload: rows, topic: 'co2' });
    const r = (await report).payload;
    assert.strictEqual(r.type, 'gca');
    assert.strictEqual((await report2).payload.type, 'lstm');
  });
  after(async function () {
    await stopRuntime();
  });

  it('turns a GCA forecast on real data into numbers, chart points and an SVG heat map', async function () {
    const rows = co2Series().slice(0, 320);
    const nums = nextMessage(helper.getNode('nums'));
    const chart = nextMessage(helper.getNode('chart'));
    const svg = nextMessage(helper.getNode('svg'));
    helper.getNode('hist').receive({ payload: rows, topic: 'co2', site: 'mauna loa' });
    const n = (await nums).payload;
    assert.strictEqual(n.model, 'co2gca');
    assert.strictEqual(n.iterations, 2);
    assert.strictEqual(n.weights.length, 2);
    for (const row of n.weights) {
      assert.strictEqual(row.length, L);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'each iteration sums to 1');
    }
    const last = n.weights[1];
    assert.strictEqual(n.top.length, 4);
    const sorted = last.slice().sort((a, b) => b - a);
    assert.ok(Math.abs(n.top[0].weight - sorted[0]) < 1e-9, 'top step is the largest weight');
    assert.strictEqual(n.top[0].lag, L - 1 - n.top[0].index);
    const width = 1 / last.reduce((a, b) => a + b * b, 0);
    assert.ok(Math.abs(n.effectiveWidth - width) < 1e-9);
    assert.ok(n.effectiveWidth >= 1 && n.effectiveWidth <= L);
    // the top step's time and value are the window's: the rows end at index 319
    const windowRows = rows.slice(rows.length - L);
    assert.strictEqual(n.top[0].value, windowRows[n.top[0].index].co2);
    assert.strictEqual(n.perIteration.length, 2);
    assert.strictEqual(n.perIteration[0].l1FromPrevious, null);
    assert.strictEqual(typeof n.perIteration[1].l1FromPrevious, 'number');
    // the attribution of the whole forecast to the window, beside the attention
    const at = n.attribution;
    assert.strictEqual(at.method, 'integrated-gradients');
    assert.strictEqual(at.baseline, 'last-value');
    assert.strictEqual(at.perLag.length, L);
    assert.strictEqual(at.values.length, L);
    assert.strictEqual(at.values[0].length, 1);
    assert.strictEqual(at.baselineForecast.length, 6);
    assert.ok(at.completenessError < 0.05, `completeness error ${at.completenessError} ppm`);
    assert.ok(at.effectiveWidth >= 1 && at.effectiveWidth <= L);
    assert.strictEqual(at.peakLag, L - 1 - at.peakIndex);
    assert.strictEqual(at.perLag[L - 1], 0, 'the newest step is the baseline');
    assert.ok(at.perLag.some((v) => v !== 0));
    const c = await chart;
    assert.strictEqual(c.payload.length, 3 * L);
    assert.deepStrictEqual([...new Set(c.payload.map((p) => p.series))], ['iteration 1', 'iteration 2', 'attribution']);
    const shares = c.payload.filter((p) => p.series === 'attribution');
    assert.ok(Math.abs(shares.reduce((a, p) => a + Math.abs(p.y), 0) - 1) < 1e-9);
    assert.strictEqual(c.site, 'mauna loa');
    const s = (await svg).payload;
    assert.match(s, /^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(s, /<\/svg>\s*$/);
    assert.ok((s.match(/<rect/g) || []).length >= 2 * L, 'one cell per step and iteration');
    assert.match(s, /Attribution of the forecast/);
    const st = lastStatus(helper.getNode('insp')).text;
    // the attention's peak lag (its top step) / the attribution's
    assert.strictEqual(st, `lag ${n.top[0].lag}/${at.peakLag}`);
    assert.ok(st.length <= 20, st);
  });

  it('shows the same GCA attention whether lstm-predict forecast through the kernel or through tfjs', async function () {
    const rows = co2Series().slice(0, 320);
    const env = process.env.LSTM_FORECAST_KERNEL;
    const inspect = async (path) => {
      if (path === 'tfjs') process.env.LSTM_FORECAST_KERNEL = 'tfjs';
      else delete process.env.LSTM_FORECAST_KERNEL;
      const nums = nextMessage(helper.getNode('nums'));
      // the lstm branch gets the window too: wait for it, so no later test reads this message
      const other = nextMessage(helper.getNode('nums2'));
      helper.getNode('hist').receive({ payload: rows, topic: 'co2' });
      await other;
      return (await nums).payload;
    };
    let kernel;
    let tfjs;
    try {
      kernel = await inspect('kernel');
      tfjs = await inspect('tfjs');
    } finally {
      if (env === undefined) delete process.env.LSTM_FORECAST_KERNEL;
      else process.env.LSTM_FORECAST_KERNEL = env;
    }
    assert.strictEqual(kernel.weights.length, 2);
    kernel.weights.forEach((row, n) =>
      row.forEach((w, t) =>
        assert.ok(Math.abs(w - tfjs.weights[n][t]) <= 1e-5, `iteration ${n} step ${t}: ${w} vs ${tfjs.weights[n][t]}`),
      ),
    );
    assert.deepStrictEqual(
      kernel.top.map((s) => s.index),
      tfjs.top.map((s) => s.index),
    );
    assert.ok(Math.abs(kernel.effectiveWidth - tfjs.effectiveWidth) <= 1e-3);
  });

  it('explains a plain lstm forecast (no attention) by its attribution alone: numbers, chart, SVG', async function () {
    const rows = co2Series().slice(0, 320);
    const nums = nextMessage(helper.getNode('nums2'));
    const chart = nextMessage(helper.getNode('chart2'));
    const svg = nextMessage(helper.getNode('svg2'));
    helper.getNode('hist').receive({ payload: rows, topic: 'co2', site: 'mauna loa' });
    const n = (await nums).payload;
    assert.strictEqual(n.model, 'co2lstm');
    assert.strictEqual(n.attention, null, 'no attention to show');
    const at = n.attribution;
    assert.strictEqual(at.method, 'integrated-gradients');
    assert.strictEqual(at.perLag.length, L);
    assert.strictEqual(at.perFeature.length, 1);
    assert.strictEqual(at.linearPerLag.length, L);
    assert.strictEqual(at.networkPerLag.length, L);
    assert.ok(at.completenessError < 0.05, `completeness error ${at.completenessError} ppm`);
    assert.ok(at.effectiveWidth >= 1 && at.effectiveWidth <= L);
    assert.strictEqual(at.peakLag, L - 1 - at.peakIndex);
    const abs = at.perLag.map(Math.abs);
    assert.strictEqual(abs[at.peakIndex], Math.max(...abs));
    const total = abs.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(at.effectiveWidth - 1 / abs.reduce((a, v) => a + (v / total) ** 2, 0)) < 1e-9);
    // The top steps by |attribution|, largest first, with the window's time and value.
    assert.strictEqual(n.top.length, 4);
    assert.strictEqual(n.top[0].index, at.peakIndex);
    for (let i = 1; i < n.top.length; i++)
      assert.ok(Math.abs(n.top[i - 1].attribution) >= Math.abs(n.top[i].attribution));
    const windowRows = rows.slice(rows.length - L);
    assert.strictEqual(n.top[0].value, windowRows[n.top[0].index].co2);
    assert.strictEqual(n.top[0].timestamp, Date.parse(windowRows[n.top[0].index].date));
    assert.strictEqual(n.top[0].attribution, at.perLag[at.peakIndex]);
    assert.ok(Math.abs(n.effectiveWidth - at.effectiveWidth) < 1e-12, "the width shown is the attribution's");
    const c = (await chart).payload;
    assert.strictEqual(c.length, L);
    assert.deepStrictEqual([...new Set(c.map((p) => p.series))], ['attribution']);
    assert.ok(Math.abs(c.reduce((a, p) => a + Math.abs(p.y), 0) - 1) < 1e-9);
    assert.strictEqual(c[0].x, Date.parse(windowRows[0].date));
    const s = (await svg).payload;
    assert.match(s, /^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(s, /Attribution of the forecast/);
    assert.doesNotMatch(s, /Steps x iterations/);
    // Each test's batch also reaches train2, which stores the next version in the background: the picture names the
    // version that made this forecast (v1 or a later one, by timing), the one the numbers carry.
    assert.ok(Number.isInteger(n.version) && n.version >= 1, `version ${n.version}`);
    assert.ok(
      s.includes(`<title>Attribution of &apos;co2lstm&apos; v${n.version} (co2)</title>`),
      'title names the version',
    );
    const st = lastStatus(helper.getNode('insp2'));
    assert.strictEqual(st.fill, 'green');
    assert.strictEqual(st.text, `attr lag ${at.peakLag}`);
    assert.ok(st.text.length <= 20, st.text);
  });

  it('rejects a forecast without attention and a payload that is not a forecast', async function () {
    const insp = helper.getNode('insp');
    let err = await expectError(insp, { payload: { model: 'plain', forecast: [1, 2], timestamps: [1, 2] } });
    assert.match(
      String(err),
      /expected a forecast with attention weights or an attribution .*turn on lstm-predict's 'attribution' setting .*got a forecast of model 'plain' without either/,
    );
    assert.strictEqual(lastStatus(insp).fill, 'red');
    assert.strictEqual(lastStatus(insp).text, 'no attention');
    // An attribution but the inspector's 'show attribution' off: says which setting to turn on.
    const attributed = { model: 'plain', forecast: [1], attribution: { values: [[0.5], [0]], linear: [[0.5], [0]] } };
    err = await expectError(helper.getNode('insp3'), { payload: attributed });
    assert.match(String(err), /this node's 'show attribution' setting on .*model 'plain' with an attribution/);
    // Bad attributions are refused like bad attention: done(err), nothing sent.
    err = await expectError(insp, { payload: { model: 'plain', attribution: { values: [[1], [NaN]] } } });
    assert.match(String(err), /expected attribution.values\[1\]\[0\] to be a finite number, got NaN/);
    err = await expectError(insp, { payload: 42 });
    assert.match(String(err), /expected msg.payload to be one forecast from lstm-predict .*got 42/);
    err = await expectError(insp, { payload: { attention: { weights: [[0.5, 0.6]] } } });
    assert.match(String(err), /sum to 1, got 1.1000/);
  });

  describe('config', function () {
    before(async function () {
      await stopRuntime();
    });
    it('refuses to start on a bad topK or title, listing both, with a red status', async function () {
      const bad = [
        { id: 'tab2', type: 'tab' },
        { id: 'bad', z: 'tab2', type: 'attention-inspector', topK: '0', title: 'x'.repeat(300), wires: [[], [], []] },
      ];
      await startRuntime(nodes, bad);
      const n = helper.getNode('bad');
      await new Promise((r) => setTimeout(r, 50)); // the refusal's own error is logged first
      const st = lastStatus(n);
      assert.strictEqual(st.fill, 'red');
      assert.strictEqual(st.text, 'invalid config');
      const err = await expectError(n, { payload: 42 });
      assert.match(
        String(err),
        /node not started: invalid attention-inspector config: topK must be an integer from 1 to 100, got 0; title must be a text of at most 200 characters/,
      );
    });
  });
});

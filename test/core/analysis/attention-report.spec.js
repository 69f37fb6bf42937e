'use strict';
const assert = require('assert');
const {
  topSteps,
  effectiveWidth,
  entropy,
  compareIterations,
  chartData,
  heatmapSvg,
  escapeXml,
  inspectAttention,
  colourOf,
  inspectAttribution,
} = require('../../../nodes/core/analysis/attention-report');

/** Well-formedness: one <svg> root with xmlns, balanced tags, no raw '<' or '&' in text. */
function assertWellFormedSvg(svg) {
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), svg.slice(0, 60));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  const stack = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m;
  while ((m = re.exec(svg))) {
    const between = svg.slice(last, m.index);
    assert.ok(!/[<>]/.test(between), `stray markup in text: ${between.slice(0, 80)}`);
    assert.ok(!/&(?!(amp|lt|gt|quot|apos);)/.test(between), `unescaped & in text: ${between.slice(0, 80)}`);
    last = re.lastIndex;
    const [, close, name, , selfClose] = m;
    if (close) assert.strictEqual(stack.pop(), name, `closing </${name}>`);
    else if (!selfClose) stack.push(name);
  }
  assert.strictEqual(svg.slice(last).trim(), '');
  assert.deepStrictEqual(stack, []);
}

describe('core/analysis/attention-report (attention inspector)', () => {
  const times = [0, 1, 2, 3, 4].map((h) => Date.UTC(2024, 0, 1, 10 + h));
  const values = [20.5, 21, 22.25, 23, 22];

  it('top-k steps with index, lag, timestamp, value and weight', () => {
    const top = topSteps([0.1, 0.4, 0.05, 0.3, 0.15], 2, times, values);
    assert.deepStrictEqual(top, [
      { index: 1, lag: 3, timestamp: times[1], value: 21, weight: 0.4 },
      { index: 3, lag: 1, timestamp: times[3], value: 23, weight: 0.3 },
    ]);
    assert.strictEqual(topSteps([0.5, 0.5], 9).length, 2);
    assert.deepStrictEqual(topSteps([0.5, 0.5], 1)[0].index, 1); // tie: the newer step
    assert.strictEqual(
      topSteps([0.2, 0.8], 1, ['2024-01-01T00:00:00Z', '2024-01-01T01:00:00Z'])[0].timestamp,
      Date.UTC(2024, 0, 1, 1),
    );
  });

  it('effective width: flat over L gives L, one-hot gives 1', () => {
    assert.ok(Math.abs(effectiveWidth(new Array(72).fill(1 / 72)) - 72) < 1e-9);
    assert.strictEqual(effectiveWidth([0, 0, 1, 0]), 1);
    assert.ok(Math.abs(effectiveWidth([0.5, 0.5, 0, 0]) - 2) < 1e-12);
    assert.ok(Math.abs(entropy(new Array(8).fill(1 / 8)) - Math.log(8)) < 1e-12);
    assert.strictEqual(entropy([1, 0, 0]), 0);
  });

  it('compares iterations: L1 distance, peak shift, entropy', () => {
    const rows = compareIterations([
      [0.7, 0.2, 0.1, 0],
      [0.1, 0.1, 0.2, 0.6],
    ]);
    assert.strictEqual(rows[0].l1FromPrevious, null);
    assert.strictEqual(rows[0].peakShift, null);
    assert.strictEqual(rows[0].peakLag, 3);
    assert.ok(Math.abs(rows[1].l1FromPrevious - 1.4) < 1e-12);
    assert.strictEqual(rows[1].peakShift, 3);
    assert.strictEqual(rows[1].peakIndex, 3);
    assert.strictEqual(rows[1].peakLag, 0);
    assert.ok(rows[1].normalizedEntropy > 0 && rows[1].normalizedEntropy < 1);
  });

  it('rejects malformed attention with BAD_INPUT', () => {
    const isBad = (re) => (e) => e.code === 'BAD_INPUT' && re.test(e.message);
    assert.throws(() => compareIterations([[0.5, 0.6]]), isBad(/sum to 1, got 1.1000/));
    assert.throws(() => compareIterations([[0.5, 0.5], [1]]), isBad(/attention row 2 to have 2 entries, got 1/));
    assert.throws(() => effectiveWidth([0.5, NaN]), isBad(/finite number >= 0, got NaN/));
    assert.throws(() => chartData([[1]], [1, 2]), isBad(/expected 1 timestamps/));
    assert.throws(
      () => topSteps([1], 1, ['not a time']),
      (e) => e.code === 'BAD_TIMESTAMP',
    );
  });

  it('chart data for a Dashboard 2 ui-chart: {x: timestamp, y: weight, series}', () => {
    const data = chartData(
      [
        [0.2, 0.8],
        [0.6, 0.4],
      ],
      [times[0], times[1]],
    );
    assert.deepStrictEqual(data, [
      { x: times[0], y: 0.2, series: 'iteration 1' },
      { x: times[1], y: 0.8, series: 'iteration 1' },
      { x: times[0], y: 0.6, series: 'iteration 2' },
      { x: times[1], y: 0.4, series: 'iteration 2' },
    ]);
    assert.deepStrictEqual(chartData([[1]]), [{ x: 0, y: 1, series: 'iteration 1' }]);
  });

  it('SVG heat map: well-formed, escaped, labelled, deterministic', () => {
    const input = {
      weights: [
        [0.1, 0.2, 0.3, 0.25, 0.15],
        [0.05, 0.05, 0.6, 0.2, 0.1],
      ],
      timestamps: times,
      featureNames: ['temp <°C>', 'a & b'],
      featureMap: [
        [
          [0.5, 0.5],
          [0.5, 0.5],
          [0.5, 0.5],
          [0.5, 0.5],
          [0.5, 0.5],
        ],
        [
          [0.9, 0.1],
          [0.2, 0.8],
          [0.5, 0.5],
          [0.3, 0.7],
          [0.6, 0.4],
        ],
      ],
    };
    const svg = heatmapSvg(input, { title: 'Room "A" <2>' });
    assertWellFormedSvg(svg);
    assert.ok(svg.includes('Room &quot;A&quot; &lt;2&gt;'));
    assert.ok(svg.includes('temp &lt;°C&gt;'));
    assert.ok(svg.includes('a &amp; b'));
    assert.ok(svg.includes('>10:00<') && svg.includes('>13:00<'), 'time labels on the x axis');
    assert.ok(svg.includes('linearGradient'), 'colour scale legend');
    assert.strictEqual(
      (svg.match(/<rect [^>]*fill="#/g) || []).length,
      2 * 5 + 2 * 5 + 1,
      'one cell per step x iteration and step x feature, plus the background',
    );
    const size = svg
      .match(/width="(\d+)" height="(\d+)"/)
      .slice(1)
      .map(Number);
    assert.ok(size[0] >= 200 && size[0] <= 1200 && size[1] >= 100 && size[1] <= 800, `size ${size}`);
    assert.strictEqual(heatmapSvg(input, { title: 'Room "A" <2>' }), svg);
    // without timestamps: lag labels; a long window stays a sensible size
    const long = heatmapSvg({ weights: [new Array(72).fill(1 / 72)] });
    assertWellFormedSvg(long);
    assert.ok(long.includes('>t-71<'), 'lag labels without timestamps');
    assert.ok(Number(long.match(/width="(\d+)"/)[1]) <= 1000);
  });

  it('the well-formedness check can fail', () => {
    assert.throws(() => assertWellFormedSvg('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>'));
    assert.throws(() => assertWellFormedSvg('<svg xmlns="http://www.w3.org/2000/svg"><text>a < b</text></svg>'));
    assert.throws(() => assertWellFormedSvg('<svg xmlns="http://www.w3.org/2000/svg"><text>a & b</text></svg>'));
  });

  it('escapeXml, colour scale, and the combined report', () => {
    assert.strictEqual(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    assert.strictEqual(colourOf(0), '#440154');
    assert.strictEqual(colourOf(1), '#fde725');
    const report = inspectAttention(
      { weights: [[0.25, 0.25, 0.5]], timestamps: times.slice(0, 3), values: values.slice(0, 3) },
      1,
    );
    assert.deepStrictEqual(report.top, [{ index: 2, lag: 0, timestamp: times[2], value: 22.25, weight: 0.5 }]);
    assert.strictEqual(report.iterations.length, 1);
    assert.strictEqual(report.chart.length, 3);
    assertWellFormedSvg(report.svg);
  });

  it('inspectAttribution: a forecast without attention by its attribution alone (top by |value|, chart, SVG)', () => {
    // 5 steps x 2 features; per step sums (exact in binary): 0.125, -0.75, 0.375, 0.75, 0 (a tie at |0.75|: the
    // newer step first).
    const values = [
      [0.125, 0],
      [-0.5, -0.25],
      [0.25, 0.125],
      [0.5, 0.25],
      [0, 0],
    ];
    const linear = values.map((r) => r.map((v) => v / 2));
    const t0 = Date.UTC(2024, 0, 1);
    const timestamps = values.map((_, i) => t0 + i * 3600000);
    const r = inspectAttribution(
      { attribution: { values, linear }, timestamps, values: [1, 2, 3, 4, 5], featureNames: ['temp', 'wind'] },
      3,
    );
    assert.deepStrictEqual(
      r.top.map((s) => [s.index, s.lag, s.value]),
      [
        [3, 1, 4],
        [1, 3, 2],
        [2, 2, 3],
      ],
    );
    assert.strictEqual(r.top[0].timestamp, t0 + 3 * 3600000);
    assert.strictEqual(r.top[1].attribution, -0.75);
    assert.strictEqual(r.top[1].share, -0.375);
    assert.strictEqual(r.attribution.peakLag, 3, 'the peak is the first largest |sum| (index 1)');
    assert.ok(
      Math.abs(r.attribution.effectiveWidth - 1 / [0.125, 0.75, 0.375, 0.75, 0].reduce((a, v) => a + (v / 2) ** 2, 0)) <
        1e-9,
    );
    assert.strictEqual(r.attribution.perFeature[0], 0.375);
    assert.strictEqual(r.attribution.networkPerLag[3], 0.375);
    assert.deepStrictEqual(
      r.chart.map((p) => p.series),
      new Array(5).fill('attribution'),
    );
    assert.strictEqual(r.chart[4].x, t0 + 4 * 3600000);
    assertWellFormedSvg(r.svg);
    assert.match(r.svg, /<title>Attribution over the window<\/title>/);
    assert.match(r.svg, />temp</);
    assert.doesNotMatch(r.svg, /Steps x iterations/);
    assert.throws(
      () => inspectAttribution({ attribution: { values: [] } }),
      /with at least one step, got an array of 0/,
    );
    assert.throws(
      () => inspectAttribution({ attribution: { values: [[1], [NaN]] } }),
      /attribution.values\[1\]\[0\] to be a finite number, got NaN/,
    );
    assert.throws(() => inspectAttribution({ attribution: { values: [[1]] }, values: [1, 2] }), /expected 1 values/);
  });
});

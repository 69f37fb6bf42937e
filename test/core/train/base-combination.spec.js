'use strict';
const assert = require('assert');
const { oneStandardError, withinBlockError } = require('../../../nodes/core/train/base');
const { prepare } = require('../../../nodes/core/data/scaler');

const H = 6;

/**
 * Per-window validation errors of two candidates over 20 blocks of H consecutive windows. B is worse than A by
 * 0.01 on average, but the difference moves as one block at a time (+0.11 or -0.09 per block, overlapping windows
 * share their targets): A wins "by noise" on the windows counted as independent, not on the blocks.
 */
function correlated() {
  const a = [];
  const b = [];
  for (let k = 0; k < 20; k++) {
    const d = k % 2 ? 0.11 : -0.09;
    for (let j = 0; j < H; j++) {
      a.push(1);
      b.push(1 + d);
    }
  }
  return [b, a]; // the simpler candidate first
}

describe('core/train base combination (block standard error)', () => {
  it('windows counted as independent make a noise win significant: the old rule keeps only the winner', () => {
    const errors = correlated();
    assert.strictEqual(
      oneStandardError(errors, () => true),
      1,
    );
  });

  it('with blocks of H windows both candidates are within one standard error of the best', () => {
    const set = withinBlockError(correlated(), () => true, H);
    assert.deepStrictEqual(set, [0, 1]);
  });

  it('a clear winner stays alone; ineligible and non-finite candidates never join', () => {
    const errors = correlated();
    const clear = errors[1].map((v) => v + 0.5);
    assert.deepStrictEqual(
      withinBlockError([clear, errors[1]], () => true, H),
      [1],
    );
    assert.deepStrictEqual(
      withinBlockError([errors[0], errors[1], null], (i) => i !== 0, H),
      [1],
    );
    assert.deepStrictEqual(
      withinBlockError([null, null], () => true, H),
      [],
    );
  });

  it('fewer than five blocks estimate no standard error: the best stays alone', () => {
    const [b, a] = correlated();
    assert.deepStrictEqual(
      withinBlockError([b.slice(0, 4 * H), a.slice(0, 4 * H)], () => true, H),
      [1],
    );
    assert.deepStrictEqual(
      withinBlockError([b.slice(0, 4 * H + 1), a.slice(0, 4 * H + 1)], () => true, H),
      [0, 1],
    );
  });

  it('a combination reference is the weighted mean of its parts, with the same inputs', () => {
    const inputs = [];
    const targets = [];
    for (let i = 0; i < 5; i++) {
      inputs.push(Array.from({ length: 24 }, (_, t) => [Math.sin((t + i) / 2) * 3 + t * 0.1 + i]));
      targets.push(Array.from({ length: H }, (_, h) => [Math.sin((24 + h + i) / 2) * 3 + i]));
    }
    const z = { mean: [1], std: [2] };
    const naive = { reference: 'seasonal-naive', season: 12 };
    const mixed = prepare(
      inputs,
      targets,
      {
        ...z,
        reference: 'combination',
        mix: [
          { weight: 0.25, reference: 'last' },
          { weight: 0.75, ...naive },
        ],
      },
      0,
    );
    const last = prepare(inputs, targets, { ...z, reference: 'last' }, 0);
    const sn = prepare(inputs, targets, { ...z, ...naive }, 0);
    assert.deepStrictEqual(Array.from(mixed.x), Array.from(last.x));
    assert.deepStrictEqual(Array.from(mixed.levels), Array.from(last.levels));
    mixed.refs.forEach((r, i) => assert.ok(Math.abs(r - (0.25 * last.refs[i] + 0.75 * sn.refs[i])) < 1e-6, `ref ${i}`));
    mixed.y.forEach((y, i) => assert.ok(Math.abs(y - (0.25 * last.y[i] + 0.75 * sn.y[i])) < 1e-5, `y ${i}`));
  });
  it('refuses a combination without parts or nested in itself, naming what arrived', () => {
    const inputs = [Array.from({ length: 12 }, (_, t) => [t])];
    const z = { mean: [0], std: [1] };
    const bad = (e) =>
      e.code === 'SPEC_MISMATCH' && /needs 1 to 16 parts, none of them a combination, got 0/.test(e.message);
    assert.throws(() => prepare(inputs, undefined, { ...z, reference: 'combination', mix: [] }, 0, 3), bad);
    const nested = { ...z, reference: 'combination', mix: [{ weight: 1, reference: 'combination', mix: [] }] };
    assert.throws(() => prepare(inputs, undefined, nested, 0, 3), /none of them a combination, got 1 parts/);
  });
});

describe('core/train base combination on a real series (New York daily maximum temperature)', function () {
  this.timeout(240000);
  const fs = require('fs');
  const path = require('path');
  const { initBackend, tf } = require('../../../nodes/core/base/backend');
  const { trainForecaster } = require('../../../nodes/core/train/trainer');
  const { Forecaster } = require('../../../nodes/core/serve/forecaster');
  const { validateArtifact } = require('../../../nodes/core/model/artifact');
  const { mae } = require('../../../nodes/core/data/metrics');

  // vega-datasets weather.csv, New York 2012-2015: a series outside the accuracy protocol, where several bases tie
  const file = path.join(__dirname, '..', '..', '..', 'node_modules', 'vega-datasets', 'data', 'weather.csv');
  const [head, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const cols = head.split(',');
  const rows = lines
    .map((l) => l.split(','))
    .filter((r) => r[cols.indexOf('location')] === 'New York')
    .map((r) => ['temp_max', 'temp_min', 'wind'].map((c) => Number(r[cols.indexOf(c)])));
  const Lw = 28;
  const Hw = 7;
  // the accuracy protocol's chronological split: train 70 %, validation 10 % (test 20 % unused here)
  const { splitSizes, splitWindows } = require('../../../nodes/core/analysis/evaluate');
  const parts = splitWindows(rows, 0, Lw, Hw, splitSizes(rows.length));
  const features = ['temp_max', 'temp_min', 'wind'];
  const data = { ...parts.train, features, target: 'temp_max', window: Lw, horizon: Hw };
  const hooks = () => ({ validation: { inputs: parts.val.inputs, targets: parts.val.targets } });
  // refit off: predict then scores what validation scored (base-refit.spec covers the refit)
  const opts = { epochs: 1, season: 7, refit: false };
  before(() => initBackend());

  for (const type of ['lstm', 'attention', 'gca']) {
    it(`${type}: stores the mean of the tied bases; predict scores what validation scored, no tensor leak`, async () => {
      const before = tf().memory().numTensors;
      const { report, artifact } = await trainForecaster(data, { type, units: 8, seed: 1 }, opts, hooks());
      assert.strictEqual(tf().memory().numTensors, before);
      assert.match(report.base.name, /^combination: /);
      const names = report.base.candidates.map((c) => c.name);
      assert.strictEqual(names[names.length - 1], report.base.name);
      const singles = report.base.candidates
        .slice(0, -1)
        .map((c) => c.mae)
        .filter((m) => m !== null);
      assert.ok(report.base.mae <= Math.min(...singles) + 1e-9, `${report.base.mae} vs ${Math.min(...singles)}`);
      const a = validateArtifact(JSON.parse(JSON.stringify(artifact)));
      assert.strictEqual(a.scaler.reference, 'combination');
      assert.ok(a.scaler.mix.length >= 2);
      assert.ok(Math.abs(a.scaler.mix.reduce((t, p) => t + p.weight, 0) - 1) < 1e-9);
      const v = report.validation;
      assert.ok(
        v.model.mae <= v.lastValue.mae + 1e-6 && (!v.seasonalNaive || v.model.mae <= v.seasonalNaive.mae + 1e-6),
      );
      const f = Forecaster.fromArtifact(a);
      try {
        const truth = parts.val.targets.map((t) => t.map((r) => r[0]));
        const got = mae(truth, f.predict(parts.val.inputs).forecast);
        assert.ok(Math.abs(got - v.model.mae) < 1e-4, `${got} vs ${v.model.mae}`);
      } finally {
        f.dispose();
      }
    });
  }

  it('validateArtifact names a combination without parts, with weights off 1, or with a broken part', async () => {
    const { artifact } = await trainForecaster(data, { units: 8, seed: 1 }, opts, hooks());
    const clone = () => JSON.parse(JSON.stringify(artifact));
    const bad = (re) => (e) => e.code === 'BAD_ARTIFACT' && re.test(e.message);
    let a = clone();
    delete a.scaler.mix;
    assert.throws(() => validateArtifact(a), bad(/scaler.reference is combination but scaler.mix .* is missing/));
    a = clone();
    a.scaler.mix[0].weight /= 2;
    assert.throws(() => validateArtifact(a), bad(/scaler.mix weights sum to 0\.\d+, expected 1/));
    a = clone();
    const k = a.scaler.mix.findIndex((p) => p.reference === 'holt-winters');
    delete a.scaler.mix[k].hw;
    assert.throws(() => validateArtifact(a), bad(new RegExp(`scaler.mix\\[${k}\\].reference is holt-winters but`)));
    a = clone();
    a.scaler.mix[0].reference = 'combination';
    assert.throws(() => validateArtifact(a), bad(/mix\/0\/reference must be equal to one of the allowed values/));
  });
});

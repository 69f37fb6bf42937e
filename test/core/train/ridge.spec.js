'use strict';
const assert = require('assert');
const { fitRidge, predictRidge, selectRidge, ridgeMoments, RIDGE_ALPHAS } = require('../../../nodes/core/train/ridge');
const { seededRandom } = require('../../../nodes/core/base/random');

const close = (a, b, tol, what) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

describe('core/ridge', () => {
  it('the protocol grid', () => {
    assert.deepStrictEqual(RIDGE_ALPHAS, [1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000]);
  });

  it('one input, by hand: y = 2x + 1 on x = 1..4', () => {
    // centred x: -1.5 -0.5 0.5 1.5 -> Sxx = 5; Sxy = 2 * 5 = 10; means x 2.5, y 6.
    const x = [[1], [2], [3], [4]];
    const y = [[3], [5], [7], [9]];
    const exact = fitRidge(x, y, 0);
    close(exact.weights[0], 2, 1e-12, 'least-squares slope');
    close(exact.intercept[0], 1, 1e-12, 'least-squares intercept');
    // alpha 5: w = Sxy / (Sxx + alpha) = 10 / 10 = 1; b = 6 - 1 * 2.5 = 3.5 (the intercept is not shrunk)
    const shrunk = fitRidge(x, y, 5);
    close(shrunk.weights[0], 1, 1e-12, 'ridge slope');
    close(shrunk.intercept[0], 3.5, 1e-12, 'ridge intercept');
    const p = predictRidge(shrunk, [[0], [10]]);
    close(p[0], 3.5, 1e-12, 'prediction at 0');
    close(p[1], 13.5, 1e-12, 'prediction at 10');
    // alpha -> infinity: the slope vanishes, the forecast is the mean of y
    const flat = fitRidge(x, y, 1e12);
    close(flat.weights[0], 0, 1e-10, 'slope under a huge penalty');
    close(flat.intercept[0], 6, 1e-9, 'intercept under a huge penalty');
  });

  it('recovers a known linear map with several outputs (alpha -> 0), flat or nested input', () => {
    const rand = seededRandom(3);
    const N = 60;
    const D = 5;
    const H = 3;
    const W = [...Array(D * H)].map((_, i) => (i % 7) - 3 + 0.25 * i);
    const b = [0.5, -2, 10];
    const X = [...Array(N)].map(() => [...Array(D)].map(() => rand() * 4 - 2));
    const Y = X.map((r) => b.map((bh, h) => bh + r.reduce((s, v, d) => s + v * W[d * H + h], 0)));
    const m = fitRidge(X, Y, 1e-10);
    m.weights.forEach((w, i) => close(w, W[i], 1e-7, `weight ${i}`));
    m.intercept.forEach((v, h) => close(v, b[h], 1e-7, `intercept ${h}`));
    const flat = fitRidge(
      { data: Float32Array.from(X.flat()), rows: N, cols: D },
      { data: Float32Array.from(Y.flat()), rows: N, cols: H },
      1e-10,
    );
    flat.weights.forEach((w, i) => close(w, W[i], 1e-4, `weight ${i} from float32 input`));
    const pred = predictRidge(m, X);
    Y.flat().forEach((v, i) => close(pred[i], v, 1e-7, `prediction ${i}`));
  });

  it('shrinks weights monotonically and splits them between collinear inputs', () => {
    const rand = seededRandom(9);
    const X = [...Array(40)].map(() => [rand(), rand(), rand()]);
    const Y = X.map((r) => [3 * r[0] - 2 * r[1] + r[2] + 0.01 * (rand() - 0.5)]);
    const norms = [1e-4, 1, 10, 100].map((a) => Math.hypot(...fitRidge(X, Y, a).weights));
    for (let i = 1; i < norms.length; i++) assert.ok(norms[i] < norms[i - 1], `|W| ${norms.join(' > ')}`);
    // two identical columns: least squares is singular, ridge shares the slope equally
    const twin = [
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
    ];
    const y = [[2], [4], [6], [8]];
    assert.throws(
      () => fitRidge(twin, y, 0),
      (e) => e.code === 'BAD_INPUT' && /singular/.test(e.message),
    );
    // Sxx = 5 per column: (G + aI) w = c with G = 5 [[1,1],[1,1]], c = [10, 10] -> w = 10 / (10 + a) each
    const m = fitRidge(twin, y, 1e-6);
    close(m.weights[0], 1, 1e-6, 'twin weight 0');
    close(m.weights[1], 1, 1e-6, 'twin weight 1');
  });

  it('chooses alpha on the validation set', () => {
    // Noise-free linear data: the smallest alpha fits best out of sample too.
    const x = [[1], [2], [3], [4]];
    const lin = selectRidge(x, [[3], [5], [7], [9]], [[6], [8]], [[13], [17]]);
    assert.strictEqual(lin.model.alpha, 1e-4);
    assert.strictEqual(lin.scores.length, RIDGE_ALPHAS.length);
    assert.deepStrictEqual(
      lin.scores.map((s) => s.alpha),
      RIDGE_ALPHAS,
    );
    // w = 10 / (5 + 1e-4): errors 2e-5 * (x - 2.5) at x = 6, 8 -> mse ~ 3.4e-8
    assert.ok(lin.mse < 1e-7, `validation mse ${lin.mse}`);
    // A spurious slope: train x = 0..3, y = 0 1 0 1 (least squares slope 0.2, mean 0.5);
    // validation far out at x = 10 with y = 0.5: any slope hurts, the largest alpha wins.
    const noise = selectRidge([[0], [1], [2], [3]], [[0], [1], [0], [1]], [[10]], [[0.5]]);
    assert.strictEqual(noise.model.alpha, 1000);
    // slope 1 / (5 + 1000), prediction 0.5 + 8.5 / 1005: error (8.5 / 1005)^2
    close(noise.mse, (8.5 / 1005) ** 2, 1e-15, 'validation mse');
    const byAlpha = noise.scores.map((s) => s.mse);
    for (let i = 1; i < byAlpha.length; i++) assert.ok(byAlpha[i] < byAlpha[i - 1]);
  });

  it('refuses bad shapes and alphas with clear errors', () => {
    const isBad = (re) => (e) => e.code === 'BAD_INPUT' && re.test(e.message);
    assert.throws(() => fitRidge([[1], [2]], [[1]], 1), isBad(/one target row per input row, got 1 for 2/));
    assert.throws(() => fitRidge([[1, 2], [3]], [[1], [2]], 1), isBad(/X row 1 to have 2 values, got 1/));
    assert.throws(
      () => fitRidge({ data: [1, 2, 3], rows: 2, cols: 2 }, [[1], [2]], 1),
      isBad(/2 x 2 = 4 values, got 3/),
    );
    assert.throws(() => fitRidge([[1], [2]], [[1], [2]], -1), isBad(/alpha to be a finite number >= 0, got -1/));
    assert.throws(
      () => selectRidge([[1], [2]], [[1], [2]], [[1]], [[1, 2]]),
      isBad(/1 validation outputs per row, got 2/),
    );
    assert.throws(
      () => predictRidge(fitRidge([[1], [2]], [[1], [2]], 1), [[1, 2]]),
      isBad(/expected 1 inputs per row, got 2/),
    );
  });

  it('moments: Gram matrix and cross products of the centred data', () => {
    const m = ridgeMoments(
      [
        [1, 0],
        [3, 2],
      ],
      [[1], [5]],
    );
    // centred x: [-1, -1], [1, 1]; centred y: -2, 2
    assert.deepStrictEqual(Array.from(m.xMean), [2, 1]);
    assert.deepStrictEqual(Array.from(m.yMean), [3]);
    assert.deepStrictEqual(Array.from(m.gram), [2, 2, 2, 2]);
    assert.deepStrictEqual(Array.from(m.cross), [4, 4]);
  });
});

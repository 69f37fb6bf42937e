'use strict';
const assert = require('assert');
const { hwForecast, fitHoltWinters, hwSeason, PHI_MIN } = require('../../../nodes/core/data/holt-winters');

// Trend plus a 12-step cycle, no noise.
const pure = (t) => 50 + 0.4 * t + 3 * Math.sin((2 * Math.PI * t) / 12) + (t % 12 === 5 ? 1 : 0);

describe('core/holt-winters', () => {
  it('uses the season only when two whole seasons fit the window', () => {
    assert.strictEqual(hwSeason(36, 12), 12);
    assert.strictEqual(hwSeason(24, 12), 12);
    assert.strictEqual(hwSeason(23, 12), 0);
    assert.strictEqual(hwSeason(36, 1), 0);
    assert.strictEqual(hwSeason(36, 0), 0);
  });

  it('forecasts a pure seasonal + linear trend series exactly (undamped), whatever the smoothing', () => {
    for (const start of [0, 7, 100]) {
      const y = Array.from({ length: 36 }, (_, j) => pure(start + j));
      for (const p of [
        { alpha: 0.3, beta: 0.1, gamma: 0.2, phi: 1 },
        { alpha: 1, beta: 0, gamma: 0, phi: 1 },
      ]) {
        const f = hwForecast(y, 12, p, 12);
        f.forEach((v, h) => {
          const want = pure(start + 36 + h);
          assert.ok(Math.abs(v - want) < 1e-9, `start ${start} h ${h + 1}: ${v} vs ${want}`);
        });
      }
    }
  });

  it('damps the trend by phi^h (hand-checked on a straight line, no season)', () => {
    // y = 2t, alpha = beta = 1: level = y[last] = 22, trend = 2; forecast 22 + 2 * (phi + ... + phi^h)
    const y = Array.from({ length: 12 }, (_, t) => 2 * t);
    const f = hwForecast(y, 3, { alpha: 1, beta: 1, gamma: 0, phi: 0.5 }, 0);
    assert.deepStrictEqual(Array.from(f), [22 + 1, 22 + 1 + 0.5, 22 + 1 + 0.5 + 0.25]);
    // undamped: a straight line continues
    assert.deepStrictEqual(Array.from(hwForecast(y, 2, { alpha: 1, beta: 1, gamma: 0, phi: 1 }, 0)), [24, 26]);
  });

  it('fits parameters that forecast a noisy seasonal trend closely, deterministically and within bounds', () => {
    let s = 7;
    const noise = () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2;
    const series = Array.from({ length: 300 }, (_, t) => pure(t) + noise());
    const inputs = [];
    const targets = [];
    for (let o = 36; o + 12 <= 300; o++) {
      inputs.push(series.slice(o - 36, o));
      targets.push(series.slice(o, o + 12));
    }
    const p = fitHoltWinters(inputs, targets, 12);
    assert.deepStrictEqual(fitHoltWinters(inputs, targets, 12), p);
    for (const k of ['alpha', 'beta', 'gamma']) assert.ok(p[k] >= 0 && p[k] <= 1, `${k} ${p[k]}`);
    assert.ok(p.phi >= PHI_MIN && p.phi <= 1, `phi ${p.phi}`);
    let err = 0;
    let n = 0;
    inputs.forEach((w, i) => {
      hwForecast(w, 12, p, 12).forEach((v, h) => {
        err += Math.abs(v - pure(i + 36 + h));
        n++;
      });
    });
    // noise is +-0.1; the seasonal swing is 6 and a season of trend 4.8
    assert.ok(err / n < 0.15, `mean error against the noiseless series ${err / n}`);
  });
});

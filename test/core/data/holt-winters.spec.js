'use strict';
const assert = require('assert');
const {
  hwForecast,
  fitHoltWinters,
  fitHoltWintersHistory,
  historyFromWindows,
  hwHistoryForecast,
  hwPhase,
  hwSeason,
  PHI_MIN,
} = require('../../../nodes/core/data/holt-winters');
const { prepare } = require('../../../nodes/core/data/scaler');

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

  describe('state carried across the history', () => {
    const series = (n, f) => Array.from({ length: n }, (_, t) => f(t));
    const windowsOf = (y, L, H, stride = 1) => {
      const cols = [];
      const targets = [];
      for (let a = 0; a + L + H <= y.length; a += stride) {
        cols.push(y.slice(a, a + L));
        targets.push(y.slice(a + L, a + L + H));
      }
      return { cols, targets };
    };

    it('rebuilds the history from overlapping windows (any stride below L + H), the last stretch after a gap', () => {
      const y = series(160, (t) => Math.round(10 * Math.sin(t / 3) + t));
      for (const stride of [1, 5, 40]) {
        const { cols, targets } = windowsOf(y.slice(0, 100), 36, 12, stride);
        const got = historyFromWindows(cols, targets);
        const end = (cols.length - 1) * stride + 48;
        assert.deepStrictEqual(got, y.slice(0, end), `stride ${stride}`);
      }
      // a gap: the second part does not continue the first
      const a = windowsOf(y.slice(0, 60), 36, 12);
      const b = windowsOf(
        y.slice(70).map((v) => v + 0.5),
        36,
        12,
      );
      const got = historyFromWindows([...a.cols, ...b.cols], [...a.targets, ...b.targets]);
      assert.deepStrictEqual(
        got,
        y.slice(70).map((v) => v + 0.5),
      );
    });

    it('lines a stored profile up with a window by least squares, whatever the window starts on', () => {
      const profile = [3, 1, -2, -4, -1, 0, 2, 1];
      const m = profile.length;
      for (const start of [0, 3, 13]) {
        const y = series(24, (j) => 5 + 0.3 * j + profile[(start + j) % m]);
        const r = hwPhase(y, profile);
        assert.strictEqual(r, start % m, `start ${start}`);
      }
      assert.strictEqual(hwPhase([1, 2, 3], []), 0);
    });

    it('sees a trend longer than the window: fits the history, carries its trend and profile to the end', () => {
      // A slow bend (a trend change over ~100 rows) that a 24-row window alone mistakes for noise.
      let s = 7;
      const noise = () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
      const f = (t) => 20 + 0.05 * t + 0.0004 * t * t + 2 * Math.sin((2 * Math.PI * t) / 12);
      const y = series(400, (t) => f(t) + 0.6 * noise());
      const L = 24;
      const H = 12;
      const { cols, targets } = windowsOf(y.slice(0, 300), L, H);
      const st = fitHoltWintersHistory(historyFromWindows(cols, targets), L, H, 12);
      assert.strictEqual(st.profile.length, 12);
      assert.ok(st.phi >= PHI_MIN && st.phi <= 1);
      // the trend at the end of the history is near the true slope there (0.05 + 0.0008 t at t = 299: 0.29)
      assert.ok(Math.abs(st.trend - 0.29) < 0.1, `trend ${st.trend}`);
      // deterministic
      assert.deepStrictEqual(fitHoltWintersHistory(historyFromWindows(cols, targets), L, H, 12), st);
      const win = fitHoltWinters(cols, targets, 12);
      let eHist = 0;
      let eWin = 0;
      for (let a = 300; a + L + H <= 400; a++) {
        const w = y.slice(a, a + L);
        const fh = hwHistoryForecast(w, H, st);
        const fw = hwForecast(w, H, win, 12);
        for (let h = 0; h < H; h++) {
          eHist += Math.abs(fh[h] - f(a + L + h));
          eWin += Math.abs(fw[h] - f(a + L + h));
        }
      }
      assert.ok(eHist < 0.8 * eWin, `history ${eHist} vs window-only ${eWin}`);
    });

    it('the scaler forecasts the window-only variant exactly as before, and the carried one when stored', () => {
      const y = series(36, (t) => pure(t));
      const inputs = [y.map((v) => [v])];
      const z = { mean: [50], std: [10] };
      const p = { alpha: 0.3, beta: 0.1, gamma: 0.2, phi: 0.95 };
      const toReal = (refs) => Array.from(refs, (r) => r * 10 + 50);
      const win = prepare(inputs, undefined, { ...z, reference: 'holt-winters', season: 12, hw: p }, 0, 12);
      toReal(win.refs).forEach((v, h) => assert.ok(Math.abs(v - hwForecast(y, 12, p, 12)[h]) < 1e-4));
      const st = { ...p, profile: series(12, (j) => Math.sin(j)), trend: 0.2 };
      const hist = prepare(inputs, undefined, { ...z, reference: 'holt-winters', season: 12, hw: st }, 0, 12);
      toReal(hist.refs).forEach((v, h) => assert.ok(Math.abs(v - hwHistoryForecast(y, 12, st)[h]) < 1e-4));
    });
  });
});

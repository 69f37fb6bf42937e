'use strict';
const assert = require('node:assert/strict');
const {
  auroc,
  auprc,
  labelEvents,
  detectionScores,
  naiveResidualScores,
  streamAnomalyScores,
  injectFaults,
  FAULT_KINDS,
} = require('../../../nodes/core/analysis/anomaly');

const close = (a, b, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

describe('core/analysis/anomaly: metrics', function () {
  it('AUROC of the textbook case is 0.75, ties count half, one class gives NaN', function () {
    close(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
    close(auroc([1, 1], [0, 1]), 0.5);
    close(auroc([3, 2, 1], [1, 0, 0]), 1);
    close(auroc([1, 2, 3], [1, 0, 0]), 0);
    assert.ok(Number.isNaN(auroc([1, 2], [0, 0])));
  });

  it('AUPRC is the average precision: 0.8333 on the textbook case, the base rate when all scores tie', function () {
    // desc: 0.8 (1) p=1 r+=.5; 0.4 (0); 0.35 (1) p=2/3 r+=.5 -> .5 + .3333
    close(auprc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.5 + 1 / 3);
    close(auprc([5, 5, 5, 5], [1, 0, 0, 0]), 0.25);
    close(auprc([9, 1, 2, 3], [1, 0, 0, 0]), 1);
    assert.ok(Number.isNaN(auprc([1, 2], [0, 0])));
  });

  it('events are runs of 1s; an event is detected when any of its rows is above the threshold', function () {
    const labels = [0, 1, 1, 0, 0, 1, 0, 1, 1, 1];
    assert.deepEqual(labelEvents(labels), [
      [1, 2],
      [5, 5],
      [7, 9],
    ]);
    const scores = [0, 0, 2, 0, 3, 1.5, 0, 0, 0, 9];
    const d = detectionScores(scores, labels, 1.5, 3_600_000 / 2);
    // row 5 is at the threshold, not above: not flagged
    assert.equal(d.events, 3);
    assert.equal(d.detected, 2);
    close(d.eventRecall, 2 / 3);
    assert.equal(d.falseAlarms, 1);
    close(d.falseAlarmsPer1000, 100);
    // 10 rows of half an hour = 5 h
    close(d.falseAlarmsPerHour, 0.2);
    assert.equal(detectionScores(scores, labels, 1.5).falseAlarmsPerHour, undefined);
  });

  it('the naive detector scales |dy| by 1.96 x 1.4826 x the MAD of the train changes', function () {
    // train changes 1,-1,1,-1,2: median 1, MAD 1
    const S = 1.959963984540054 * 1.482602218505602;
    const y = [0, 1, 0, 1, 0, 2, 2 + S, 2 - S];
    const s = naiveResidualScores(y, 6, 6);
    assert.equal(s.length, 2);
    close(s[0], 1, 1e-12);
    close(s[1], 2, 1e-12);
  });

  it('stream scores are the smallest over the covering forecasts, in 95 % half-widths', function () {
    // n = 1: every level's half-width is the one residual kept: 2 at step 1, 4 at step 2
    const cal = { method: 'split-conformal', n: 1, ranks: [1], residuals: [[2], [4]], rmse: [2, 4] };
    const y = [10, 10, 10, 14, 10];
    const origins = [1, 2, 3];
    const inputs = origins.map((o) => [[y[o - 1]], [y[o]]]);
    const forecasts = origins.map(() => [10, 10]);
    const scores = streamAnomalyScores(inputs, origins, forecasts, cal, 0);
    // row 2: only origin 1 covers it (step 1); row 3: origins 1 (step 2: 4/4) and 2 (step 1: 4/2)
    assert.deepEqual([...scores.keys()], [2, 3]);
    close(scores.get(2), 0);
    close(scores.get(3), 1);
  });
});

describe('core/analysis/anomaly: fault injector', function () {
  const clean = Array.from({ length: 1000 }, (_, t) => 10 + 3 * Math.sin((2 * Math.PI * t) / 24) + 0.01 * t);

  it('labels exactly the faulted rows, after `from`, without overlap, every kind', function () {
    const { y, labels, faults } = injectFaults(clean, { seed: 1, from: 400, perKind: 2 });
    assert.equal(faults.length, 2 * FAULT_KINDS.length);
    for (const k of FAULT_KINDS) assert.equal(faults.filter((f) => f.kind === k).length, 2);
    const sorted = faults.slice().sort((a, b) => a.start - b.start);
    sorted.forEach((f, i) => {
      assert.ok(f.start >= 400 && f.end < clean.length && f.end >= f.start);
      if (i) assert.ok(f.start > sorted[i - 1].end + 1, 'faults keep a gap');
    });
    const inFault = (t) => faults.some((f) => t >= f.start && t <= f.end);
    for (let t = 0; t < clean.length; t++) {
      assert.equal(labels[t], inFault(t) ? 1 : 0, `label of row ${t}`);
      if (!inFault(t)) assert.equal(y[t], clean[t], `row ${t} untouched`);
    }
    for (const f of faults) {
      const changed = [];
      for (let t = f.start; t <= f.end; t++) changed.push(y[t] !== clean[t]);
      // a stuck stretch repeats the value before it; every other fault moves every row
      if (f.kind === 'stuck') {
        for (let t = f.start; t <= f.end; t++) assert.equal(y[t], clean[f.start - 1]);
      } else assert.ok(changed.every(Boolean), `${f.kind} moves its rows`);
      if (f.kind === 'spike') assert.equal(f.end, f.start);
    }
  });

  it('is deterministic per seed, and seeds differ', function () {
    const a = injectFaults(clean, { seed: 7 });
    assert.deepEqual(injectFaults(clean, { seed: 7 }), a);
    assert.notDeepEqual(injectFaults(clean, { seed: 8 }).faults, a.faults);
  });

  it('refuses faults that do not fit', function () {
    assert.throws(() => injectFaults(clean.slice(0, 60), { seed: 1 }), /do not fit in 60 rows/);
  });
});

'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const BIN = path.join(__dirname, '..', '..', 'nodes', 'cli', 'lstm-forecast.js');

function run(args) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LSTM_FORECAST_BACKEND: 'cpu' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cli: lstm-forecast evaluate', function () {
  this.timeout(120000);
  let dir;
  let good;

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-forecast-cli-'));
    const lines = ['time,temperature,humidity'];
    for (let i = 0; i < 80; i++) {
      const t = new Date(Date.UTC(2024, 0, 1, i)).toISOString();
      lines.push(
        `${t},${(20 + 3 * Math.sin((2 * Math.PI * i) / 6) + 0.01 * i).toFixed(3)},${(50 + (i % 7)).toFixed(1)}`,
      );
    }
    good = path.join(dir, 'good.csv');
    fs.writeFileSync(good, lines.join('\r\n') + '\r\n');
    fs.writeFileSync(path.join(dir, 'short.csv'), lines.slice(0, 15).join('\n'));
    const bad = lines.slice();
    bad[17] = bad[17].replace(/,[^,]+,/, ',n/a,');
    fs.writeFileSync(path.join(dir, 'bad.csv'), bad.join('\n'));
  });

  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const base = (csv) => [
    'evaluate',
    '--csv',
    csv,
    '--target',
    'temperature',
    '--window',
    '8',
    '--horizon',
    '3',
    '--season',
    '6',
    '--units',
    '4',
    '--epochs',
    '2',
  ];

  it('trains a tiny model and prints one JSON document', function () {
    const r = run([
      ...base(good),
      '--features',
      'humidity',
      '--time',
      'time',
      '--seeds',
      '2',
      '--stride',
      '2',
      '--json',
      '--quiet',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.command, 'evaluate');
    assert.deepEqual(j.features, ['temperature', 'humidity']);
    assert.deepEqual(j.split, { train: 56, val: 8, test: 16 });
    // test origins 63, 65, ..., 76 (o + 3 <= 79)
    assert.deepEqual(j.windows, { train: 46, val: 6, test: 7 });
    assert.equal(j.models.length, 1);
    const m = j.models[0];
    assert.equal(m.label, 'lstm');
    assert.deepEqual(
      m.runs.map((x) => x.seed),
      [0, 1],
    );
    for (const k of ['mae', 'rmse', 'mase', 'trainSeconds'])
      assert.ok(Number.isFinite(m[k].mean) && Number.isFinite(m[k].std), k);
    assert.equal(m.maeByStep.length, 3);
    assert.ok(m.runs.every((x) => x.epochs >= 1 && x.epochs <= 2));
    assert.equal(j.baselines.lastValue.maeByStep.length, 3);
    assert.ok(j.baselines.seasonalNaive.mase > 0);
    // Interval scores per level on the test origins, conformal beside Gaussian, per run and as the mean.
    assert.deepEqual(
      m.intervals.map((l) => l.level),
      [0.8, 0.95],
    );
    for (const l of [...m.intervals, ...m.runs.flatMap((x) => x.intervals)]) {
      for (const kind of ['conformal', 'gaussian']) {
        const s = l[kind];
        assert.ok(s.coverage >= 0 && s.coverage <= 1 && s.width > 0 && s.winkler >= s.width, JSON.stringify(l));
      }
    }
    const m95 = m.intervals[1].conformal;
    assert.ok(m95.width >= m.intervals[0].conformal.width, 'the 95 % interval is at least as wide as the 80 %');
    // Each run names its chosen base and whether the network was kept, as the artifact's report does.
    for (const x of m.runs) {
      assert.equal(typeof x.base.name, 'string', JSON.stringify(x.base));
      assert.ok(['kept', 'dropped'].includes(x.base.network), x.base.network);
      assert.ok(x.base.candidates.length >= 2 && x.base.candidates.some((c) => c.name === x.base.name));
    }
  });

  it('takes --levels and prints the interval table', function () {
    const r = run([...base(good), '--seeds', '1', '--levels', '90', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Prediction intervals on the test origins/);
    assert.match(r.stdout, /lstm\s+90 %\s+\d+\.\d %/);
    const bad = run([...base(good), '--levels', '30', '--quiet']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /levels must be interval levels in % from 50 to 99.9, got "30"/);
  });

  it('prints tables by default', function () {
    const r = run([...base(good), '--seeds', '1', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /last value/);
    assert.match(r.stdout, /seasonal naive/);
    assert.match(r.stdout, /MAE by horizon step/);
    assert.match(r.stdout, /lstm seed 0: base .+ \(val MAE \d/);
  });

  it('exits 2 and lists the columns when the target is missing', function () {
    const r = run(['evaluate', '--csv', good, '--target', 'temp', '--window', '8', '--horizon', '3']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /column 'temp' not found; available columns: 'time', 'temperature', 'humidity'/);
  });

  it('exits 1 when a split has too few rows', function () {
    const r = run([...base(path.join(dir, 'short.csv')), '--seeds', '1']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /too few rows: the train part has 10 of 14 rows, needs at least 11 \(window 8 \+ horizon 3\)/,
    );
  });

  it('exits 1 on a non-numeric cell, naming row and column', function () {
    const r = run([...base(path.join(dir, 'bad.csv')), '--seeds', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /row 17, column 'temperature': expected a number, got "n\/a"/);
  });

  it('exits 2 on usage errors', function () {
    let r = run(['evaluate', '--csv', good, '--target', 'temperature', '--horizon', '3']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing --window/);
    r = run([...base(good), '--bogus']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown option '--bogus'/);
    r = run([...base(good), '--model', 'rnn']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown model "rnn"/);
    r = run(['predict']);
    assert.equal(r.code, 2);
    r = run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage:/);
  });
});

describe('cli: lstm-forecast evaluate --series --labels', function () {
  this.timeout(120000);
  const { injectFaults, labelEvents } = require('../../nodes/core/analysis/anomaly');
  let dir;
  let csv;
  const testLabels = {};

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-forecast-anomaly-'));
    const lines = ['time,sensor,temp,label'];
    for (const [id, phase] of [
      ['a', 0],
      ['b', 2],
    ]) {
      const y = Array.from({ length: 400 }, (_, i) => 20 + 3 * Math.sin((2 * Math.PI * (i + phase)) / 12) + 0.01 * i);
      const f = injectFaults(y, { seed: phase + 1, from: 230 });
      // default split: test = the last 80 rows
      testLabels[id] = f.labels.slice(320);
      y.forEach((_, i) => {
        const t = new Date(Date.UTC(2024, 0, 1, i)).toISOString();
        lines.push(`${t},${id},${f.y[i].toFixed(3)},${f.labels[i]}`);
      });
    }
    csv = path.join(dir, 'long.csv');
    fs.writeFileSync(csv, lines.join('\n'));
    const bad = lines.slice();
    bad[5] = bad[5].replace(/,0$/, ',yes');
    fs.writeFileSync(path.join(dir, 'bad-label.csv'), bad.join('\n'));
  });

  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const args = (file, more = []) => [
    'evaluate',
    '--csv',
    file,
    '--target',
    'temp',
    '--time',
    'time',
    '--window',
    '12',
    '--horizon',
    '3',
    '--season',
    '12',
    '--units',
    '4',
    '--epochs',
    '2',
    '--seeds',
    '1',
    ...more,
  ];

  it('trains one model across the series and reports per-series figures, their mean and the anomaly figures', function () {
    const r = run(args(csv, ['--series', 'sensor', '--labels', 'label', '--json', '--quiet']));
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(
      doc.series.map((s) => [s.id, s.n, s.split.test]),
      [
        ['a', 400, 80],
        ['b', 400, 80],
      ],
    );
    assert.equal(doc.n, 800);
    const m = doc.models[0];
    assert.deepEqual(
      m.perSeries.map((s) => s.id),
      ['a', 'b'],
    );
    // the headline MAE is the mean of the series' MAEs
    const mean = (m.perSeries[0].mae.mean + m.perSeries[1].mae.mean) / 2;
    assert.ok(Math.abs(m.mae.mean - mean) < 1e-9);
    const lv = (doc.series[0].baselines.lastValue.mae + doc.series[1].baselines.lastValue.mae) / 2;
    assert.ok(Math.abs(doc.baselines.lastValue.mae - lv) < 1e-9);
    // every test row is scored; the events are the runs of 1s in each series' test rows
    const events = labelEvents(testLabels.a).length + labelEvents(testLabels.b).length;
    assert.ok(events >= 2);
    assert.equal(doc.anomaly.rows, 160);
    assert.equal(doc.anomaly.events, events);
    assert.equal(doc.anomaly.threshold, 1.5);
    for (const d of [doc.anomaly.naive, m.runs[0].anomaly]) {
      assert.ok(d.auroc >= 0 && d.auroc <= 1, JSON.stringify(d));
      assert.ok(d.auprc > 0 && d.auprc <= 1);
      assert.ok(d.eventRecall >= 0 && d.eventRecall <= 1);
      assert.equal(d.events, events);
      // 160 rows of one hour
      assert.ok(Math.abs(d.falseAlarmsPerHour - d.falseAlarms / 160) < 1e-12);
      assert.ok(Math.abs(d.falseAlarmsPer1000 - (1000 * d.falseAlarms) / 160) < 1e-12);
    }
    assert.ok(Number.isFinite(m.anomaly.auroc.mean));
    assert.equal(m.runs[0].perSeries[0].anomaly.rows, 80);
    // each series is one stream: its bands adapted and recalibrated online too; the run's figures are their mean
    // weighted by test origins (equal here)
    const [a, b] = m.runs[0].perSeries.map((s) => s.intervals);
    for (const [k, l] of m.runs[0].intervals.entries()) {
      for (const col of ['conformal', 'adaptive', 'recalibrated']) {
        assert.ok(a[k][col] && b[k][col], `${col} per series`);
        assert.ok(Math.abs(l[col].coverage - (a[k][col].coverage + b[k][col].coverage) / 2) < 1e-12, col);
        assert.ok(l[col].width > 0 && Number.isFinite(l[col].winkler));
      }
    }
  });

  it('prints the per-series and anomaly tables; at --threshold 1000 nothing is flagged', function () {
    const r = run(args(csv, ['--series', 'sensor', '--labels', 'label', '--threshold', '1000', '--quiet']));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Per series \(2; one model across them\):/);
    assert.match(r.stdout, /\nmean +800 /);
    assert.match(r.stdout, /Anomaly detection on 160 labelled test rows, \d+ events, threshold 1000:/);
    // nothing scores above 1000 half-widths: no event detected, no false alarm
    assert.match(r.stdout, /naive residual +[\d.]+ +[\d.]+ +0\.0000 \(0\/\d+\) +0\.00 +0\.000\n/);
  });

  it('takes --labels on a single series (no per-series table)', function () {
    const r = run(args(csv, ['--labels', 'label', '--json', '--quiet']));
    // the rows of both sensors interleave in time only per sensor: one series of 800 rows is not in time order
    assert.equal(r.code, 1);
    assert.match(r.stderr, /expected times in increasing order/);
    const one = path.join(dir, 'one.csv');
    fs.writeFileSync(one, fs.readFileSync(csv, 'utf8').split('\n').slice(0, 401).join('\n'));
    const ok = run(args(one, ['--labels', 'label', '--json', '--quiet']));
    assert.equal(ok.code, 0, ok.stderr);
    const doc = JSON.parse(ok.stdout);
    assert.equal(doc.series, undefined);
    assert.equal(doc.anomaly.rows, 80);
    assert.ok(doc.models[0].anomaly);
  });

  it('exits 2 on bad anomaly options, 1 on a label that is not 0 or 1', function () {
    const cases = [
      [['--labels', 'label', '--threshold', '0'], /--threshold must be a number above 0 and at most 1000, got "0"/],
      [
        ['--labels', 'label', '--threshold', 'high'],
        /--threshold must be a number above 0 and at most 1000, got "high"/,
      ],
      [['--labels', 'label', '--stride', '2'], /--labels scores every test row: --stride must be 1, got "2"/],
      [['--series', ''], /--series must name a column, got ""/],
      [['--labels', 'nope'], /column 'nope' not found; available columns: 'time', 'sensor', 'temp', 'label'/],
      [['--series', 'nope'], /column 'nope' not found/],
    ];
    for (const [more, text] of cases) {
      const r = run(args(csv, more));
      assert.equal(r.code, 2, `${more.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, text);
    }
    const r = run(args(path.join(dir, 'bad-label.csv'), ['--series', 'sensor', '--labels', 'label']));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /series 'a': row 5, column 'label': expected an anomaly label 0 or 1, got "yes"/);
  });
});

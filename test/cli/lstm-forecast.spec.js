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

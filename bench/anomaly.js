#!/usr/bin/env node
'use strict';
/**
 * Anomaly benchmark: real series from a registry package (vega-datasets) with
 * faults injected at seeded places in each series' test part (spikes, level
 * shifts, drifts, a stuck sensor, noise bursts, as the NAB and Yahoo benchmarks
 * do: src/core/analysis/anomaly.ts injectFaults), so the labels are exact; then
 * `lstm-forecast evaluate --series sensor --labels label` on the labelled long
 * CSV: the pack's anomaly score (lstm-predict's) beside the naive-residual
 * detector. Runs the compiled core (npm run build first).
 *
 *   node bench/anomaly.js [--task weather_daily,seattle_hourly] [--seeds 3|0,1] [--epochs N]
 *     [--data-only] [--out DIR]
 *
 * Data (see TASKS): each series gets one fault of each kind, sized 6 robust
 * standard deviations of its one-step changes, in its test part (the last 20 %):
 * train and validation stay clean, so the calibration is the one a model
 * trained on clean data would serve. The detector settings are the pack's
 * defaults (threshold 1.5); nothing is tuned to this data.
 * Writes DIR/anomaly-TASK.csv, DIR/anomaly.json and DIR/anomaly.md (DIR
 * defaults to bench/results) and prints the tables.
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { mdTable } = require('./markdown');

const ROOT = path.join(__dirname, '..');
const DATA = path.join(ROOT, 'node_modules', 'vega-datasets', 'data');

/**
 * The tasks. weather_daily: the daily maximum temperature of Seattle and New
 * York 2012-2015 (vega-datasets weather.csv, already a long CSV by location);
 * seattle_hourly: the Seattle hourly temperature normals of 2010 cut into four
 * quarter-year stretches, each one "sensor" (very smooth data: the calibrated
 * band is narrow). Each series gets one fault of each kind in its test part.
 */
const TASKS = {
  weather_daily: {
    file: 'weather.csv',
    id: 'location',
    time: 'date',
    value: 'temp_max',
    settings: { window: 28, horizon: 3, season: 7, epochs: 30 },
  },
  seattle_hourly: {
    file: 'seattle-weather-hourly-normals.csv',
    quarters: 4,
    time: 'date',
    value: 'temperature',
    settings: { window: 48, horizon: 6, season: 24, epochs: 10 },
  },
};
const PER_KIND = 1;
const FAULT_SEED = 11;

function usage(msg) {
  process.stderr.write(`bench/anomaly.js: ${msg}\n`);
  process.exit(2);
}

function load(rel) {
  try {
    return require(path.join(ROOT, 'nodes', rel));
  } catch (e) {
    usage(`cannot load nodes/${rel} (${e.message}); run npm run build first`);
  }
  return undefined;
}

/** The clean series of a task: [{ id, times, y }]. */
function cleanSeries(task) {
  const lines = fs.readFileSync(path.join(DATA, task.file), 'utf8').trim().split(/\r?\n/);
  const header = lines[0].split(',');
  const col = (name) => header.indexOf(name);
  const rows = lines.slice(1).map((l) => l.split(','));
  const pick = (part) => ({
    times: part.map((r) => r[col(task.time)]),
    y: part.map((r) => Number(r[col(task.value)])),
  });
  if (task.quarters) {
    const per = Math.floor(rows.length / task.quarters);
    return Array.from({ length: task.quarters }, (_, q) => ({
      id: `q${q + 1}`,
      ...pick(rows.slice(q * per, (q + 1) * per)),
    }));
  }
  const ids = [...new Set(rows.map((r) => r[col(task.id)]))];
  return ids.map((id) => ({ id, ...pick(rows.filter((r) => r[col(task.id)] === id)) }));
}

/** The labelled long CSV of a task: time, sensor, value, label; and the faults placed. */
function makeData(task) {
  const { injectFaults } = load('core/analysis/anomaly.js');
  const { splitSizes } = load('core/analysis/evaluate.js');
  const out = [`time,sensor,${task.value},label`];
  const faults = [];
  cleanSeries(task).forEach((s, k) => {
    const sizes = splitSizes(s.y.length);
    const from = sizes.train + sizes.val;
    const f = injectFaults(s.y, { seed: FAULT_SEED + k, from, perKind: PER_KIND });
    s.times.forEach((t, i) => out.push(`${t},${s.id},${+f.y[i].toFixed(3)},${f.labels[i]}`));
    faults.push(...f.faults.map((x) => ({ sensor: s.id, ...x, startTime: s.times[x.start] })));
  });
  return { csv: out.join('\n') + '\n', faults };
}

function f(x, d = 4) {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d);
}

function pm(s, runs, d = 4) {
  return runs > 1 ? `${f(s.mean, d)} ± ${f(s.std, d)}` : f(s.mean, d);
}

function render(r, command) {
  const a = r.anomaly;
  const rows = [
    [
      'naive residual (abs(y[t] - y[t-1]) / 1.96 x 1.4826 x MAD of the train changes)',
      f(a.naive.auroc),
      f(a.naive.auprc),
      `${f(a.naive.eventRecall, 3)} (${a.naive.detected}/${a.naive.events})`,
      f(a.naive.falseAlarmsPerHour, 4),
      f(a.naive.falseAlarmsPer1000, 2),
    ],
  ];
  for (const m of r.models) {
    const x = m.anomaly;
    const n = m.runs.length;
    const detected = m.runs.map((run) => run.anomaly.detected).join(', ');
    rows.push([
      `pack's anomaly score (${m.label}, lstm-predict's)`,
      pm(x.auroc, n),
      pm(x.auprc, n),
      `${pm(x.eventRecall, n, 3)} (${detected} of ${a.events})`,
      x.falseAlarmsPerHour ? pm(x.falseAlarmsPerHour, n) : '-',
      pm(x.falseAlarmsPer1000, n, 2),
    ]);
  }
  const seeds = r.models[0].runs.map((x) => x.seed).join(',');
  return [
    `${a.rows} labelled test rows (${r.series.length} series), ${a.events} injected events, threshold ${a.threshold}; ` +
      `window ${r.window}, horizon ${r.horizon}, season ${r.season}; backend ${r.backend}; seeds ${seeds}`,
    '',
    mdTable(['detector', 'AUROC', 'AUPRC', 'event recall', 'false alarms / h', 'false alarms / 1000 rows'], rows),
    '',
    `Forecast MAE (mean over series): ${r.models.map((m) => `${m.label} ${pm(m.mae, m.runs.length)}`).join(', ')}; ` +
      `last value ${f(r.baselines.lastValue.mae)}, seasonal naive ${f(r.baselines.seasonalNaive?.mae)}.`,
    '',
    `Command: \`${command}\``,
  ].join('\n');
}

async function main() {
  // tfjs warns on every orthogonal initialiser above 2000 elements; nothing to act on here.
  const warn = console.warn;
  console.warn = (...a) => (String(a[0]).startsWith('Orthogonal initializer') ? undefined : warn(...a));
  let args;
  try {
    args = parseArgs({
      options: {
        seeds: { type: 'string' },
        epochs: { type: 'string' },
        'data-only': { type: 'boolean' },
        task: { type: 'string' },
        out: { type: 'string' },
      },
    }).values;
  } catch (e) {
    usage(e.message);
  }
  const dir = args.out ?? path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const ids = (args.task ?? Object.keys(TASKS).join(',')).split(',');
  for (const id of ids) if (!TASKS[id]) usage(`unknown task "${id}" (expected ${Object.keys(TASKS).join(', ')})`);
  const results = {};
  const md = [];
  for (const id of ids) {
    const { result, text } = await runTask(id, TASKS[id], dir, args);
    if (!result) continue;
    results[id] = result;
    md.push(`### ${id}`, '', text, '');
    process.stdout.write(`### ${id}\n\n${text}\n\n`);
  }
  if (args['data-only']) return;
  fs.writeFileSync(path.join(dir, 'anomaly.json'), JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'anomaly.md'), md.join('\n'));
}

async function runTask(id, task, dir, args) {
  const data = makeData(task);
  const csvPath = path.join(dir, `anomaly-${id}.csv`);
  fs.writeFileSync(csvPath, data.csv);
  process.stderr.write(`wrote ${path.relative(ROOT, csvPath)} (${data.faults.length} faults)\n`);
  if (args['data-only']) return {};
  const { main: cli } = load('cli/lstm-forecast.js');
  const st = task.settings;
  const cliArgs = [
    'evaluate',
    '--csv',
    csvPath,
    '--target',
    task.value,
    '--time',
    'time',
    '--series',
    'sensor',
    '--labels',
    'label',
    '--window',
    String(st.window),
    '--horizon',
    String(st.horizon),
    '--season',
    String(st.season),
    '--epochs',
    args.epochs ?? String(st.epochs),
    '--seeds',
    args.seeds ?? '3',
    '--json',
  ];
  let json = '';
  const code = await cli(cliArgs, { stdout: (s) => (json += s), stderr: (s) => process.stderr.write(s) });
  if (code !== 0) process.exit(code);
  const result = JSON.parse(json);
  result.faults = data.faults;
  const command = `lstm-forecast ${cliArgs.map((a) => (a === csvPath ? path.relative(ROOT, csvPath) : a)).join(' ')}`;
  return { result, text: render(result, command) };
}

main().catch((e) => {
  process.stderr.write(`bench/anomaly.js: ${e.stack ?? e}\n`);
  process.exit(1);
});

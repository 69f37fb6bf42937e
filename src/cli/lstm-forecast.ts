#!/usr/bin/env node
/**
 * `lstm-forecast`: the command-line side of the pack. `evaluate` trains the
 * chosen models on a CSV series and scores them on a rolling-origin test beside
 * the naive baselines (src/core/analysis/evaluate.ts, the same code the
 * benchmark runs); `export` and `import` move a stored model to and from a
 * standard TensorFlow.js layers model (export-command.ts).
 *
 * Exit codes: 0 done; 2 usage or configuration error (unknown or missing
 * option, bad value, missing column); 1 data or runtime error (unreadable file,
 * non-numeric cell, too few rows, training failure).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ForecastError } from '../core/base/errors';
import { parseTime } from '../core/base/time';
import { parseCsv } from '../core/data/csv';
import {
  describeBase,
  evaluateSeries,
  parseModels,
  parseSeeds,
  seriesListFromTable,
  type EvaluateOptions,
  type EvaluateResult,
  type LoadSeriesOptions,
  type MeanStd,
  type Series,
} from '../core/analysis/evaluate';
import type { BackendName } from '../core/base/backend';
import { EXPORT_HELP, EXPORT_SYNOPSIS, exportCommand } from './export-command';
import { parseLevels } from '../core/serve/intervals';

const USAGE = `Usage:
  lstm-forecast evaluate --csv FILE --target COL --window L --horizon H [options]
${EXPORT_SYNOPSIS}
  lstm-forecast --help

Trains forecasters on a chronological train part, stops early on the
validation part and scores them on every test origin (rolling origin), in the
units of the target, beside the last-value and seasonal-naive baselines.

Data:
  --csv FILE            CSV file with a header row
  --target COL          column to forecast
  --features A,B        input columns (default: the target; the target is always included)
  --time COL            time column (ISO dates or epoch ms), must increase
  --from DATE --to DATE keep rows in this time range (inclusive; needs --time)
                        (dates and times without a zone offset are read as UTC)
  --series COL          long CSV: one series per value of COL (e.g. a sensor id),
                        each split in time on its own; one model is trained on
                        the train windows of all and scored per series; the
                        figures are the means over the series, with a table per series
Anomaly detection:
  --labels COL          0/1 anomaly labels: every test row gets the pack's anomaly
                        score (lstm-predict's, the test origins fed in time order)
                        and a naive-residual score (|y[t] - y[t-1]| over 1.96 x
                        1.4826 x the MAD of the train changes); reports AUROC,
                        AUPRC, event recall (an event = a run of 1s, detected when
                        a row scores above the threshold) and false alarms (rows
                        labelled 0 above the threshold) per hour (with --time) and
                        per 1,000 rows; needs stride 1
  --threshold X         anomaly threshold in calibrated 95 % half-widths (above 0,
                        at most 1000); default lstm-predict's (1.5)
Windows and split:
  --window L            input steps per window
  --horizon H           steps forecast at once
  --season M            season in steps for MASE and seasonal naive (default 1)
  --test-size S         test part: fraction (0.2) or rows (30); default 0.2
  --val-size S          validation part: fraction or rows; default 0.1
  --stride K            step between test origins; default 1
Models and training:
  --model LIST          lstm | attention | gca | gca1..gca3 | all, comma separated; default lstm
  --seeds N|A,B,C       N seeds 0..N-1, or a list; default 3
  --epochs N            max epochs; default the pack's (100)
  --patience N          early-stopping patience; default the pack's (10)
  --batch-size N        default 64
  --lr X                Adam learning rate; default the pack's (0.01)
  --reference R         auto | seasonal | last: the candidate bases (chosen on
                        validation MAE): all (last value, seasonal naive,
                        seasonal references, Holt-Winters), the last value and
                        seasonal references, or the last value; default auto
  --linear-path P       frozen | joint: after the ridge start, train only the
                        recurrent part on the ridge's residual, or everything;
                        default frozen
  --no-refit            keep the base fitted on the training part only (default:
                        after the choice, refit its ridge and carried state on
                        the training and validation windows)
  --units N             LSTM units (default of the model: 32)
  --attention-units N   attention units (default 16)
  --no-highway          drop the linear autoregressive path
  --backend NAME        wasm | cpu | tensorflow (default: the fastest that loads)
Prediction intervals:
  --levels A,B          interval levels in % scored on the test origins (coverage,
                        width, Winkler score; conformal beside Gaussian and, stride 1,
                        adapted and recalibrated online); default 80,95
Output:
  --json                one JSON document on stdout instead of tables
  --quiet               no progress lines on stderr
  --help                this text

${EXPORT_HELP}

Exit codes: 0 done, 2 usage error, 1 data or training error.`;

class UsageError extends Error {}

function int(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min)
    throw new UsageError(`--${name} must be a whole number >= ${min}, got "${v}"`);
  return n;
}

function num(name: string, v: string | undefined, test: (n: number) => boolean, expected: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !test(n))
    throw new UsageError(`--${name} must be ${expected}, got "${v}"`);
  return n;
}

/** `v` when it is one of `allowed` (or undefined), else a usage error naming the option. */
function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined || (allowed as readonly string[]).includes(v)) return v as T | undefined;
  const list = `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}`;
  throw new UsageError(`--${name} must be ${list}, got "${v}"`);
}

function size(name: string, v: string | undefined): number | undefined {
  return num(
    name,
    v,
    (n) => n > 0 && (n < 1 || Number.isInteger(n)),
    'a fraction between 0 and 1 or a whole number of rows',
  );
}

/** A column name: not empty. */
function column(name: string, v: string | undefined): string | undefined {
  if (v !== undefined && !v.trim()) throw new UsageError(`--${name} must name a column, got "${v}"`);
  return v;
}

function time(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = parseTime(v);
  if (t === undefined) throw new UsageError(`--${name} must be an ISO date or epoch ms, got "${v}"`);
  return t;
}

function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? x.toExponential(3) : x.toFixed(digits);
}

function pm(s: MeanStd, runs: number): string {
  return runs > 1 ? `${fmt(s.mean)} ± ${fmt(s.std)}` : fmt(s.mean);
}

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (r: string[]): string => r.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  ');
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

/** The human-readable report. */
export function formatReport(r: EvaluateResult): string {
  const out: string[] = [];
  out.push(
    `series: ${r.n} rows, target '${r.target}', features ${r.features.join(', ')}; split train ${r.split.train} / val ${r.split.val} / test ${r.split.test} rows`,
    `windows: train ${r.windows.train}, val ${r.windows.val}, test ${r.windows.test} origins (stride ${r.stride}); window ${r.window}, horizon ${r.horizon}, season ${r.season}; MASE scale ${fmt(r.maseScale)}; backend ${r.backend}`,
    '',
  );
  const rows: string[][] = [
    [
      'last value',
      fmt(r.baselines.lastValue.mae),
      fmt(r.baselines.lastValue.rmse),
      fmt(r.baselines.lastValue.mase),
      '-',
      '-',
      '-',
    ],
  ];
  if (r.baselines.seasonalNaive) {
    const s = r.baselines.seasonalNaive;
    rows.push(['seasonal naive', fmt(s.mae), fmt(s.rmse), fmt(s.mase), '-', '-', '-']);
  }
  for (const m of r.models) {
    rows.push([
      m.label,
      pm(m.mae, m.runs.length),
      pm(m.rmse, m.runs.length),
      pm(m.mase, m.runs.length),
      pm(m.trainSeconds, m.runs.length).replace(/(\.\d)\d+/g, '$1'),
      fmt(m.epochs, 1),
      String(m.params),
    ]);
  }
  const seeds = r.models.length ? r.models[0].runs.map((x) => x.seed).join(',') : '';
  out.push(table(['model', 'MAE', 'RMSE', 'MASE', 'train s', 'epochs', 'params'], rows));
  if (seeds) out.push(`(models: mean ± std over seeds ${seeds})`);
  for (const m of r.models) for (const run of m.runs) out.push(`${m.label} seed ${run.seed}: ${describeBase(run)}`);
  out.push('', 'MAE by horizon step:');
  const cols = [
    'last value',
    ...(r.baselines.seasonalNaive ? ['seasonal naive'] : []),
    ...r.models.map((m) => m.label),
  ];
  const byStep = [
    r.baselines.lastValue.maeByStep,
    ...(r.baselines.seasonalNaive ? [r.baselines.seasonalNaive.maeByStep] : []),
    ...r.models.map((m) => m.maeByStep),
  ];
  out.push(
    table(
      ['h', ...cols],
      Array.from({ length: r.horizon }, (_, h) => [String(h + 1), ...byStep.map((s) => fmt(s[h]))]),
    ),
  );
  const withIntervals = r.models.filter((m) => m.intervals && m.intervals.length);
  if (withIntervals.length) {
    out.push(
      '',
      'Prediction intervals on the test origins (conformal: the calibrated band, as lstm-predict serves it before a',
      "stream's readings arrive or with recalibrate off; Gaussian: z x validation RMSE; adaptive: adaptRate 0.005;",
      'recalibrated: recalibrate on, the default; both online over the test origins in time order):',
    );
    const rows: string[][] = [];
    for (const m of withIntervals) {
      for (const l of m.intervals) {
        const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '-');
        rows.push([
          m.label,
          `${+(l.level * 100).toFixed(1)} %`,
          pct(l.conformal.coverage),
          fmt(l.conformal.width),
          fmt(l.conformal.winkler),
          pct(l.gaussian.coverage),
          fmt(l.gaussian.width),
          fmt(l.gaussian.winkler),
          l.adaptive ? pct(l.adaptive.coverage) : '-',
          l.adaptive ? fmt(l.adaptive.width) : '-',
          l.recalibrated ? pct(l.recalibrated.coverage) : '-',
          l.recalibrated ? fmt(l.recalibrated.width) : '-',
          l.recalibrated ? fmt(l.recalibrated.winkler) : '-',
        ]);
      }
    }
    out.push(
      table(
        [
          'model',
          'level',
          'coverage',
          'width',
          'Winkler',
          'Gauss cov.',
          'Gauss width',
          'Gauss Winkler',
          'adaptive cov.',
          'adaptive width',
          'recal. cov.',
          'recal. width',
          'recal. Winkler',
        ],
        rows,
      ),
    );
  }
  out.push(...seriesTables(r), ...anomalyTable(r));
  return out.join('\n');
}

/** Per series (--series): rows, the baselines' and each model's MAE and MASE. */
function seriesTables(r: EvaluateResult): string[] {
  if (!r.series) return [];
  const header = ['series', 'rows', 'last value MAE', 'seasonal MAE'];
  for (const m of r.models) header.push(`${m.label} MAE`, `${m.label} MASE`);
  const rows = r.series.map((s, i) => {
    const row = [s.id, String(s.n), fmt(s.baselines.lastValue.mae), fmt(s.baselines.seasonalNaive?.mae)];
    for (const m of r.models) {
      const p = m.perSeries?.[i];
      row.push(p ? pm(p.mae, m.runs.length) : '-', p ? pm(p.mase, m.runs.length) : '-');
    }
    return row;
  });
  const mean = ['mean', String(r.n), fmt(r.baselines.lastValue.mae), fmt(r.baselines.seasonalNaive?.mae)];
  for (const m of r.models) mean.push(pm(m.mae, m.runs.length), pm(m.mase, m.runs.length));
  rows.push(mean);
  return ['', `Per series (${r.series.length}; one model across them):`, table(header, rows)];
}

/** --labels: the pack's anomaly score beside the naive-residual detector. */
function anomalyTable(r: EvaluateResult): string[] {
  if (!r.anomaly) return [];
  const a = r.anomaly;
  const perHour = a.naive.falseAlarmsPerHour !== undefined;
  const header = ['detector', 'AUROC', 'AUPRC', 'event recall', 'false alarms/1000 rows'];
  if (perHour) header.push('false alarms/h');
  const naive = [
    'naive residual',
    fmt(a.naive.auroc),
    fmt(a.naive.auprc),
    `${fmt(a.naive.eventRecall)} (${a.naive.detected}/${a.naive.events})`,
    fmt(a.naive.falseAlarmsPer1000, 2),
    ...(perHour ? [fmt(a.naive.falseAlarmsPerHour, 3)] : []),
  ];
  const rows = [naive];
  for (const m of r.models) {
    const x = m.anomaly;
    if (!x) continue;
    const n = m.runs.length;
    rows.push([
      m.label,
      pm(x.auroc, n),
      pm(x.auprc, n),
      pm(x.eventRecall, n),
      pm(x.falseAlarmsPer1000, n),
      ...(perHour ? [x.falseAlarmsPerHour ? pm(x.falseAlarmsPerHour, n) : '-'] : []),
    ]);
  }
  return [
    '',
    `Anomaly detection on ${a.rows} labelled test rows, ${a.events} events, threshold ${a.threshold}:`,
    table(header, rows),
  ];
}

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const OPTIONS = {
  csv: { type: 'string' },
  target: { type: 'string' },
  features: { type: 'string' },
  time: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  window: { type: 'string' },
  horizon: { type: 'string' },
  season: { type: 'string' },
  model: { type: 'string' },
  seeds: { type: 'string' },
  epochs: { type: 'string' },
  patience: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  reference: { type: 'string' },
  'linear-path': { type: 'string' },
  units: { type: 'string' },
  levels: { type: 'string' },
  series: { type: 'string' },
  labels: { type: 'string' },
  threshold: { type: 'string' },
  'attention-units': { type: 'string' },
  'no-highway': { type: 'boolean' },
  'no-refit': { type: 'boolean' },
  'test-size': { type: 'string' },
  'val-size': { type: 'string' },
  stride: { type: 'string' },
  backend: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = Record<string, string | boolean | undefined>;
type Option = (name: string) => string | undefined;

/** `evaluate` as the command line asked for it, checked. */
interface EvaluateCommand {
  csvPath: string;
  load: LoadSeriesOptions;
  request: EvaluateOptions;
  quiet: boolean;
  json: boolean;
}

/** @throws UsageError for an unknown option or a missing value. */
function parseCommandLine(argv: string[]): { values: Values; positionals: string[] } {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** @throws UsageError (or ForecastError BAD_CONFIG) naming the first wrong option. */
function evaluateCommand(values: Values, positionals: string[]): EvaluateCommand {
  const s: Option = (k) => values[k] as string | undefined;
  if (positionals.length !== 1 || positionals[0] !== 'evaluate') {
    const got = `unknown command "${positionals.join(' ')}" (expected: evaluate)`;
    throw new UsageError(positionals.length ? got : 'missing command (expected: evaluate)');
  }
  for (const k of ['csv', 'target', 'window', 'horizon']) {
    if (s(k) === undefined) throw new UsageError(`missing --${k}`);
  }
  selectBackend(s('backend'));
  if (s('labels') !== undefined && s('stride') !== undefined && s('stride')?.trim() !== '1') {
    throw new UsageError(`--labels scores every test row: --stride must be 1, got "${s('stride')}"`);
  }
  return {
    csvPath: s('csv')!,
    load: loadOptions(s),
    request: evaluateOptions(s, Boolean(values['no-highway']), Boolean(values['no-refit'])),
    quiet: Boolean(values.quiet),
    json: Boolean(values.json),
  };
}

/** The backend is chosen through the environment, which the training code reads when it starts one. */
function selectBackend(backend: string | undefined): void {
  if (backend !== undefined && !['wasm', 'cpu', 'tensorflow'].includes(backend)) {
    throw new UsageError(`--backend must be wasm, cpu or tensorflow, got "${backend}"`);
  }
  if (backend) process.env.LSTM_FORECAST_BACKEND = backend as BackendName;
}

function loadOptions(s: Option): LoadSeriesOptions {
  const features = s('features');
  return {
    target: s('target')!,
    features: features
      ? features
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean)
      : undefined,
    time: s('time'),
    from: time('from', s('from')),
    to: time('to', s('to')),
    series: column('series', s('series')),
    labels: column('labels', s('labels')),
  };
}

// Read in the order --help lists them, so that the first wrong option is the one reported.
function evaluateOptions(s: Option, noHighway: boolean, noRefit: boolean): EvaluateOptions {
  return {
    window: int('window', s('window'), 1)!,
    horizon: int('horizon', s('horizon'), 1)!,
    season: int('season', s('season'), 1) ?? 1,
    testSize: size('test-size', s('test-size')),
    valSize: size('val-size', s('val-size')),
    stride: int('stride', s('stride'), 1),
    models: parseModels(s('model') ?? 'lstm'),
    seeds: parseSeeds(s('seeds') ?? '3'),
    epochs: int('epochs', s('epochs'), 1),
    patience: int('patience', s('patience'), 1),
    batchSize: int('batch-size', s('batch-size'), 1),
    learningRate: num('lr', s('lr'), (n) => n > 0 && n < 1, 'a number between 0 and 1'),
    reference: oneOf('reference', s('reference'), ['auto', 'seasonal', 'last']),
    linearPath: oneOf('linear-path', s('linear-path'), ['frozen', 'joint']),
    ...(noRefit ? { refit: false } : {}),
    modelDefaults: Object.fromEntries(
      Object.entries({
        units: int('units', s('units'), 1),
        attentionUnits: int('attention-units', s('attention-units'), 1),
        highway: noHighway ? false : undefined,
      }).filter(([, v]) => v !== undefined),
    ),
    levels: s('levels') === undefined ? undefined : parseLevels(s('levels') ?? ''),
    threshold: num('threshold', s('threshold'), (n) => n > 0 && n <= 1000, 'a number above 0 and at most 1000'),
  };
}

/** @throws ForecastError for an unreadable file, a missing column or a non-numeric cell. */
function readSeries(csvPath: string, load: LoadSeriesOptions): Series[] {
  let text: string;
  try {
    text = readFileSync(csvPath, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ForecastError('BAD_INPUT', `cannot read --csv ${csvPath}: ${why}`);
  }
  return seriesListFromTable(parseCsv(text), load);
}

function progressLine(io: Io): EvaluateOptions['onRun'] {
  return (model, run) => {
    const took = `${run.trainSeconds.toFixed(1)} s, test MAE ${fmt(run.test.mae)}`;
    io.stderr(
      `${model} seed ${run.seed}: ${run.epochs} epochs (best ${run.bestEpoch}), ${took}; ${describeBase(run)}\n`,
    );
  };
}

function printResult(result: EvaluateResult, cmd: EvaluateCommand, io: Io): void {
  if (!cmd.json) {
    io.stdout(formatReport(result) + '\n');
    return;
  }
  const doc = { command: 'evaluate', csv: cmd.csvPath, date: new Date().toISOString(), ...result };
  // JSON has no NaN or Infinity; null says "no value" (e.g. MASE on a flat series).
  const finite = (_: string, v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? null : v);
  io.stdout(JSON.stringify(doc, finite, 2) + '\n');
}

/** Exit code 2 for a usage error; anything else is not the user's to fix and is rethrown. */
function usageFailure(e: unknown, io: Io): number {
  if (e instanceof UsageError || (e instanceof ForecastError && e.code === 'BAD_CONFIG')) {
    io.stderr(`lstm-forecast: ${e.message}\nRun 'lstm-forecast --help' for usage.\n`);
    return 2;
  }
  throw e;
}

/** Exit code 2 for a configuration error, 1 for a data or training error. */
function runFailure(e: unknown, io: Io): number {
  if (e instanceof ForecastError) {
    io.stderr(`lstm-forecast: ${e.message}\n`);
    return e.code === 'BAD_CONFIG' ? 2 : 1;
  }
  io.stderr(`lstm-forecast: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
  return 1;
}

async function runEvaluate(cmd: EvaluateCommand, io: Io): Promise<number> {
  try {
    const series = readSeries(cmd.csvPath, cmd.load);
    const onRun = cmd.quiet ? undefined : progressLine(io);
    printResult(await evaluateSeries(series, { ...cmd.request, onRun }), cmd, io);
    return 0;
  } catch (e) {
    return runFailure(e, io);
  }
}

/** Runs the command; resolves to the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  if (argv[0] === 'export' || argv[0] === 'import') return exportCommand(argv[0], argv.slice(1), io);
  let cmd: EvaluateCommand;
  try {
    const { values, positionals } = parseCommandLine(argv);
    if (values.help) {
      io.stdout(USAGE + '\n');
      return 0;
    }
    cmd = evaluateCommand(values, positionals);
  } catch (e) {
    return usageFailure(e, io);
  }
  return runEvaluate(cmd, io);
}

if (require.main === module) {
  // tfjs warns on every orthogonal initialiser above 2000 elements; nothing a user can act on.
  const warn = console.warn;
  console.warn = (...a: unknown[]) => (String(a[0]).startsWith('Orthogonal initializer') ? undefined : warn(...a));
  main(process.argv.slice(2), { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`lstm-forecast: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * Anomaly detection figures for `lstm-forecast evaluate --labels`: the pack's
 * anomaly score over a series' test rows (the StreamMonitor lstm-predict runs,
 * fed the test origins in time order as a live stream would be), a naive-residual
 * detector beside it, and the threshold-free (AUROC, AUPRC) and alerting (event
 * recall, false alarms) metrics of a score against 0/1 labels.
 *
 * Pure core: no Node-RED, no console.
 */

import { fail } from '../base/messages';
import { seededRandom } from '../base/random';
import type { BaseCalibration } from '../data/conformal';
import { StreamMonitor } from '../serve/intervals';

/** 1.96: the naive score is in the same unit as the pack's (1 = edge of a 95 % range). */
const Z95 = 1.959963984540054;
/** MAD x 1.4826 estimates a normal standard deviation. */
const MAD_TO_SD = 1.482602218505602;

/**
 * Area under the ROC curve: the probability that a random labelled row scores
 * above a random normal one, ties counting half (Mann-Whitney U). NaN when
 * either class is empty.
 */
export function auroc(scores: number[], labels: number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const rank = (i + j) / 2 + 1; // tied rows share their mean rank
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]] === 1) {
        pos++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const neg = idx.length - pos;
  if (!pos || !neg) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Area under the precision-recall curve as average precision (sum over
 * thresholds of precision x the recall gained; rows with equal scores enter
 * together). NaN without labelled rows.
 */
export function auprc(scores: number[], labels: number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const pos = labels.filter((l) => l === 1).length;
  if (!pos) return NaN;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    let gained = 0;
    for (let k = i; k <= j; k++) if (labels[idx[k]] === 1) gained++;
    tp += gained;
    seen += j - i + 1;
    ap += (gained / pos) * (tp / seen);
    i = j + 1;
  }
  return ap;
}

/** [start, end] inclusive row ranges of the runs of consecutive 1s. */
export function labelEvents(labels: number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    let j = i;
    while (j + 1 < labels.length && labels[j + 1] === 1) j++;
    out.push([i, j]);
    i = j;
  }
  return out;
}

/** A detector's figures on labelled rows. */
export interface DetectionScores {
  auroc: number;
  auprc: number;
  threshold: number;
  /** Labelled events (runs of 1s) and how many had a row flagged (score > threshold). */
  events: number;
  detected: number;
  /** detected / events (NaN without events). */
  eventRecall: number;
  /** Flagged rows labelled 0: each one a message on lstm-predict's anomalies output. */
  falseAlarms: number;
  /** False alarms per 1,000 scored rows. */
  falseAlarmsPer1000: number;
  /** False alarms per hour of scored rows (rows x the time step); absent without times. */
  falseAlarmsPerHour?: number;
  rows: number;
}

/**
 * Scores a detector against labels at a threshold (a row is flagged when its
 * score is above it, as lstm-predict's `anomalous`).
 * @param stepMs time between rows, ms (0: no per-hour rate).
 */
export function detectionScores(scores: number[], labels: number[], threshold: number, stepMs = 0): DetectionScores {
  const events = labelEvents(labels);
  const flagged = scores.map((s) => s > threshold);
  const detected = events.filter(([a, b]) => flagged.slice(a, b + 1).some(Boolean)).length;
  const falseAlarms = flagged.filter((f, i) => f && labels[i] !== 1).length;
  const rows = scores.length;
  const out: DetectionScores = {
    auroc: auroc(scores, labels),
    auprc: auprc(scores, labels),
    threshold,
    events: events.length,
    detected,
    eventRecall: events.length ? detected / events.length : NaN,
    falseAlarms,
    falseAlarmsPer1000: rows ? (1000 * falseAlarms) / rows : NaN,
    rows,
  };
  if (stepMs > 0 && rows) out.falseAlarmsPerHour = falseAlarms / ((rows * stepMs) / 3_600_000);
  return out;
}

/** One series' scored rows. */
export interface ScoredRows {
  scores: number[];
  labels: number[];
  /** Time between rows, ms (0 = unknown). */
  stepMs: number;
}

/**
 * A detector's figures over several series: AUROC and AUPRC on all rows
 * pooled, events, detections and false alarms summed per series (an event never
 * runs from one series into the next); per hour only when every series has times.
 */
export function combineDetection(parts: ScoredRows[], threshold: number): DetectionScores {
  const each = parts.map((p) => detectionScores(p.scores, p.labels, threshold, p.stepMs));
  const sum = (f: (d: DetectionScores) => number): number => each.reduce((a, d) => a + f(d), 0);
  const rows = sum((d) => d.rows);
  const events = sum((d) => d.events);
  const detected = sum((d) => d.detected);
  const falseAlarms = sum((d) => d.falseAlarms);
  const hours = parts.reduce((a, p) => a + (p.scores.length * p.stepMs) / 3_600_000, 0);
  const out: DetectionScores = {
    auroc: auroc(
      parts.flatMap((p) => p.scores),
      parts.flatMap((p) => p.labels),
    ),
    auprc: auprc(
      parts.flatMap((p) => p.scores),
      parts.flatMap((p) => p.labels),
    ),
    threshold,
    events,
    detected,
    eventRecall: events ? detected / events : NaN,
    falseAlarms,
    falseAlarmsPer1000: rows ? (1000 * falseAlarms) / rows : NaN,
    rows,
  };
  if (parts.length && parts.every((p) => p.stepMs > 0) && hours > 0) out.falseAlarmsPerHour = falseAlarms / hours;
  return out;
}

/** Median of a non-empty list. */
function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The naive-residual detector: |y[t] - y[t-1]| over 1.96 x the robust standard
 * deviation (1.4826 x the median absolute deviation) of the one-step changes on
 * the train rows [0, nTrain), so that, like the pack's score, 1 is the edge of a
 * 95 % range. Scores rows [from, y.length).
 */
export function naiveResidualScores(y: number[], nTrain: number, from: number): number[] {
  const d: number[] = [];
  for (let t = 1; t < nTrain; t++) d.push(y[t] - y[t - 1]);
  if (!d.length) throw fail('BAD_INPUT', 'anomaly.tooFewTrainRows', {});
  const med = median(d);
  const scale = Z95 * MAD_TO_SD * median(d.map((x) => Math.abs(x - med)));
  const out: number[] = [];
  for (let t = Math.max(1, from); t < y.length; t++) {
    const r = Math.abs(y[t] - y[t - 1]);
    out.push(scale > 0 ? r / scale : r > 0 ? 1e6 : 0);
  }
  if (from < 1) out.unshift(0);
  return out;
}

/**
 * The pack's anomaly score of each row a stream's forecasts cover, as
 * lstm-predict computes it: the windows fed to lstm-predict's StreamMonitor in
 * order, rows as times (one step apart).
 * @param inputs [N][L][F] consecutive windows, origins[i] = origins[0] + i.
 * @param forecasts [N][H] their forecasts, real units.
 * @returns score per row index (rows no forecast covered are absent).
 */
export function streamAnomalyScores(
  inputs: number[][][],
  origins: number[],
  forecasts: number[][],
  cal: BaseCalibration,
  targetIndex: number,
): Map<number, number> {
  // levels only shape the served bands; the score is always in 95 % half-widths
  const monitor = new StreamMonitor({ levels: [0.95], adaptRate: 0, threshold: 1, maxStreams: 1 });
  const out = new Map<number, number>();
  inputs.forEach((w, i) => {
    const o = origins[i];
    const times = w.map((_, j) => o - (w.length - 1) + j);
    const forecastTimes = forecasts[i].map((_, h) => o + h + 1);
    const { scores } = monitor.next('evaluate', '', cal, targetIndex, w, times, forecasts[i], forecastTimes, 1);
    for (const s of scores) out.set(s.time, s.score);
  });
  return out;
}

/** Where the fault injector puts its faults. */
export type FaultKind = 'spike' | 'level' | 'drift' | 'stuck' | 'noise';

export const FAULT_KINDS: readonly FaultKind[] = ['spike', 'level', 'drift', 'stuck', 'noise'];

/** Longest fault, rows (spikes are 1 row, the others 12 to 24). */
const MAX_FAULT_ROWS = 24;

/** One injected fault: rows [start, end] inclusive. */
export interface Fault {
  kind: FaultKind;
  start: number;
  end: number;
}

export interface InjectOptions {
  seed: number;
  /** Faults of each kind. Default 1. */
  perKind?: number;
  /** Rows before this index stay clean (the train part). Default 0. */
  from?: number;
  /** Size of the faults in robust standard deviations of the series' one-step changes. Default 6. */
  size?: number;
}

/**
 * Injects faults into a copy of `y` at seeded places in [from, n), as the NAB
 * and Yahoo benchmarks do: a spike (one row), a level shift (a stretch moved by
 * a constant), a drift (a growing ramp), a stuck sensor (the last value
 * repeated) and a noise burst (added Gaussian noise). Faults do not overlap and
 * keep a gap between them; the labels are 1 exactly on the faulted rows (a
 * stuck stretch whose value happens to equal the truth is still labelled).
 * @throws ForecastError BAD_INPUT when the faults do not fit.
 */
export function injectFaults(y: number[], opts: InjectOptions): { y: number[]; labels: number[]; faults: Fault[] } {
  const rand = seededRandom(opts.seed);
  const n = y.length;
  const from = opts.from ?? 0;
  const d: number[] = [];
  for (let t = 1; t < n; t++) d.push(y[t] - y[t - 1]);
  const med = d.length ? median(d) : 0;
  const sd = Math.max(1e-9, MAD_TO_SD * (d.length ? median(d.map((x) => Math.abs(x - med))) : 1));
  const size = (opts.size ?? 6) * sd;
  const kinds: FaultKind[] = [];
  for (let k = 0; k < (opts.perKind ?? 1); k++) kinds.push(...FAULT_KINDS);
  // shuffle the order so the kinds fall at different places per seed
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  const slot = Math.floor((n - from) / Math.max(1, kinds.length));
  // a fault sits inside its own slot, clear of the slot edges, so faults never touch
  if (slot < MAX_FAULT_ROWS + 9) {
    const need = kinds.length * (MAX_FAULT_ROWS + 9);
    throw fail('BAD_INPUT', 'anomaly.faultsDoNotFit', { kindsCount: kinds.length, value: n - from, need });
  }
  const lengthOf = (kind: FaultKind): number => (kind === 'spike' ? 1 : 12 + Math.floor(rand() * 13));
  const out = y.slice();
  const labels = new Array<number>(n).fill(0);
  const faults: Fault[] = [];
  kinds.forEach((kind, k) => {
    const len = lengthOf(kind);
    const room = slot - len - 8;
    const start = from + k * slot + 4 + Math.floor(rand() * room);
    const end = start + len - 1;
    const sign = rand() < 0.5 ? -1 : 1;
    for (let t = start; t <= end; t++) {
      const i = t - start + 1;
      if (kind === 'spike') out[t] = y[t] + sign * size * 1.5;
      else if (kind === 'level') out[t] = y[t] + sign * size;
      else if (kind === 'drift') out[t] = y[t] + (sign * size * 1.5 * i) / len;
      else if (kind === 'stuck') out[t] = y[start - 1];
      else out[t] = y[t] + size * 0.5 * gaussian(rand);
      labels[t] = 1;
    }
    faults.push({ kind, start, end });
  });
  return { y: out, labels, faults };
}

/** Standard normal draw (Box-Muller). */
function gaussian(rand: () => number): number {
  const u = Math.max(1e-12, rand());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

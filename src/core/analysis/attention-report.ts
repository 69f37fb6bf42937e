/**
 * Reads the attention of one forecast (pure: no TensorFlow.js). Input per forecast:
 * weights [N][L] (one row per refinement iteration; rows sum to 1; the additive
 * model has N = 1), the window's timestamps [L], the target's values [L] in real
 * units, feature names and optionally the GCA feature map [N][L][F].
 *
 * Attention shows where the model wrote into its cell state (GCA) or what it
 * summed (additive attention). It is not a causal explanation of the forecast.
 *
 * Step index i runs from 0 (oldest) to L - 1 (newest); its lag is L - 1 - i
 * (0 = the last step of the window).
 */
import { describe } from '../base/errors';
import { fail } from '../base/messages';
import { parseTime } from '../base/time';

/** A timestamp: epoch milliseconds, an ISO 8601 string (UTC unless it has an offset) or a Date. */
export type TimeLike = number | string | Date;

/** The attention of one forecast, as the forecaster returns it. */
export interface AttentionInput {
  /** Attention weights [N][L]; every row sums to 1 (tolerance 1e-3). */
  weights: number[][];
  /** Timestamps of the window's steps [L] (oldest first). Optional. */
  timestamps?: TimeLike[];
  /** The target's values over the window [L], real units. Optional. */
  values?: number[];
  /** Feature names [F] (for the feature map). Optional. */
  featureNames?: string[];
  /** GCA feature attention [N][L][F] (each [F] row sums to 1). Optional. */
  featureMap?: number[][][];
  /** The forecast's attribution to the window (analysis/attribution.ts), real units. Optional. */
  attribution?: AttributionInput;
}

/** A forecast's attribution as the inspector reads it. */
export interface AttributionInput {
  /** [L][F] attribution of each step and feature (mean over the horizon), real units. */
  values: number[][];
  /** [L][F] its exact linear part. Optional. */
  linear?: number[][];
}

/** What the inspector says about a forecast's attribution. */
export interface AttributionSummary {
  /** [L] per step, summed over the features (real units); index 0 = oldest. */
  perLag: number[];
  /** [F] per feature, summed over the steps. */
  perFeature: number[];
  /** [L] the linear part per step (null without it). */
  linearPerLag: number[] | null;
  /** [L] the network part per step: perLag - linearPerLag (null without the linear part). */
  networkPerLag: number[] | null;
  /** Index of the step with the largest |perLag|. */
  peakIndex: number;
  /** Its lag (L - 1 - peakIndex). */
  peakLag: number;
  /** 1 / sum(s^2) of the shares s = |perLag| / sum |perLag|: like the attention's; L when spread evenly. */
  effectiveWidth: number;
}

/** A forecast's attribution with its window, for a model without attention. */
export interface AttributionOnlyInput {
  /** The attribution [L][F] (and its linear part). */
  attribution: AttributionInput;
  /** Timestamps of the window's steps [L] (oldest first). Optional. */
  timestamps?: TimeLike[];
  /** The target's values over the window [L], real units. Optional. */
  values?: number[];
  /** Feature names [F]. Optional. */
  featureNames?: string[];
}

/** One of the steps that moved the forecast most. */
export interface AttributionTopStep {
  /** Step index in the window, 0 = oldest. */
  index: number;
  /** Steps before the newest: L - 1 - index. */
  lag: number;
  /** The step's time in epoch ms, or null without timestamps. */
  timestamp: number | null;
  /** The target's value at the step (real units), or null without values. */
  value: number | null;
  /** The step's attribution summed over the features (real units, signed). */
  attribution: number;
  /** Its signed share of the total |attribution| (-1 to 1). */
  share: number;
}

/** Everything the inspector derives from a forecast that has an attribution but no attention. */
export interface AttributionReport {
  /** Top-k steps by |attribution|, largest first. */
  top: AttributionTopStep[];
  /** The attribution's summary. */
  attribution: AttributionSummary;
  /** Chart points of the series 'attribution'. */
  chart: ChartPoint[];
  /** The attribution heat map (no attention panel). */
  svg: string;
}

/** One of the most attended steps. */
export interface TopStep {
  /** Step index in the window, 0 = oldest. */
  index: number;
  /** Steps before the newest: L - 1 - index. */
  lag: number;
  /** The step's time in epoch ms, or null without timestamps. */
  timestamp: number | null;
  /** The target's value at the step (real units), or null without values. */
  value: number | null;
  /** Attention weight (0-1). */
  weight: number;
}

/** How one refinement iteration's attention looks and how it moved from the one before. */
export interface IterationSummary {
  /** 1-based iteration number. */
  iteration: number;
  /** Index of the largest weight (first one on ties). */
  peakIndex: number;
  /** Lag of the peak (L - 1 - peakIndex). */
  peakLag: number;
  /** The largest weight. */
  peakWeight: number;
  /** 1 / sum(a^2): L for flat attention, 1 for a single step. */
  effectiveWidth: number;
  /** Shannon entropy in nats: ln L for flat attention, 0 for a single step. */
  entropy: number;
  /** Entropy / ln L (0-1); 0 when L = 1. */
  normalizedEntropy: number;
  /** sum |a_n - a_{n-1}| (0-2), null for the first iteration. */
  l1FromPrevious: number | null;
  /** peakIndex_n - peakIndex_{n-1} (positive: moved to newer steps), null for the first. */
  peakShift: number | null;
}

/** A point for a FlowFuse Dashboard 2 ui-chart (x key 'x', y key 'y', series key 'series'). */
export interface ChartPoint {
  /** Epoch ms of the step, or its index when no timestamps are known. */
  x: number;
  /** Attention weight, or for series 'attribution' the step's signed share of the total |attribution|. */
  y: number;
  /** 'iteration n' (1-based) or 'attribution'. */
  series: string;
}

/** Options of {@link heatmapSvg}. */
export interface HeatmapOptions {
  /** Title at the top. Default 'Attention over the window'. */
  title?: string;
  /** Prefix of the ids inside the SVG (keep several maps on one page apart). Default 'attn'. */
  idPrefix?: string;
  /** Width of the map area in px (the cells share it). Default 640. */
  width?: number;
}

/** Everything the inspector derives from one forecast. */
export interface AttentionReport {
  /** Top-k steps of the last iteration, largest weight first. */
  top: TopStep[];
  /** Per-iteration summaries, iteration 1 first. */
  iterations: IterationSummary[];
  /** Chart points of every iteration. */
  chart: ChartPoint[];
  /** The heat map. */
  svg: string;
  /** The attribution's summary, when the input has one. */
  attribution?: AttributionSummary;
}

const SUM_TOLERANCE = 1e-3;

function checkRow(row: unknown, what: string, length?: number): number[] {
  if (!Array.isArray(row) || row.length === 0)
    throw fail('BAD_INPUT', 'attentionReport.emptyRow', { what, got: describe(row) }, 'bad attention');
  if (length !== undefined && row.length !== length)
    throw fail('BAD_INPUT', 'attentionReport.rowLength', { what, count: length, got: row.length }, 'bad attention');
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw fail('BAD_INPUT', 'attentionReport.badWeight', { what, i, got: describe(v) }, 'bad attention');
  }
  const sum = row.reduce((a: number, b: number) => a + b, 0);
  if (Math.abs(sum - 1) > SUM_TOLERANCE)
    throw fail('BAD_INPUT', 'attentionReport.notSumOne', { what, got: String(sum.toFixed(4)) }, 'bad attention');
  return row as number[];
}

/** Validates weights [N][L] (rows of equal length, non-negative, summing to 1); returns L. */
export function checkWeights(weights: unknown): number {
  if (!Array.isArray(weights) || weights.length === 0)
    throw fail('BAD_INPUT', 'attentionReport.badWeights', { got: describe(weights) }, 'bad attention');
  const l = Array.isArray(weights[0]) ? weights[0].length : 0;
  weights.forEach((row, n) => checkRow(row, `attention row ${n + 1}`, l || undefined));
  return l;
}

/** A timestamp as epoch ms; throws BAD_TIMESTAMP on one that is not a time. */
function toEpochMs(value: TimeLike): number {
  const ms = parseTime(value);
  if (ms === undefined) {
    throw fail('BAD_TIMESTAMP', 'attentionReport.badTimestamp', { got: describe(value) });
  }
  return ms;
}

function timesOf(timestamps: TimeLike[] | undefined, l: number): number[] | null {
  if (timestamps === undefined || timestamps === null) return null;
  if (!Array.isArray(timestamps) || timestamps.length !== l) {
    throw fail('BAD_INPUT', 'attentionReport.timestampCount', { l, got: describe(timestamps) }, 'bad attention');
  }
  return timestamps.map(toEpochMs);
}

/**
 * The k steps with the largest weight (ties: the newer step first), with their
 * lag, time and value.
 * @param weights one attention row [L].
 * @param k how many (clamped to L). Default 3.
 */
export function topSteps(weights: number[], k = 3, timestamps?: TimeLike[], values?: number[]): TopStep[] {
  checkRow(weights, 'attention');
  const l = weights.length;
  const times = timesOf(timestamps, l);
  if (values !== undefined && (!Array.isArray(values) || values.length !== l))
    throw fail('BAD_INPUT', 'attentionReport.valueCount', { l, got: describe(values) }, 'bad attention');
  const order = weights.map((w, i) => i).sort((a, b) => weights[b] - weights[a] || b - a);
  return order.slice(0, Math.max(0, Math.min(l, Math.floor(k)))).map((index) => ({
    index,
    lag: l - 1 - index,
    timestamp: times ? times[index] : null,
    value: values && typeof values[index] === 'number' && Number.isFinite(values[index]) ? values[index] : null,
    weight: weights[index],
  }));
}

/** Effective width 1 / sum(a^2) of one attention row: L when flat, 1 when one-hot. */
export function effectiveWidth(weights: number[]): number {
  checkRow(weights, 'attention');
  return 1 / weights.reduce((s, a) => s + a * a, 0);
}

/** Shannon entropy (nats) of one attention row; 0 * ln 0 counts as 0. */
export function entropy(weights: number[]): number {
  checkRow(weights, 'attention');
  return Math.max(0, -weights.reduce((s, a) => (a > 0 ? s + a * Math.log(a) : s), 0));
}

function argmax(row: number[]): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Per-iteration summary and how each refinement moved the attention (L1 distance, peak shift). */
export function compareIterations(weights: number[][]): IterationSummary[] {
  const l = checkWeights(weights);
  return weights.map((row, n) => {
    const peakIndex = argmax(row);
    const h = entropy(row);
    const prev = n > 0 ? weights[n - 1] : null;
    return {
      iteration: n + 1,
      peakIndex,
      peakLag: l - 1 - peakIndex,
      peakWeight: row[peakIndex],
      effectiveWidth: effectiveWidth(row),
      entropy: h,
      normalizedEntropy: l > 1 ? h / Math.log(l) : 0,
      l1FromPrevious: prev ? row.reduce((s, a, i) => s + Math.abs(a - prev[i]), 0) : null,
      peakShift: prev ? peakIndex - argmax(prev) : null,
    };
  });
}

/**
 * Points for a FlowFuse Dashboard 2 ui-chart (line or bar; x: timestamp, y: weight,
 * series: 'iteration n'), iteration 1 first, oldest step first.
 * Without timestamps x is the step index.
 */
export function chartData(weights: number[][], timestamps?: TimeLike[]): ChartPoint[] {
  const l = checkWeights(weights);
  const times = timesOf(timestamps, l);
  const out: ChartPoint[] = [];
  weights.forEach((row, n) =>
    row.forEach((y, i) => out.push({ x: times ? times[i] : i, y, series: `iteration ${n + 1}` })),
  );
  return out;
}

function checkMatrix(m: unknown, what: string, l: number): number[][] {
  if (!Array.isArray(m) || m.length !== l)
    throw fail('BAD_INPUT', 'attentionReport.stepCount', { what, l, got: describe(m) }, 'bad attention');
  const f = Array.isArray(m[0]) ? m[0].length : 0;
  m.forEach((row: unknown, j) => {
    if (!Array.isArray(row) || row.length !== f || f === 0)
      throw f
        ? fail('BAD_INPUT', 'attentionReport.stepWidth', { what, j, f, got: describe(row) }, 'bad attention')
        : fail('BAD_INPUT', 'attentionReport.stepEmpty', { what, j, got: describe(row) }, 'bad attention');
    const i = row.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (i >= 0)
      throw fail('BAD_INPUT', 'attentionReport.notFiniteCell', { what, j, i, got: describe(row[i]) }, 'bad attention');
  });
  return m as number[][];
}

/**
 * Sums a forecast's attribution per step and per feature, finds its peak and its
 * effective width (on the absolute shares, as the attention's on its weights).
 * @param l window length L (the attention's).
 */
export function summarizeAttribution(a: AttributionInput, l: number): AttributionSummary {
  if (a === null || typeof a !== 'object')
    throw fail('BAD_INPUT', 'attentionReport.notAttribution', { got: describe(a) }, 'bad attention');
  const values = checkMatrix(a.values, 'attribution.values', l);
  const linear = a.linear === undefined ? null : checkMatrix(a.linear, 'attribution.linear', l);
  if (linear && linear[0].length !== values[0].length)
    throw fail(
      'BAD_INPUT',
      'attentionReport.linearFeatures',
      { count: values[0].length, got: linear[0].length },
      'bad attention',
    );
  const perLag = values.map((row) => row.reduce((s, v) => s + v, 0));
  const perFeature = values[0].map((_, f) => values.reduce((s, row) => s + row[f], 0));
  const linearPerLag = linear ? linear.map((row) => row.reduce((s, v) => s + v, 0)) : null;
  const abs = perLag.map(Math.abs);
  const total = abs.reduce((s, v) => s + v, 0);
  const peakIndex = argmax(abs);
  return {
    perLag,
    perFeature,
    linearPerLag,
    networkPerLag: linearPerLag ? perLag.map((v, j) => v - linearPerLag[j]) : null,
    peakIndex,
    peakLag: l - 1 - peakIndex,
    effectiveWidth: total > 0 ? 1 / abs.reduce((s, v) => s + (v / total) ** 2, 0) : l,
  };
}

/** Escapes text for SVG/XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );
}

// viridis at 0, .25, .5, .75, 1 (perceptually even, readable in grey).
const STOPS: Array<[number, number, number]> = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** Colour of a value in [0, 1] on the heat map's scale (hex). */
export function colourOf(v: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const c = STOPS[i].map((a, j) => Math.round(a + (STOPS[i + 1][j] - a) * f));
  return '#' + c.map((a) => a.toString(16).padStart(2, '0')).join('');
}

/** Colour of a signed value in [-1, 1]: blue (lowers the forecast), white (0), red (raises it). */
export function signedColourOf(v: number): string {
  const x = Math.min(1, Math.max(-1, Number.isFinite(v) ? v : 0));
  const to = x >= 0 ? [178, 24, 43] : [33, 102, 172];
  const c = to.map((a) => Math.round(255 + (a - 255) * Math.abs(x)));
  return '#' + c.map((a) => a.toString(16).padStart(2, '0')).join('');
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** A time label in UTC: 'HH:MM' within one day, else 'MM-DD HH:MM' (deterministic, no locale). */
function timeLabel(ms: number, spanMs: number): string {
  const d = new Date(ms);
  const hm = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  if (spanMs < 86_400_000) return hm;
  if (spanMs < 60 * 86_400_000) return `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${hm}`;
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

const num = (v: number) => String(Math.round(v * 100) / 100);

interface Panel {
  title: string;
  rows: string[];
  /** values[row][step] in [0, max] (signed: any sign, coloured on [-max |v|, max |v|]). */
  values: number[][];
  signed?: boolean;
}

/**
 * An SVG heat map: steps (x, oldest left, time labels in UTC) x iterations (y),
 * and, with a feature map, a second panel of steps x features for the last
 * iteration. Colours scale each panel from 0 to its largest weight; a legend
 * shows the scale. Standalone (xmlns), every text escaped, deterministic.
 */
export function heatmapSvg(input: AttentionInput, options: HeatmapOptions = {}): string {
  const l = checkWeights(input.weights);
  const times = timesOf(input.timestamps, l);
  const n = input.weights.length;
  const panels: Panel[] = [
    { title: 'Steps x iterations', rows: input.weights.map((_, i) => `iteration ${i + 1}`), values: input.weights },
  ];
  if (input.featureMap !== undefined) {
    const fm = input.featureMap;
    if (!Array.isArray(fm) || fm.length !== n)
      throw fail('BAD_INPUT', 'attentionReport.featureMapCount', { n, got: describe(fm) }, 'bad attention');
    const last = fm[n - 1];
    if (!Array.isArray(last) || last.length !== l)
      throw fail('BAD_INPUT', 'attentionReport.featureMapSteps', { l, got: describe(last) }, 'bad attention');
    const f = Array.isArray(last[0]) ? last[0].length : 0;
    last.forEach((row, i) => checkRow(row, `feature map step ${i}`, f || undefined));
    const names =
      input.featureNames && input.featureNames.length === f
        ? input.featureNames.map(String)
        : Array.from({ length: f }, (_, j) => `feature ${j + 1}`);
    panels.push({
      title: `Steps x features (iteration ${n})`,
      rows: names,
      values: names.map((_, j) => last.map((row) => row[j])),
    });
  }
  if (input.attribution !== undefined) panels.push(attributionPanel(input.attribution, l, input.featureNames));
  return renderSvg(panels, l, times, options.title ?? 'Attention over the window', options);
}

/** The signed panel of an attribution: all features summed, then one row per feature. */
function attributionPanel(a: AttributionInput, l: number, featureNames: string[] | undefined): Panel {
  const values = checkMatrix(a.values, 'attribution.values', l);
  const f = values[0].length;
  const names =
    featureNames && featureNames.length === f
      ? featureNames.map(String)
      : Array.from({ length: f }, (_, j) => `feature ${j + 1}`);
  return {
    title: 'Attribution of the forecast (real units, mean over the horizon; red raises, blue lowers)',
    rows: ['all features', ...names],
    values: [values.map((row) => row.reduce((s, v) => s + v, 0)), ...names.map((_, j) => values.map((row) => row[j]))],
    signed: true,
  };
}

/** Window length L of an attribution ([L][F], at least one step). */
function attributionLength(a: AttributionInput): number {
  if (a === null || typeof a !== 'object' || !Array.isArray(a.values) || a.values.length === 0)
    throw fail(
      'BAD_INPUT',
      'attentionReport.noSteps',
      { got: describe(a !== null && typeof a === 'object' ? a.values : a) },
      'bad attention',
    );
  return a.values.length;
}

/**
 * The heat map of an attribution alone (a model without attention): one signed
 * panel, steps (x) x all features and each feature (y). Same layout as {@link heatmapSvg}.
 */
export function attributionSvg(input: AttributionOnlyInput, options: HeatmapOptions = {}): string {
  const l = attributionLength(input.attribution);
  const times = timesOf(input.timestamps, l);
  const panel = attributionPanel(input.attribution, l, input.featureNames);
  return renderSvg([panel], l, times, options.title ?? 'Attribution over the window', options);
}

function renderSvg(panels: Panel[], l: number, times: number[] | null, title: string, options: HeatmapOptions): string {
  const prefix = (options.idPrefix ?? 'attn').replace(/[^A-Za-z0-9_-]/g, '') || 'attn';
  const plotWidth = Math.max(120, Math.min(2000, Math.floor(options.width ?? 640)));
  const cell = Math.max(2, Math.min(32, plotWidth / l));
  const mapWidth = cell * l;
  const rowH = 22;
  const longest = Math.max(...panels.flatMap((p) => p.rows.map((r) => r.length)));
  const left = Math.min(180, 12 + 6.5 * Math.min(longest, 26));
  const legendW = 70;
  const width = Math.ceil(left + mapWidth + 20 + legendW);
  const parts: string[] = [];
  let y = 40;
  const tickEvery = Math.max(1, Math.ceil(l / Math.max(2, Math.floor(mapWidth / 90))));
  const span = times ? Math.abs(times[l - 1] - times[0]) : 0;
  panels.forEach((panel, p) => {
    const max = Math.max(...panel.values.flat().map(panel.signed ? Math.abs : (v: number) => v), 1e-12);
    const fill = (v: number) => (panel.signed ? signedColourOf(v / max) : colourOf(v / max));
    parts.push(
      `<text x="${num(left)}" y="${num(y - 8)}" font-size="12" font-weight="bold">${escapeXml(panel.title)}</text>`,
    );
    panel.values.forEach((row, r) => {
      const ry = y + r * rowH;
      parts.push(
        `<text x="${num(left - 6)}" y="${num(ry + rowH / 2 + 4)}" font-size="11" text-anchor="end">${escapeXml(panel.rows[r].slice(0, 26))}</text>`,
      );
      row.forEach((v, i) => {
        const when = times ? timeLabel(times[i], span) : `lag ${l - 1 - i}`;
        parts.push(
          `<rect x="${num(left + i * cell)}" y="${ry}" width="${num(cell)}" height="${rowH}" fill="${fill(v)}"><title>${escapeXml(`${panel.rows[r]}, ${when}: ${v.toFixed(3)}`)}</title></rect>`,
        );
      });
    });
    const bottom = y + panel.values.length * rowH;
    for (let i = 0; i < l; i += tickEvery) {
      const x = left + (i + 0.5) * cell;
      const label = times ? timeLabel(times[i], span) : `t-${l - 1 - i}`;
      parts.push(`<line x1="${num(x)}" y1="${bottom}" x2="${num(x)}" y2="${bottom + 4}" stroke="#333"/>`);
      parts.push(
        `<text x="${num(x)}" y="${bottom + 16}" font-size="10" text-anchor="middle">${escapeXml(label)}</text>`,
      );
    }
    // Legend: a vertical bar from 0 (bottom) to the panel's largest weight (top).
    const lx = left + mapWidth + 20;
    const lh = Math.max(rowH * panel.values.length, 44);
    parts.push(
      `<rect x="${num(lx)}" y="${y}" width="12" height="${lh}" fill="url(#${prefix}-${panel.signed ? 'signed' : 'scale'})" stroke="#999" stroke-width="0.5"/>`,
    );
    parts.push(`<text x="${num(lx + 16)}" y="${y + 9}" font-size="10">${max.toFixed(2)}</text>`);
    parts.push(
      `<text x="${num(lx + 16)}" y="${y + lh}" font-size="10">${panel.signed ? (-max).toFixed(2) : '0'}</text>`,
    );
    y = Math.max(bottom, y + lh) + (p < panels.length - 1 ? 56 : 24);
  });
  const height = Math.ceil(y + (times ? 10 : 0));
  const stops = STOPS.map(
    (_, i) => `<stop offset="${i / (STOPS.length - 1)}" stop-color="${colourOf(i / (STOPS.length - 1))}"/>`,
  ).reverse();
  const axis = times ? 'time (UTC)' : 'steps before the newest';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<defs><linearGradient id="${prefix}-scale" x1="0" y1="0" x2="0" y2="1">${stops
      .map((s, i) => s.replace(/offset="[^"]*"/, `offset="${i / (STOPS.length - 1)}"`))
      .join('')}</linearGradient><linearGradient id="${prefix}-signed" x1="0" y1="0" x2="0" y2="1">${[1, 0, -1]
      .map((v, i) => `<stop offset="${i / 2}" stop-color="${signedColourOf(v)}"/>`)
      .join('')}</linearGradient></defs>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${num(left)}" y="16" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${num(left + mapWidth)}" y="16" font-size="10" text-anchor="end">x: ${escapeXml(axis)}</text>`,
    ...parts,
    '</svg>',
  ].join('\n');
}

/**
 * Everything the inspector shows for one forecast: top-k steps of the last
 * iteration, the per-iteration comparison, chart points and the heat map.
 * @param k number of top steps. Default 3.
 */
export function inspectAttention(input: AttentionInput, k = 3, options: HeatmapOptions = {}): AttentionReport {
  const l = checkWeights(input.weights);
  const last = input.weights[input.weights.length - 1];
  const chart = chartData(input.weights, input.timestamps);
  const report: AttentionReport = {
    top: topSteps(last, k, input.timestamps, input.values),
    iterations: compareIterations(input.weights),
    chart,
    svg: heatmapSvg(input, options),
  };
  if (input.attribution !== undefined) {
    const a = summarizeAttribution(input.attribution, l);
    chart.push(...attributionChart(a, timesOf(input.timestamps, l)));
    report.attribution = a;
  }
  return report;
}

/** Signed shares of the total |attribution| per step: on the attention's 0-1 scale, one chart for both. */
function attributionShares(a: AttributionSummary): number[] {
  const total = a.perLag.reduce((s, v) => s + Math.abs(v), 0) || 1;
  return a.perLag.map((v) => v / total);
}

function attributionChart(a: AttributionSummary, times: number[] | null): ChartPoint[] {
  return attributionShares(a).map((y, i) => ({ x: times ? times[i] : i, y, series: 'attribution' }));
}

/**
 * What the inspector shows for a forecast with an attribution but no attention
 * (e.g. a plain lstm): the summary, the top-k steps by |attribution| (ties: the
 * newer step first), chart points of the series 'attribution' and the heat map.
 * @param k number of top steps. Default 3.
 */
export function inspectAttribution(
  input: AttributionOnlyInput,
  k = 3,
  options: HeatmapOptions = {},
): AttributionReport {
  const l = attributionLength(input.attribution);
  const a = summarizeAttribution(input.attribution, l);
  const times = timesOf(input.timestamps, l);
  const values = input.values;
  if (values !== undefined && (!Array.isArray(values) || values.length !== l))
    throw fail('BAD_INPUT', 'attentionReport.valueCount', { l, got: describe(values) }, 'bad attention');
  const shares = attributionShares(a);
  const order = a.perLag.map((_, i) => i).sort((x, y) => Math.abs(a.perLag[y]) - Math.abs(a.perLag[x]) || y - x);
  const top = order.slice(0, Math.max(0, Math.min(l, Math.floor(k)))).map((index) => ({
    index,
    lag: l - 1 - index,
    timestamp: times ? times[index] : null,
    value: values && typeof values[index] === 'number' && Number.isFinite(values[index]) ? values[index] : null,
    attribution: a.perLag[index],
    share: shares[index],
  }));
  return {
    top,
    attribution: a,
    chart: attributionChart(a, times),
    svg: attributionSvg(input, options),
  };
}

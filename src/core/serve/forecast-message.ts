/**
 * Checks an incoming window message against a model and shapes the forecast
 * message that lstm-predict sends (and the attention inspector reads).
 */
import { describe } from '../base/errors';
import { fail } from '../base/messages';
import { compileValidator } from '../base/validate';
import type { ModelArtifact } from '../model/artifact';
import type { Prediction } from './forecaster';
import type { IntervalBounds } from './intervals';

/** The window part of predict's input: a window message or a dataset (see data/window-message.ts). */
export interface PredictInput {
  type: 'window' | 'dataset';
  inputs: unknown[];
  timestamps?: unknown[];
  features?: string[];
  series?: string;
  step?: number;
}

const checkInput = compileValidator<PredictInput>(
  {
    type: 'object',
    required: ['type', 'inputs'],
    properties: {
      type: { enum: ['window', 'dataset'] },
      inputs: { type: 'array', minItems: 1 },
      timestamps: { type: 'array' },
      features: { type: 'array', items: { type: 'string' } },
      series: { type: 'string' },
      step: { type: 'number', minimum: 0 },
    },
  },
  'BAD_INPUT',
  'window message',
  'payload',
);

/** Validates msg.payload and returns it with windows as [B][L][F] and their timestamps [B][L] (or undefined). */
export function readPredictInput(payload: unknown): {
  input: PredictInput;
  windows: number[][][];
  times: (number[] | undefined)[];
} {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw fail('BAD_INPUT', 'predictInput.notWindow', { got: describe(payload) }, 'not a window');
  }
  const input = checkInput(payload);
  const windows = (input.type === 'window' ? [input.inputs] : input.inputs) as number[][][];
  if (input.step !== undefined && !(input.step <= MAX_TIME)) {
    throw fail('BAD_TIMESTAMP', 'predictInput.badStep', { max: MAX_TIME, got: describe(input.step) }, 'bad step');
  }
  const ts = input.timestamps;
  const times = windows.map((_, i) => {
    const t = input.type === 'window' ? ts : ts?.[i];
    if (!Array.isArray(t) || !t.every((x) => typeof x === 'number')) return undefined;
    const bad = t.findIndex((x) => !(Math.abs(x) <= MAX_TIME));
    if (bad >= 0) {
      const values = { max: MAX_TIME, got: describe(t[bad]), row: bad };
      throw input.type === 'window'
        ? fail('BAD_TIMESTAMP', 'predictInput.badTimestamp', values, 'bad timestamp')
        : fail('BAD_TIMESTAMP', 'predictInput.badTimestampOfWindow', { ...values, window: i }, 'bad timestamp');
    }
    return t as number[];
  });
  return { input, windows, times };
}

/** The largest epoch ms a Date can hold: times and steps beyond it would make forecast times overflow. */
export const MAX_TIME = 8.64e15;

/** Says exactly how a window's feature names differ from the model's (undefined when they match). */
export function featureMismatch(model: string[], got: string[] | undefined): string | undefined {
  if (!got) return undefined;
  if (got.length === model.length && got.every((f, i) => f === model[i])) return undefined;
  const missing = model.filter((f) => !got.includes(f));
  const extra = got.filter((f) => !model.includes(f));
  const parts = [`expected features (${model.join(', ')}), got (${got.join(', ')})`];
  if (missing.length) parts.push(`missing ${missing.join(', ')}`);
  if (extra.length) parts.push(`unknown ${extra.join(', ')}`);
  if (!missing.length && !extra.length) parts.push('same names in another order');
  return parts.join(': ');
}

/** One forecast, in real units with times. */
export interface ForecastPayload {
  model: string;
  version: number;
  series: string;
  target: string;
  /** [H] forecast values of the target, real units. */
  forecast: number[];
  /** [H] epoch ms of each forecast step (0-based offsets from the origin when times are unknown). */
  timestamps: number[];
  /** Time of the window's last reading (the forecast origin), epoch ms. */
  origin: number;
  /** Interval between steps, ms. */
  step: number;
  /** The window's last target value (real units). */
  lastValue: number;
  /**
   * Prediction intervals by level in % ("80", "95"): [H] lower and upper bounds,
   * real units (split-conformal, see core/serve/intervals.ts). Absent when the
   * model has no calibration or no level is set.
   */
  intervals?: Record<string, IntervalBounds>;
  /** Attention (attention model types): weights [N][L], rows sum to 1. */
  attention?: {
    weights: number[][];
    timestamps: number[];
    features: string[];
    /** [L] the target's values in the window (real units). */
    values: number[];
    iterations: number;
    /** [N][L][F] feature attention, when the model has it. */
    featureWeights?: number[][][];
  };
  /** The forecast attributed to the window (lstm-predict's attribution setting; analysis/attribution.ts). */
  attribution?: PayloadAttribution;
}

/** How a forecast's attribution travels in the payload (real units of the target). */
export interface PayloadAttribution {
  method: 'integrated-gradients';
  baseline: 'last-value';
  steps: number;
  features: string[];
  /** [L][F] mean over the horizon steps of each step's and feature's attribution. */
  values: number[][];
  /** [L][F] its exact linear part (highway and reference). */
  linear: number[][];
  /** [H][L] per horizon step, summed over the features. */
  byHorizon: number[][];
  /** [H] forecast of the baseline window (every row = the last row). */
  baselineForecast: number[];
  /** Largest |sum of a step's attributions - (forecast - baseline forecast)|. */
  completenessError: number;
  /** [L] epoch ms of the window's steps (as attention.timestamps): the inspector's axis without attention. */
  timestamps?: number[];
  /** [L] the target's values in the window, real units (as attention.values). */
  windowValues?: number[];
}

/** Builds the forecast payload of window `i`. */
export function forecastPayload(
  artifact: ModelArtifact,
  prediction: Prediction,
  i: number,
  window: number[][],
  times: number[] | undefined,
  inputStep: number | undefined,
  series: string | undefined,
): ForecastPayload {
  const { spec } = artifact;
  const step =
    inputStep && inputStep > 0
      ? inputStep
      : spec.step > 0
        ? spec.step
        : times && times.length > 1
          ? times[times.length - 1] - times[times.length - 2]
          : 0;
  const origin = times && times.length ? times[times.length - 1] : 0;
  const forecast = prediction.forecast[i];
  const timestamps = forecast.map((_, h) => origin + (h + 1) * step);
  if (!timestamps.every((t) => Number.isFinite(t))) {
    throw fail('BAD_TIMESTAMP', 'predictInput.timesNotFinite', { origin, step }, 'bad timestamp');
  }
  const out: ForecastPayload = {
    model: artifact.name,
    version: artifact.version,
    series: series ?? spec.series,
    target: spec.target,
    forecast,
    timestamps,
    origin,
    step,
    lastValue: window[window.length - 1][spec.targetIndex],
  };
  if (prediction.attention) {
    out.attention = {
      weights: prediction.attention[i],
      timestamps: times ?? window.map((_, j) => origin - (window.length - 1 - j) * step),
      features: spec.features.slice(),
      values: window.map((r) => r[spec.targetIndex]),
      iterations: prediction.attention[i].length,
    };
    if (prediction.featureAttention) out.attention.featureWeights = prediction.featureAttention[i];
  }
  return out;
}

/**
 * The whole forecast as chart points {x, y, series} (x in epoch ms), and each interval level as two more series
 * ("<target> 95% lower", "... upper"): for a ui-chart whose Series is set to the key `series` (and x to `x`, y to
 * `y`), which then draws the whole horizon and the band at their future times.
 */
export function chartPoints(
  p: ForecastPayload,
  label = `${p.target} forecast`,
): { x: number; y: number; series: string }[] {
  const points = p.forecast.map((y, h) => ({ x: p.timestamps[h], y, series: label }));
  for (const [level, b] of Object.entries(p.intervals ?? {})) {
    points.push(...b.lower.map((y, h) => ({ x: p.timestamps[h], y, series: `${p.target} ${level}% lower` })));
    points.push(...b.upper.map((y, h) => ({ x: p.timestamps[h], y, series: `${p.target} ${level}% upper` })));
  }
  return points.filter((q) => Number.isFinite(q.y));
}

/**
 * Dashboard 2 chart lines: the next step's forecast as `<target> forecast`, and each interval level's bounds as
 * `<target> 80% lower` / `... upper`, one {topic, value} per line. A ui-chart left at its defaults takes the line
 * from msg.topic, y from a number msg.payload and x from the arrival time (it ignores x in a point and reads an
 * array payload as one value), so one message per line is what draws separate lines without configuring it.
 */
export function chartLines(p: ForecastPayload, label = `${p.target} forecast`): { topic: string; value: number }[] {
  const lines = [{ topic: label, value: p.forecast[0] }];
  for (const [level, b] of Object.entries(p.intervals ?? {})) {
    lines.push({ topic: `${p.target} ${level}% lower`, value: b.lower[0] });
    lines.push({ topic: `${p.target} ${level}% upper`, value: b.upper[0] });
  }
  return lines.filter((l) => Number.isFinite(l.value));
}

/**
 * Prediction intervals and anomaly scores at serve time, from the artifact's
 * split-conformal calibration (data/conformal.ts).
 *
 * A stream (one model x one msg.topic) keeps its recent forecasts; when later
 * windows bring the actual readings for their times, each reading is scored
 * against every kept forecast that covered it: score = |actual - (forecast +
 * the calibrated centre)| / the calibrated 95 % half-width of that horizon step, the smallest over the
 * covering forecasts (a reading is anomalous only when every forecast made for
 * it calls it so). The same readings drive adaptive conformal inference (Gibbs
 * and Candes 2021) when a rate is set: per level, alpha_t+1 = alpha_t + gamma
 * (alpha - err_t), err_t = 1 when the reading fell outside that level's interval.
 * With `recalibrate` the same readings' residuals |actual - (forecast + centre)| are kept per horizon step and
 * replace the calibration's one for one (data/conformal.ts, recalibratedHalfWidth): the band follows the stream's
 * own errors of the model it is served. Memory is bounded: at most `maxStreams` streams (least recently seen
 * dropped), at most min(H, 256) forecasts per stream (so steps beyond the 256th are never scored, nor recalibrated)
 * and, recalibrating, at most 200 residuals per step (fewer for long horizons: at most max(20,000, 20 H) per stream).
 */
import { lowerBound } from '../base/arrays';
import { describe } from '../base/errors';
import { fail } from '../base/messages';
import {
  conformalCenter,
  conformalHalfWidth,
  normalQuantile,
  recalibratedHalfWidth,
  recalibrationSize,
  SERIES_ID_MAX,
  type BaseCalibration,
} from '../data/conformal';

/** The level the anomaly score is measured in (score 1 = on the edge of the 95 % interval). */
export const ANOMALY_LEVEL = 0.95;
const MAX_FORECASTS_PER_STREAM = 256;
/** Scores are capped here so a zero-width calibration never yields Infinity. */
export const MAX_SCORE = 1e6;
/**
 * Longest msg.topic text used as a stream key: as long as the series ids calibrated on their own, so two topics that
 * are served different calibrations never share a stream (its forecasts and residuals).
 */
const MAX_TOPIC = SERIES_ID_MAX;

/**
 * Parses the levels setting ("80, 95") into sorted fractions (0.8, 0.95), without repeats.
 * @throws ForecastError BAD_CONFIG for a level outside 50-99.9 %.
 */
export function parseLevels(text: string): number[] {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const out: number[] = [];
  for (const p of parts) {
    const v = Number(p);
    if (!(v >= 50 && v <= 99.9)) {
      throw fail('BAD_CONFIG', 'intervals.badLevels', { got: describe(p) }, 'bad config');
    }
    if (!out.includes(v / 100)) out.push(v / 100);
  }
  return out.sort((a, b) => a - b);
}

/** The key of a level in msg.payload.intervals: the percentage as text ("80", "99.5"). */
export function levelKey(p: number): string {
  return String(Math.round(p * 1000) / 10);
}

/** One level's bounds per horizon step, real units. */
export interface IntervalBounds {
  lower: number[];
  upper: number[];
}

/** What lstm-predict attaches as msg.anomaly for a scored reading. */
export interface AnomalyScore {
  /** |actual - (expected + the calibrated centre)| / the calibrated 95 % half-width at that step (capped at 1e6). */
  score: number;
  anomalous: boolean;
  threshold: number;
  actual: number;
  /** The forecast for this reading that gave the smallest score. */
  expected: number;
  /** expected + the calibrated centre -+ the 95 % half-width. */
  lower: number;
  upper: number;
  /** 1-based horizon step of that forecast. */
  horizonStep: number;
  /** Time of the reading, epoch ms. */
  time: number;
  /** Forecasts that covered the reading. */
  forecasts: number;
  /** The stream: msg.topic, else the window's series, else "". */
  topic: string;
}

interface KeptForecast {
  times: number[];
  forecast: number[];
  /** [levels][H] half-widths served with the forecast. */
  half: number[][];
  /** [H] 95 % half-widths, the score's unit. */
  scale: number[];
  /** [H] the bands' centres as offsets from the forecast (0 for a calibration without centres). */
  center: number[];
}

interface Stream {
  lastTime: number;
  /** Current miscoverage rate per level (adaptive; the nominal 1 - level when not adapting). */
  alphas: number[];
  kept: KeptForecast[];
  /** [H] the stream's own residuals per step (recalibrating only; empty otherwise). */
  own: OwnResiduals[];
}

/** One step's residuals of a stream: in arrival order (to drop the oldest) and sorted (to serve quantiles). */
interface OwnResiduals {
  arrived: number[];
  sorted: number[];
}

export interface MonitorOptions {
  levels: number[];
  adaptRate: number;
  threshold: number;
  maxStreams: number;
  /** Recalibrate each stream's bands on its own residuals as readings arrive (see the module comment). */
  recalibrate?: boolean;
}

/**
 * The index of the forecast step at `time` (within `tolerance`), -1 when none: computed from the
 * step rather than searched, so scoring stays O(1) per kept forecast whatever the horizon.
 */
function stepOf(times: number[], time: number, step: number, tolerance: number): number {
  if (!times.length) return -1;
  const guess = step > 0 ? Math.round((time - times[0]) / step) : 0;
  for (const h of [guess, guess - 1, guess + 1]) {
    if (h >= 0 && h < times.length && Math.abs(times[h] - time) <= tolerance) return h;
  }
  return step > 0 ? -1 : times.findIndex((t) => t === time);
}

/** The adapted level never reaches 1: its half-width stays finite. */
const MAX_ADAPTED_LEVEL = 1 - 1e-6;

/**
 * The half-width at a level that adaptation may push beyond what the n residuals
 * cover (p > n / (n + 1)): there the largest residual is stretched by the normal
 * quantile ratio z((1 + p) / 2) / z((1 + n/(n+1)) / 2) (at most 1.7x for n = 200, 2.9x for n = 10), so ACI
 * can widen past the calibration when errors grow, and the band stays finite.
 * @param width the half-width at a level the residuals cover; n: how many residuals the band is made of.
 */
function adaptedHalfWidth(width: (p: number) => number, n: number, p: number): number {
  const top = n / (n + 1);
  if (p <= top) return width(p);
  const level = Math.min(p, MAX_ADAPTED_LEVEL);
  // the largest residual (or the backtest's at that level, when larger)
  return width(top) * (normalQuantile((1 + level) / 2) / normalQuantile((1 + top) / 2));
}

/** The key of a model's (artifact id) stream of a topic. */
function streamKey(artifactId: string, topic: string): string {
  return `${artifactId}\u0000${topic.slice(0, MAX_TOPIC)}`;
}

/** Streams of one lstm-predict node. See the module comment. */
export class StreamMonitor {
  private readonly streams = new Map<string, Stream>();

  constructor(private readonly opts: MonitorOptions) {}

  get size(): number {
    return this.streams.size;
  }

  /** The stream of a model (artifact id) and topic, most recently seen last; created when new. */
  private stream(artifactId: string, topic: string): Stream {
    const key = streamKey(artifactId, topic);
    let s = this.streams.get(key);
    if (s) this.streams.delete(key);
    else s = { lastTime: -Infinity, alphas: this.opts.levels.map((p) => 1 - p), kept: [], own: [] };
    this.streams.set(key, s);
    while (this.streams.size > this.opts.maxStreams) this.streams.delete(this.streams.keys().next().value as string);
    return s;
  }

  /**
   * Scores the window's readings newer than the stream's last one against the
   * forecasts kept for their times, adapts the levels, then serves the new
   * forecast's intervals and keeps it.
   * @param window [L][F] the window, real units; times [L] epoch ms.
   * @param forecast [H] the new forecast; forecastTimes [H] its times; step ms between steps.
   */
  next(
    artifactId: string,
    topic: string,
    cal: BaseCalibration,
    targetIndex: number,
    window: number[][],
    times: number[] | undefined,
    forecast: number[],
    forecastTimes: number[],
    step: number,
  ): { intervals: Record<string, IntervalBounds>; scores: AnomalyScore[] } {
    const s = this.stream(artifactId, topic);
    const scores: AnomalyScore[] = [];
    if (times && times.length === window.length) {
      const keep = recalibrationSize(cal);
      for (let j = 0; j < window.length; j++) {
        if (!(times[j] > s.lastTime)) continue;
        const scored = this.score(s, times[j], window[j][targetIndex], step, topic, keep);
        if (scored) scores.push(scored);
      }
      s.lastTime = Math.max(s.lastTime, times[times.length - 1]);
      s.kept = s.kept.filter((k) => k.times[k.times.length - 1] > s.lastTime);
    }
    const H = forecast.length;
    const half = s.alphas.map((a) => Array.from({ length: H }, (_, h) => this.halfWidth(s, cal, h, 1 - a)));
    const scale = Array.from({ length: H }, (_, h) => conformalHalfWidth(cal, h, ANOMALY_LEVEL));
    const center = Array.from({ length: H }, (_, h) => conformalCenter(cal, h));
    const intervals: Record<string, IntervalBounds> = {};
    this.opts.levels.forEach((p, i) => {
      intervals[levelKey(p)] = {
        lower: forecast.map((f, h) => f + center[h] - half[i][h]),
        upper: forecast.map((f, h) => f + center[h] + half[i][h]),
      };
    });
    if (forecastTimes.every(Number.isFinite) && forecastTimes[0] > s.lastTime) {
      s.kept.push({ times: forecastTimes, forecast, half, scale, center });
      if (s.kept.length > Math.min(H, MAX_FORECASTS_PER_STREAM)) s.kept.shift();
    }
    return { intervals, scores };
  }

  /**
   * The half-width served at step h and level p: the calibrated one (what evaluate's conformal column measures),
   * recalibrated on the stream's residuals, and stretched beyond what the residuals cover when adapting.
   */
  private halfWidth(s: Stream, cal: BaseCalibration, h: number, p: number): number {
    const own = this.opts.recalibrate ? s.own[h]?.sorted : undefined;
    const recalibrated = !!own?.length;
    const width = (q: number): number =>
      recalibrated ? recalibratedHalfWidth(cal, h, q, own!) : conformalHalfWidth(cal, h, q);
    if (!(this.opts.adaptRate > 0)) return width(p);
    return adaptedHalfWidth(width, recalibrated ? recalibrationSize(cal) : cal.n, p);
  }

  /** Keeps a residual of step h for recalibration, the newest `keep` at most (recalibrationSize: <= 200). */
  private keepResidual(s: Stream, h: number, residual: number, keep: number): void {
    if (!this.opts.recalibrate || !Number.isFinite(residual)) return;
    while (s.own.length <= h) s.own.push({ arrived: [], sorted: [] });
    const own = s.own[h];
    own.arrived.push(residual);
    own.sorted.splice(lowerBound(own.sorted, residual), 0, residual);
    while (own.arrived.length > keep) {
      const oldest = own.arrived.shift() as number;
      own.sorted.splice(lowerBound(own.sorted, oldest), 1);
    }
  }

  /** Scores one reading; null when no kept forecast covered its time. */
  private score(
    s: Stream,
    time: number,
    actual: number,
    step: number,
    topic: string,
    keep: number,
  ): AnomalyScore | null {
    const tolerance = step > 0 ? step / 2 : 0;
    let best: AnomalyScore | null = null;
    let covering = 0;
    for (const k of s.kept) {
      const h = stepOf(k.times, time, step, tolerance);
      if (h < 0) continue;
      covering++;
      const expected = k.forecast[h];
      const mid = expected + k.center[h];
      const dist = Math.abs(actual - mid);
      this.keepResidual(s, h, dist, keep);
      // A zero-width calibration (constant validation data): any miss scores the cap, never Infinity.
      const score = Math.min(MAX_SCORE, k.scale[h] > 0 ? dist / k.scale[h] : dist > 0 ? MAX_SCORE : 0);
      if (this.opts.adaptRate > 0) {
        s.alphas = s.alphas.map((a, i) => {
          const err = dist > k.half[i][h] ? 1 : 0;
          return Math.min(1, Math.max(0, a + this.opts.adaptRate * (1 - this.opts.levels[i] - err)));
        });
      }
      if (!best || score < best.score) {
        best = {
          score,
          anomalous: false,
          threshold: this.opts.threshold,
          actual,
          expected,
          lower: mid - k.scale[h],
          upper: mid + k.scale[h],
          horizonStep: h + 1,
          time,
          forecasts: 0,
          topic,
        };
      }
    }
    if (!best) return null;
    best.forecasts = covering;
    best.anomalous = best.score > this.opts.threshold;
    return best;
  }

  /** The current level (1 - alpha_t) per configured level of a stream, for tests and status. */
  levelsOf(artifactId: string, topic: string): number[] | undefined {
    return this.streams.get(streamKey(artifactId, topic))?.alphas.map((a) => 1 - a);
  }

  /** The residuals kept per step of a stream (recalibrating), for tests. */
  residualsOf(artifactId: string, topic: string): number[][] | undefined {
    return this.streams.get(streamKey(artifactId, topic))?.own.map((o) => [...o.arrived]);
  }

  clear(): void {
    this.streams.clear();
  }
}

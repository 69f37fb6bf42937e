/**
 * A live model for prediction, rebuilt from an artifact. Holds one serve model;
 * every prediction runs inside `tf.tidy`, so the tensor count stays flat however
 * many predictions are made. Call `dispose()` when the artifact changes.
 * The 'lstm' type forecasts through the fused wasm kernel (model/kernel.ts), and the
 * 'attention' and 'gca' types through their LSTM encoder (model/kernel-gca.ts for gca),
 * when the stored topology is one it computes; tfjs otherwise or with `LSTM_FORECAST_KERNEL=tfjs`.
 */
import type * as TF from '../base/tfjs';
import { tf } from '../base/backend';
import { describe } from '../base/errors';
import { fail } from '../base/messages';
import { firstNonFinite, isFiniteFloat32 } from '../base/arrays';
import {
  buildServeModel,
  decodeFloat32,
  disposeModels,
  loadServeModel,
  validateArtifact,
  type ModelArtifact,
} from '../model/artifact';
import {
  attentionPlan,
  kernelEnabled,
  kernelExports,
  kernelPlan,
  predictAttention,
  predictBatch,
  type AttentionPlan,
  type KernelPlan,
} from '../model/kernel';
import { gcaPlan, predictGca, type GcaPlan } from '../model/kernel-gca';
import { prepare, restoreForecast } from '../data/scaler';

/** What {@link Forecaster.predict} returns. */
export interface Prediction {
  /** [B][H] forecasts in real units of the target feature. */
  forecast: number[][];
  /** [B][N][L] temporal attention of each refinement iteration (attention model types only). */
  attention?: number[][][];
  /** [B][N][L][F] feature attention (GCA with featureAttention only). */
  featureAttention?: number[][][][];
}

function toNested(data: ArrayLike<number>, shape: number[]): unknown[] {
  const build = (offset: number, dim: number): unknown => {
    if (dim === shape.length) return data[offset];
    const size = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const out = new Array(shape[dim]);
    for (let i = 0; i < shape[dim]; i++) out[i] = build(offset + i * size, dim + 1);
    return out;
  };
  return build(0, 0) as unknown[];
}

export class Forecaster {
  readonly artifact: ModelArtifact;
  private model: TF.LayersModel | null;
  private plan: KernelPlan | null;
  private attentionPlan: AttentionPlan | null;
  private gcaPlan: GcaPlan | null;

  /** Use {@link Forecaster.fromArtifact} or {@link Forecaster.load}. */
  constructor(artifact: ModelArtifact, model: TF.LayersModel) {
    this.artifact = artifact;
    this.model = model;
    // Read from the artifact, not the live model: what the kernel computes is what was stored.
    const { type } = artifact.model;
    const stored = (): { shape: number[]; values: Float32Array }[] =>
      artifact.weights.map((w) => ({ shape: w.shape, values: decodeFloat32(w.data) }));
    this.plan = type === 'lstm' ? kernelPlan(artifact.topology, stored()) : null;
    this.attentionPlan = type === 'attention' ? attentionPlan(artifact.topology, stored()) : null;
    this.gcaPlan = type === 'gca' ? gcaPlan(artifact.topology, stored()) : null;
  }

  /** Which path {@link predict} takes now: 'kernel' (fused wasm) or 'tfjs'. */
  get path(): 'kernel' | 'tfjs' {
    return (this.plan || this.attentionPlan || this.gcaPlan) && kernelEnabled() && kernelExports() ? 'kernel' : 'tfjs';
  }

  /**
   * Synchronous: validates the artifact and rebuilds the serve model from the
   * model code (buildGraph) plus the stored weights.
   * @throws ForecastError BAD_ARTIFACT
   */
  static fromArtifact(a: unknown): Forecaster {
    const artifact = validateArtifact(a);
    return new Forecaster(artifact, buildServeModel(artifact));
  }

  /**
   * Rebuilds the serve model from the stored topology (falls back to the model
   * code when the topology cannot be deserialised).
   * @throws ForecastError BAD_ARTIFACT
   */
  static async load(a: unknown): Promise<Forecaster> {
    const artifact = validateArtifact(a);
    return new Forecaster(artifact, await loadServeModel(artifact));
  }

  /** Throws SPEC_MISMATCH unless `windows` is an array of L x F finite-number windows. */
  checkWindows(windows: unknown): asserts windows is number[][][] {
    const { window: L, features } = this.artifact.spec;
    const F = features.length;
    const shape = { window: L, featureCount: F, features: features.join(', ') };
    if (!Array.isArray(windows) || windows.length === 0) {
      throw fail('SPEC_MISMATCH', 'forecaster.notWindows', { ...shape, got: describe(windows) }, 'wrong shape');
    }
    if (Array.isArray(windows[0]) && typeof windows[0][0] === 'number') {
      throw fail(
        'SPEC_MISMATCH',
        'forecaster.singleWindow',
        { window: L, featureCount: F, rows: windows.length, cols: windows[0].length },
        'wrong shape',
      );
    }
    // One window needs no index in the text; of several, the text names the wrong one (an id per variant).
    const several = windows.length > 1;
    windows.forEach((w: unknown, index: number) => {
      if (!Array.isArray(w)) {
        const got = describe(w);
        throw several
          ? fail('SPEC_MISMATCH', 'forecaster.notWindowAt', { ...shape, got, index }, 'wrong shape')
          : fail('SPEC_MISMATCH', 'forecaster.notWindow', { ...shape, got }, 'wrong shape');
      }
      const badRow = w.findIndex((r) => !Array.isArray(r) || r.length !== F);
      if (w.length !== L || badRow >= 0) {
        const cols = badRow >= 0 ? (Array.isArray(w[badRow]) ? w[badRow].length : describe(w[badRow])) : F;
        throw several
          ? fail('SPEC_MISMATCH', 'forecaster.wrongShapeAt', { ...shape, rows: w.length, cols, index }, 'wrong shape')
          : fail('SPEC_MISMATCH', 'forecaster.wrongShape', { ...shape, rows: w.length, cols }, 'wrong shape');
      }
      for (let row = 0; row < L; row++) {
        for (let f = 0; f < F; f++) {
          const v = (w[row] as unknown[])[f];
          if (!isFiniteFloat32(v)) {
            const bad = { got: describe(v), row, feature: features[f] };
            throw several
              ? fail('BAD_INPUT', 'forecaster.notFiniteAt', { ...bad, index }, 'bad value')
              : fail('BAD_INPUT', 'forecaster.notFinite', bad, 'bad value');
          }
        }
      }
    });
  }

  /**
   * Forecasts each window.
   * @param windows [B][L][F] in real units, oldest row first.
   * @param ids [B] the series of each window (msg.topic), for a model that keeps a Holt-Winters state per series;
   *   a window without one, or of a series the model does not know, gets the model's top-level state.
   * @throws ForecastError SPEC_MISMATCH (shape), BAD_INPUT (non-finite values), NO_MODEL (disposed)
   */
  predict(windows: number[][][], ids?: readonly (string | undefined)[]): Prediction {
    if (!this.model) throw fail('NO_MODEL', 'forecaster.disposed', {}, 'no model');
    this.checkWindows(windows);
    return this.predictChecked(windows, ids);
  }

  /**
   * {@link predict} for windows that already passed {@link checkWindows} (the batcher checks each message's
   * windows on their own, so one bad window fails only its message, and then forecasts them together).
   * @throws ForecastError NO_MODEL (disposed), NOT_FINITE (the model's output)
   */
  predictChecked(windows: number[][][], ids?: readonly (string | undefined)[]): Prediction {
    if (!this.model) throw fail('NO_MODEL', 'forecaster.disposed', {}, 'no model');
    const t = tf();
    const { spec, scaler } = this.artifact;
    const p = prepare(windows, undefined, scaler, spec.targetIndex, spec.horizon, ids);
    const model = this.model;
    const list =
      this.path === 'kernel'
        ? this.kernelOutputs(p.x, p.count)
        : t.tidy(() => {
            const x = t.tensor3d(p.x, [p.count, p.window, p.features]);
            const out = model.predict(x) as TF.Tensor | TF.Tensor[];
            const list = Array.isArray(out) ? out : [out];
            return list.map((o) => ({ data: o.dataSync(), shape: o.shape.slice() }));
          });
    const result: Prediction = {
      forecast: restoreForecast(list[0].data, p.levels, scaler, spec.targetIndex, spec.horizon, p.refs),
    };
    this.checkFinite('forecast', result.forecast.flat(), spec.horizon);
    if (this.artifact.hasAttention && list[1]) {
      this.checkFinite('attention', list[1].data, list[1].data.length / p.count);
      result.attention = toNested(list[1].data, list[1].shape) as number[][][];
    }
    if (list[2]) {
      this.checkFinite('feature attention', list[2].data, list[2].data.length / p.count);
      result.featureAttention = toNested(list[2].data, list[2].shape) as number[][][][];
    }
    return result;
  }

  /** The serve model's outputs for the scaled windows x, through the kernel (the path is 'kernel'). */
  private kernelOutputs(x: Float32Array, count: number): { data: Float32Array; shape: number[] }[] {
    const { horizon, window } = this.artifact.spec;
    if (this.plan) return [{ data: predictBatch(this.plan, x, count), shape: [count, horizon] }];
    if (this.gcaPlan) {
      const { iterations: N, features: F } = this.gcaPlan;
      const { forecast, alpha, beta } = predictGca(this.gcaPlan, x, count);
      const list = [
        { data: forecast, shape: [count, horizon] },
        { data: alpha, shape: [count, N, window] },
      ];
      if (beta) list.push({ data: beta, shape: [count, N, window, F] });
      return list;
    }
    const { forecast, alpha } = predictAttention(this.attentionPlan as AttentionPlan, x, count);
    return [
      { data: forecast, shape: [count, horizon] },
      { data: alpha, shape: [count, 1, window] },
    ];
  }

  /**
   * Finite inputs can still overflow inside the model (float32, huge weights or
   * scales): a result that is not finite is an error, never a forecast.
   * @param perWindow values per window in `values` (to name the window and the position).
   */
  private checkFinite(
    what: 'forecast' | 'attention' | 'feature attention',
    values: ArrayLike<number>,
    perWindow: number,
  ): void {
    const i = firstNonFinite(values);
    if (i < 0) return;
    const window = Math.floor(i / perWindow);
    const at = { name: this.artifact.name, got: describe(values[i]), index: (i % perWindow) + 1, window };
    throw what === 'forecast'
      ? fail('NOT_FINITE', 'forecaster.forecastNotFinite', at, 'non-finite output')
      : what === 'attention'
        ? fail('NOT_FINITE', 'forecaster.attentionNotFinite', at, 'non-finite output')
        : fail('NOT_FINITE', 'forecaster.featureAttentionNotFinite', at, 'non-finite output');
  }

  /**
   * The tfjs serve model (null once disposed): for analyses that differentiate it
   * (analysis/attribution.ts); predict() may take the kernel path instead.
   */
  get layersModel(): TF.LayersModel | null {
    return this.model;
  }

  /** True once {@link dispose} ran. */
  get disposed(): boolean {
    return this.model === null;
  }

  /** Frees the model's weights. Further predict calls throw NO_MODEL. */
  dispose(): void {
    if (this.model) disposeModels(this.model);
    this.model = null;
    this.plan = null;
    this.attentionPlan = null;
    this.gcaPlan = null;
  }
}

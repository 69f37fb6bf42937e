/**
 * A live model for prediction, rebuilt from an artifact. Holds one serve model;
 * every prediction runs inside `tf.tidy`, so the tensor count stays flat however
 * many predictions are made. Call `dispose()` when the artifact changes.
 * The 'lstm' type forecasts through the fused wasm kernel (model/kernel.ts), and the
 * 'attention' type through its LSTM encoder, when the stored topology is one it
 * computes; tfjs otherwise or with `LSTM_FORECAST_KERNEL=tfjs`.
 */
import type * as TF from '../base/tfjs';
import { tf } from '../base/backend';
import { ForecastError, describe } from '../base/errors';
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
  }

  /** Which path {@link predict} takes now: 'kernel' (fused wasm) or 'tfjs'. */
  get path(): 'kernel' | 'tfjs' {
    return (this.plan || this.attentionPlan) && kernelEnabled() && kernelExports() ? 'kernel' : 'tfjs';
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
    const expected = `a window of ${L} rows x ${F} features (${features.join(', ')})`;
    if (!Array.isArray(windows) || windows.length === 0) {
      throw new ForecastError(
        'SPEC_MISMATCH',
        `expected an array of windows, each ${expected}, got ${describe(windows)}`,
        'wrong shape',
      );
    }
    if (Array.isArray(windows[0]) && typeof windows[0][0] === 'number') {
      throw new ForecastError(
        'SPEC_MISMATCH',
        `expected an array of windows ([B][${L}][${F}]), got a single ${windows.length} x ${windows[0].length} window; wrap it in an array`,
        'wrong shape',
      );
    }
    windows.forEach((w: unknown, i: number) => {
      const at = windows.length > 1 ? ` (window ${i})` : '';
      if (!Array.isArray(w))
        throw new ForecastError('SPEC_MISMATCH', `expected ${expected}, got ${describe(w)}${at}`, 'wrong shape');
      const badRow = w.findIndex((r) => !Array.isArray(r) || r.length !== F);
      if (w.length !== L || badRow >= 0) {
        const cols = badRow >= 0 ? (Array.isArray(w[badRow]) ? w[badRow].length : describe(w[badRow])) : F;
        throw new ForecastError('SPEC_MISMATCH', `expected ${expected}, got ${w.length} x ${cols}${at}`, 'wrong shape');
      }
      for (let j = 0; j < L; j++) {
        for (let f = 0; f < F; f++) {
          const v = (w[j] as unknown[])[f];
          if (!isFiniteFloat32(v)) {
            throw new ForecastError(
              'BAD_INPUT',
              `got ${describe(v)} at row ${j}, feature ${features[f]}${at}; expected finite numbers within float32 range (|x| <= 3.4e+38)`,
              'bad value',
            );
          }
        }
      }
    });
  }

  /**
   * Forecasts each window.
   * @param windows [B][L][F] in real units, oldest row first.
   * @throws ForecastError SPEC_MISMATCH (shape), BAD_INPUT (non-finite values), NO_MODEL (disposed)
   */
  predict(windows: number[][][]): Prediction {
    if (!this.model) throw new ForecastError('NO_MODEL', 'this forecaster was disposed', 'no model');
    this.checkWindows(windows);
    const t = tf();
    const { spec, scaler } = this.artifact;
    const p = prepare(windows, undefined, scaler, spec.targetIndex, spec.horizon);
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
    this.checkFinite('forecast', result.forecast.flat(), spec.horizon, 'step');
    if (this.artifact.hasAttention && list[1]) {
      this.checkFinite('attention', list[1].data, list[1].data.length / p.count, 'weight');
      result.attention = toNested(list[1].data, list[1].shape) as number[][][];
    }
    if (list[2]) {
      this.checkFinite('feature attention', list[2].data, list[2].data.length / p.count, 'weight');
      result.featureAttention = toNested(list[2].data, list[2].shape) as number[][][][];
    }
    return result;
  }

  /** The serve model's outputs for the scaled windows x, through the kernel (the path is 'kernel'). */
  private kernelOutputs(x: Float32Array, count: number): { data: Float32Array; shape: number[] }[] {
    const { horizon, window } = this.artifact.spec;
    if (this.plan) return [{ data: predictBatch(this.plan, x, count), shape: [count, horizon] }];
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
  private checkFinite(what: string, values: ArrayLike<number>, perWindow: number, unit: string): void {
    const i = firstNonFinite(values);
    if (i < 0) return;
    const window = Math.floor(i / perWindow);
    throw new ForecastError(
      'NOT_FINITE',
      `model '${this.artifact.name}' produced a non-finite ${what} (${describe(values[i])} at ${unit} ${(i % perWindow) + 1} of window ${window}); ` +
        'check the inputs are in the range the model was trained on, or retrain it',
      'non-finite output',
    );
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
  }
}

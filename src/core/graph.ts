/**
 * Builds the forecasting networks. Every model type yields two Keras-style models
 * sharing the same layers:
 * - `serve`: input [B, L, F] (scaled, window-relative) -> forecast [B, H]
 *   (scaled, window-relative), plus attention [B, N, L] as a second output for
 *   the attention types. This is the one that is saved in the artifact.
 * - `train`: the same input -> [B, N, H], the forecast of every refinement
 *   iteration (N = 1 except for GCA), so every iteration is supervised: fit it
 *   against the targets tiled N times.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from './backend';
import type { GraphSpec, ModelConfig, ModelType } from './model-types';
import { buildAttentionGraph } from './attention';
import { buildGcaGraph } from './gca';

export interface ForecastGraph {
  train: TF.LayersModel;
  serve: TF.LayersModel;
  /** Refinement iterations N (rows of the train output and of the attention). */
  iterations: number;
  /** True when `serve` has a second output: attention [B, N, L]. */
  hasAttention: boolean;
}

export type GraphBuilder = (spec: GraphSpec, cfg: ModelConfig) => ForecastGraph;

/** Seeded Glorot-uniform initialiser; `k` separates the layers of one model. */
export function glorot(cfg: ModelConfig, k: number): ReturnType<typeof TF.initializers.zeros> {
  return tf().initializers.glorotUniform({ seed: cfg.seed * 101 + k });
}

/** Seeded orthogonal initialiser for recurrent kernels. */
export function orthogonal(cfg: ModelConfig, k: number): ReturnType<typeof TF.initializers.zeros> {
  return tf().initializers.orthogonal({ seed: cfg.seed * 101 + k, gain: 1 });
}

/**
 * The linear autoregressive path: Dense(H) on the flattened window, added to the
 * recurrent head's forecast. Lets the network do at least what a ridge
 * autoregression does; zero-initialised so training starts from the recurrent head.
 */
export function withHighway(
  input: TF.SymbolicTensor,
  head: TF.SymbolicTensor,
  spec: GraphSpec,
  cfg: ModelConfig,
  name = 'highway',
): TF.SymbolicTensor {
  if (!cfg.highway) return head;
  const t = tf();
  const flat = t.layers.flatten({ name: `${name}_flatten` }).apply(input) as TF.SymbolicTensor;
  const linear = t.layers
    .dense({ units: spec.horizon, kernelInitializer: 'zeros', biasInitializer: 'zeros', name: `${name}_dense` })
    .apply(flat) as TF.SymbolicTensor;
  return t.layers.add({ name: `${name}_add` }).apply([head, linear]) as TF.SymbolicTensor;
}

/**
 * The window input and the first LSTM layer over it, every step's state returned
 * ([B, L, units]): the encoder the attention models attend over.
 */
export function windowEncoder(spec: GraphSpec, cfg: ModelConfig): { input: TF.SymbolicTensor; states: TF.SymbolicTensor } {
  const t = tf();
  const input = t.input({ shape: [spec.window, spec.features], name: 'window' });
  const states = t.layers
    .lstm({
      units: cfg.units,
      returnSequences: true,
      kernelInitializer: glorot(cfg, 0),
      recurrentInitializer: orthogonal(cfg, 1),
      name: 'lstm_1',
    })
    .apply(input) as TF.SymbolicTensor;
  return { input, states };
}

/** Plain LSTM: 1-2 LSTM layers, last hidden state -> Dense(H), plus the highway. */
export const buildLstmGraph: GraphBuilder = (spec, cfg) => {
  const t = tf();
  const input = t.input({ shape: [spec.window, spec.features], name: 'window' });
  let x: TF.SymbolicTensor = input;
  const layers = Math.max(1, Math.min(2, cfg.layers));
  for (let i = 0; i < layers; i++) {
    x = t.layers
      .lstm({
        units: cfg.units,
        returnSequences: i < layers - 1,
        kernelInitializer: glorot(cfg, 2 * i),
        recurrentInitializer: orthogonal(cfg, 2 * i + 1),
        name: `lstm_${i + 1}`,
      })
      .apply(x) as TF.SymbolicTensor;
  }
  const head = t.layers
    .dense({ units: spec.horizon, kernelInitializer: glorot(cfg, 10), name: 'head' })
    .apply(x) as TF.SymbolicTensor;
  const forecast = withHighway(input, head, spec, cfg);
  const perIteration = t.layers.reshape({ targetShape: [1, spec.horizon], name: 'iterations' }).apply(forecast) as TF.SymbolicTensor;
  return {
    train: t.model({ inputs: input, outputs: perIteration, name: 'lstm_train' }),
    serve: t.model({ inputs: input, outputs: forecast, name: 'lstm_forecaster' }),
    iterations: 1,
    hasAttention: false,
  };
};

const builders: Partial<Record<ModelType, GraphBuilder>> = { lstm: buildLstmGraph, attention: (s, c) => buildAttentionGraph(s, c), gca: (s, c) => buildGcaGraph(s, c) };

/** Registers the builder of a model type (the attention module registers its own). */
export function registerGraphBuilder(type: ModelType, builder: GraphBuilder): void {
  builders[type] = builder;
}

/** Builds the train and serve models of `cfg.type`. */
export function buildGraph(spec: GraphSpec, cfg: ModelConfig): ForecastGraph {
  const builder = builders[cfg.type];
  if (!builder) throw new Error(`unknown model type '${cfg.type}' (expected one of ${Object.keys(builders).join(', ')})`);
  return builder(spec, cfg);
}

/**
 * Building blocks every model type's graph uses: seeded initialisers, the
 * linear highway and the window encoder (input + first LSTM layer).
 */
import type * as TF from '../base/tfjs';
import { tf } from '../base/backend';
import type { ModelConfig } from '../settings/model';
import type { GraphSpec } from './types';

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
export function windowEncoder(
  spec: GraphSpec,
  cfg: ModelConfig,
): { input: TF.SymbolicTensor; states: TF.SymbolicTensor } {
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

/**
 * The direct multi-step head of the single-iteration model types: Dense(H) on
 * the recurrent summary plus the highway (`forecast` [B, H]), and the same
 * forecast as one refinement iteration (`perIteration` [B, 1, H]) for training.
 */
export function directHead(
  input: TF.SymbolicTensor,
  summary: TF.SymbolicTensor,
  spec: GraphSpec,
  cfg: ModelConfig,
): { forecast: TF.SymbolicTensor; perIteration: TF.SymbolicTensor } {
  const t = tf();
  const head = t.layers
    .dense({ units: spec.horizon, kernelInitializer: glorot(cfg, 10), name: 'head' })
    .apply(summary) as TF.SymbolicTensor;
  const forecast = withHighway(input, head, spec, cfg);
  const perIteration = t.layers
    .reshape({ targetShape: [1, spec.horizon], name: 'iterations' })
    .apply(forecast) as TF.SymbolicTensor;
  return { forecast, perIteration };
}

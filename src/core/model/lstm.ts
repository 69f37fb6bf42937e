/** Model type 'lstm': the plain recurrent forecaster. */
import type * as TF from '../base/tfjs';
import { tf } from '../base/backend';
import { directHead, glorot, orthogonal } from './blocks';
import type { GraphBuilder } from './types';

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
  const { forecast, perIteration } = directHead(input, x, spec, cfg);
  return {
    train: t.model({ inputs: input, outputs: perIteration, name: 'lstm_train' }),
    serve: t.model({ inputs: input, outputs: forecast, name: 'lstm_forecaster' }),
    iterations: 1,
    hasAttention: false,
  };
};

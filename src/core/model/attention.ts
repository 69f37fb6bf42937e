/**
 * Additive (Bahdanau-style) temporal attention over the states of an LSTM: the
 * simple attention baseline beside GCA (design: "The simpler baseline").
 *
 *   H = [h_1 .. h_L]  (LSTM, all states)     q = h_L
 *   e_t = v . tanh(W_h h_t + W_q q + b)       alpha = softmax_t(e)
 *   context = sum_t alpha_t h_t               forecast = Dense([context ; q]) + highway
 *
 * The layer {@link AdditiveAttention} holds W_h, W_q, b and v and returns
 * `[context ; q]` [B, 2d] and alpha [B, 1, L] (one row, so the inspector reads
 * both attention models the same way). Importing this module registers the
 * layer for `tf.models.modelFromJSON`.
 */
import type * as TF from '../base/tfjs';
import { tf } from '../base/backend';

import { fail } from '../base/messages';
import { directHead, windowEncoder } from './blocks';
import { checkInt, dot3, oneTensor, type BaseLayerArgs } from './layer-math';
import type { GraphBuilder } from './types';
import { MODEL_SETTINGS } from '../settings/model';

const t = tf();

type Tensor = TF.Tensor;
type Shape = Array<number | null>;
type LayerVariable = TF.LayerVariable;

/** Constructor arguments of {@link AdditiveAttention}. */
export interface AdditiveAttentionArgs extends BaseLayerArgs {
  /** Attention units da (width of the tanh scoring layer). Positive integer. */
  units: number;
  /** Seed of the Glorot initialisers (only used when the weights are created). Default 0. */
  seed?: number;
}

/**
 * Additive temporal attention. Input: the LSTM states H [B, L, d] (returnSequences).
 * Outputs: `[context ; q]` [B, 2d] and alpha [B, 1, L] (softmax over the L steps).
 * Weights (stable names under the layer's scope): `w_h` [d, da], `w_q` [d, da],
 * `b` [da], `v` [da, 1]. Parameters: 2 d da + 2 da.
 */
export class AdditiveAttention extends t.layers.Layer {
  static className = 'AdditiveAttention';
  readonly units: number;
  readonly seed: number;
  private wH!: LayerVariable;
  private wQ!: LayerVariable;
  private bias!: LayerVariable;
  private v!: LayerVariable;

  constructor(args: AdditiveAttentionArgs) {
    super(args);
    if (args == null || typeof args !== 'object') throw fail('BAD_CONFIG', 'attention.noArguments', {});
    this.units = checkInt('AdditiveAttention', 'units', args.units, MODEL_SETTINGS.attentionUnits);
    this.seed = args.seed === undefined ? 0 : checkInt('AdditiveAttention', 'seed', args.seed, MODEL_SETTINGS.seed);
    this.supportsMasking = false;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    if (shape.length !== 3 || shape[1] == null || shape[2] == null) {
      throw fail('BAD_CONFIG', 'attention.badInputShape', { shape: shape.join(', ') });
    }
    const d = shape[2] as number;
    const da = this.units;
    const init = (k: number) => t.initializers.glorotUniform({ seed: this.seed * 101 + k });
    this.wH = this.addWeight('w_h', [d, da], 'float32', init(1));
    this.wQ = this.addWeight('w_q', [d, da], 'float32', init(2));
    this.bias = this.addWeight('b', [da], 'float32', t.initializers.zeros());
    this.v = this.addWeight('v', [da, 1], 'float32', init(3));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [
      [shape[0], 2 * (shape[2] as number)],
      [shape[0], 1, shape[1]],
    ];
  }

  override call(inputs: Tensor | Tensor[]): Tensor[] {
    return t.tidy(() => {
      const h = oneTensor(inputs);
      const [b, l, d] = h.shape as number[];
      const q = t.reshape(t.slice(h, [0, l - 1, 0], [b, 1, d]), [b, d]);
      // W_h h_t for every step at once; W_q q + b broadcast over the steps.
      const query = t.expandDims(t.add(t.matMul(q as TF.Tensor2D, this.wQ.read()), this.bias.read()), 1);
      const hidden = t.tanh(t.add(dot3(h, this.wH.read()), query));
      const e = t.reshape(dot3(hidden, this.v.read()), [b, l]);
      const alpha = t.softmax(e as TF.Tensor2D, -1);
      const context = t.sum(t.mul(h, t.expandDims(alpha, 2)), 1);
      return [t.concat([context, q], -1), t.reshape(alpha, [b, 1, l])];
    });
  }

  override getConfig(): TF.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, seed: this.seed };
  }
}
t.serialization.registerClass(AdditiveAttention);

/**
 * Builder of model type 'attention': window [B, L, F] -> LSTM(units, all states)
 * -> {@link AdditiveAttention}(attentionUnits) -> Dense(H) on [context ; q], plus
 * the highway. serve: [forecast [B, H], attention [B, 1, L]]; train: [B, 1, H].
 */
export const buildAttentionGraph: GraphBuilder = (spec, cfg) => {
  const { input, states } = windowEncoder(spec, cfg);
  const [summary, alpha] = new AdditiveAttention({
    units: cfg.attentionUnits,
    seed: cfg.seed,
    name: 'attention',
  }).apply(states) as TF.SymbolicTensor[];
  const { forecast, perIteration } = directHead(input, summary, spec, cfg);
  return {
    train: t.model({ inputs: input, outputs: perIteration, name: 'attention_train' }),
    serve: t.model({ inputs: input, outputs: [forecast, alpha], name: 'attention_forecaster' }),
    iterations: 1,
    hasAttention: true,
  };
};

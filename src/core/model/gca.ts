/**
 * GCA-LSTM (Liu et al., CVPR 2017 / TIP 2018) adapted to forecasting; see
 * docs/gca-lstm-forecaster.md. Names follow the design: global context memory F,
 * attention alpha, attention gate g.
 *
 *   layer 1 (tf LSTM):   H1 = [h_1 .. h_L]
 *   F_0 = mean_t h_t ('mean', the paper) or h_L ('last')
 *   for n = 1..N:
 *     e_t     = w_e1 . tanh(W_e2 [h_t ; F_{n-1}] + b_e)        alpha^n = softmax_t(e)
 *     g_t     = alpha_t (gate 'softmax', the paper; default) or alpha_t / max_t alpha ('max'), sigmoid(e_t) ('sigmoid')
 *     layer 2 (LSTM over H1, fresh state every iteration, weights shared):
 *       C_t   = g_t * i_t * C~_t + (1 - g_t) * f_t * C_{t-1}    h_t = o_t * tanh(C_t)
 *     F_n     = ReLU(W_F^n [o_n ; F_{n-1}] + b_F^n)             (o_n = layer 2's last h)
 *   forecast_n = Dense(F_n) (one shared head) + highway(window)
 *
 * Deviations from the design doc, and why:
 * - Default gate 'softmax' (the paper's), not 'max'. With g_t = alpha_t / max alpha,
 *   a near-uniform alpha (every model at the start of training) gives g_t ~ 1 at
 *   every step, so (1 - g_t) ~ 0 and layer 2 overwrites its cell at each step: it
 *   has no memory, only the last steps reach F_n, and the loss gradient tells the
 *   score nothing about where the useful step is. Trained on a lag task (target =
 *   the value k steps back) the 'max' model solved it through layer 1 and F_0 while
 *   its attention stayed flat, lowest near the lag. With g_t = alpha_t the update
 *   is "write where attended, keep elsewhere": the last cell is an attention
 *   weighted sum of the writes, C_L = sum_t alpha_t i_t C~_t prod_{s>t} (1 - alpha_s) f_s,
 *   so, as in additive attention, the gradient on alpha_t measures how useful step
 *   t is and the attention learns to peak at the lag. The doc's worry that a softmax
 *   writes only ~1/L per step does not shrink the result: what is written is kept,
 *   and the weights of the sum add up to 1 - prod_t (1 - alpha_t) ~ 0.63 for a flat
 *   alpha when f ~ 1. 'max' and 'sigmoid' stay available (and saved models keep
 *   the gate they were trained with: it is in the layer config).
 * - Layer 2's forget-gate bias starts at 3 (f ~ 0.95), not 1 (f ~ 0.73): the
 *   attention gate already decides what is kept, and with f ~ 0.73 a write made
 *   k steps before the end is scaled by 0.73^k before the head sees it (0.15 at
 *   k = 6), which hides the lag from the gradient and lets layer 1 win the task.
 *   Only the initial value changes; it is learned as before.
 *
 * Feature ("spatial") attention (featureAttention): before layer 2 reads step t,
 * the step's input features x_t are re-weighted by a softmax over the F features
 * conditioned on the memory (the input attention of DA-RNN, keyed by F_{n-1}):
 *   s_t = W_b^T tanh(W_bx x_t + W_bF F_{n-1} + b_b)   beta^n_t = softmax_f(s_t)
 *   x~_t = F * beta^n_t (.) x_t       (uniform beta leaves x_t unchanged)
 * and layer 2's input becomes [h_t ; x~_t]. The map beta [B, N, L, F] is a third
 * output of the serve model.
 *
 * Importing this module registers {@link GcaAttention} for `tf.models.modelFromJSON`.
 */
import type * as TF from '../base/tfjs';
import { tf } from '../base/backend';
import { fail } from '../base/messages';
import { glorot, windowEncoder, withHighway } from './blocks';
import { checkInt, dot3, timeSteps, type BaseLayerArgs } from './layer-math';
import type { GraphBuilder } from './types';
import { MODEL_SETTINGS } from '../settings/model';

const t = tf();

type Tensor = TF.Tensor;
type Shape = Array<number | null>;

/** How the attention alpha becomes the gate g_t of layer 2's cell update. */
export type GcaGate = 'max' | 'softmax' | 'sigmoid';
/** How the global context memory F_0 starts. */
export type GcaInitialMemory = 'mean' | 'last';

const GATES: GcaGate[] = ['max', 'softmax', 'sigmoid'];
/** Initial forget-gate bias of layer 2 (see the module comment). */
const FORGET_BIAS = 3;
const MEMORIES: GcaInitialMemory[] = ['mean', 'last'];

/** Constructor arguments of {@link GcaAttention}. */
export interface GcaAttentionArgs extends BaseLayerArgs {
  /** Units of layer 2 (the gated LSTM). Positive integer. */
  units: number;
  /** Attention units da (score and feature-attention width). Positive integer. */
  attentionUnits: number;
  /** Refinement iterations N, 1-3. Default 2. */
  iterations?: number;
  /** Gate from attention: 'softmax' (default, the paper: g = alpha), 'max' (alpha / max alpha), 'sigmoid' (sigmoid(e)). */
  gate?: GcaGate;
  /** F_0: 'mean' of layer 1's states (default, the paper) or the 'last' state. */
  initialMemory?: GcaInitialMemory;
  /** Re-weight each step's input features by a softmax over features; then the layer takes [H1, X]. Default false. */
  featureAttention?: boolean;
  /** Seed of the initialisers (only used when the weights are created). Default 0. */
  seed?: number;
}

/**
 * The GCA attention block: score, gated layer 2 and memory refinement, as one layer.
 *
 * Inputs: H1 [B, L, d1] (layer 1's states), or [H1, X] with X [B, L, F] when
 * `featureAttention`. Outputs, in order:
 * 0. F_N [B, d1], the final global context memory;
 * 1. F_1..F_N [B, N, d1];
 * 2. alpha [B, N, L] (each row sums to 1);
 * 3. only with `featureAttention`: beta [B, N, L, F] (sums to 1 over F).
 *
 * Weights (created in this order; names under the layer scope): `score_h` [d1, da],
 * `score_memory` [d1, da], `score_bias` [da], `score_v` [da, 1]; `kernel` [d1, 4u],
 * `recurrent_kernel` [u, 4u], `bias` [4u] (gates i, f, C~, o; forget bias 1);
 * `refine_n/kernel` [u + d1, d1], `refine_n/bias` [d1] for n = 1..N; with feature
 * attention also `feature_x` [F, da], `feature_memory` [d1, da], `feature_bias` [da],
 * `feature_v` [da, F], `kernel_features` [F, 4u].
 */
export class GcaAttention extends t.layers.Layer {
  static className = 'GcaAttention';
  readonly units: number;
  readonly attentionUnits: number;
  readonly iterations: number;
  readonly gate: GcaGate;
  readonly initialMemory: GcaInitialMemory;
  readonly featureAttention: boolean;
  readonly seed: number;
  private w: Record<string, TF.LayerVariable> = {};
  private refine: Array<{ kernel: TF.LayerVariable; bias: TF.LayerVariable }> = [];

  constructor(args: GcaAttentionArgs) {
    super(args);
    if (args == null || typeof args !== 'object') throw fail('BAD_CONFIG', 'gca.noArguments', {});
    this.units = checkInt('GcaAttention', 'units', args.units, MODEL_SETTINGS.units);
    this.attentionUnits = checkInt(
      'GcaAttention',
      'attentionUnits',
      args.attentionUnits,
      MODEL_SETTINGS.attentionUnits,
    );
    this.iterations = checkInt(
      'GcaAttention',
      'iterations',
      args.iterations ?? MODEL_SETTINGS.iterations.default,
      MODEL_SETTINGS.iterations,
    );
    const gate = args.gate ?? 'softmax';
    if (!GATES.includes(gate))
      throw fail('BAD_CONFIG', 'gca.badGate', { gates: GATES.join(', '), got: JSON.stringify(gate) });
    this.gate = gate;
    const memory = args.initialMemory ?? 'mean';
    if (!MEMORIES.includes(memory)) {
      throw fail('BAD_CONFIG', 'gca.badInitialMemory', {
        memories: MEMORIES.join(', '),
        got: JSON.stringify(memory),
      });
    }
    this.initialMemory = memory;
    if (args.featureAttention !== undefined && typeof args.featureAttention !== 'boolean') {
      throw fail('BAD_CONFIG', 'gca.badFeatureAttention', { got: JSON.stringify(args.featureAttention) });
    }
    this.featureAttention = args.featureAttention ?? false;
    this.seed = args.seed === undefined ? 0 : checkInt('GcaAttention', 'seed', args.seed, MODEL_SETTINGS.seed);
  }

  private shapes(inputShape: Shape | Shape[]): { h: Shape; x?: Shape } {
    const list = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const expected = this.featureAttention ? 2 : 1;
    if (list.length !== expected) {
      throw expected === 2
        ? fail('BAD_CONFIG', 'gca.needsTwoInputs', { got: list.length })
        : fail('BAD_CONFIG', 'gca.needsOneInput', { got: list.length });
    }
    const [h, x] = list;
    if (h.length !== 3 || h[1] == null || h[2] == null) {
      throw fail('BAD_CONFIG', 'gca.badStatesShape', { h: h.join(', ') });
    }
    if (x && (x.length !== 3 || x[1] !== h[1] || x[2] == null)) {
      throw fail('BAD_CONFIG', 'gca.badWindowShape', { h: h[1], x: x.join(', ') });
    }
    return { h, x };
  }

  override build(inputShape: Shape | Shape[]): void {
    const { h, x } = this.shapes(inputShape);
    const d1 = h[2] as number;
    const u = this.units;
    const da = this.attentionUnits;
    const glorotInit = (k: number) => t.initializers.glorotUniform({ seed: this.seed * 101 + 20 + k });
    const zeros = t.initializers.zeros();
    const add = (name: string, shape: number[], init: ReturnType<typeof t.initializers.zeros>) => {
      this.w[name] = this.addWeight(name, shape, 'float32', init);
    };
    add('score_h', [d1, da], glorotInit(0));
    add('score_memory', [d1, da], glorotInit(1));
    add('score_bias', [da], zeros);
    add('score_v', [da, 1], glorotInit(2));
    add('kernel', [d1, 4 * u], glorotInit(3));
    add('recurrent_kernel', [u, 4 * u], t.initializers.orthogonal({ seed: this.seed * 101 + 24, gain: 1 }));
    add('bias', [4 * u], zeros);
    // Forget bias 3 (f ~ 0.95): keep the cell state; the attention gate decides what is replaced (module comment).
    t.tidy(() => {
      this.w.bias.write(t.concat([t.zeros([u]), t.fill([u], FORGET_BIAS), t.zeros([2 * u])]));
    });
    this.refine = [];
    for (let n = 1; n <= this.iterations; n++) {
      this.refine.push({
        kernel: this.addWeight(`refine_${n}/kernel`, [u + d1, d1], 'float32', glorotInit(4 + n)),
        bias: this.addWeight(`refine_${n}/bias`, [d1], 'float32', zeros),
      });
    }
    if (this.featureAttention) {
      const f = (x as Shape)[2] as number;
      add('feature_x', [f, da], glorotInit(10));
      add('feature_memory', [d1, da], glorotInit(11));
      add('feature_bias', [da], zeros);
      add('feature_v', [da, f], glorotInit(12));
      add('kernel_features', [f, 4 * u], glorotInit(13));
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const { h, x } = this.shapes(inputShape);
    const [b, l, d1] = h;
    const n = this.iterations;
    const out: Shape[] = [
      [b, d1],
      [b, n, d1],
      [b, n, l],
    ];
    if (this.featureAttention) out.push([b, n, l, (x as Shape)[2]]);
    return out;
  }

  override call(inputs: Tensor | Tensor[]): Tensor[] {
    return t.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const h1 = list[0];
      const x = this.featureAttention ? list[1] : undefined;
      if (this.featureAttention && !x) throw fail('BAD_INPUT', 'gca.featureAttentionInputs', {});
      const [b, l, d1] = h1.shape as number[];
      const u = this.units;
      const r = (name: string) => this.w[name].read();

      // Everything that does not depend on the iteration is computed once, for all steps.
      const scoreH = dot3(h1, r('score_h')); // [B, L, da]
      const inputSteps = timeSteps(t.add(dot3(h1, r('kernel')), r('bias'))); // L x [B, 4u]
      const featureX = x ? dot3(x, r('feature_x')) : undefined; // [B, L, da]
      const recurrent = r('recurrent_kernel') as TF.Tensor2D;
      const kernelFeatures = this.featureAttention ? (r('kernel_features') as TF.Tensor2D) : undefined;
      let memory: Tensor =
        this.initialMemory === 'mean' ? t.mean(h1, 1) : t.reshape(t.slice(h1, [0, l - 1, 0], [b, 1, d1]), [b, d1]);

      const memories: Tensor[] = [];
      const alphas: Tensor[] = [];
      const betas: Tensor[] = [];
      for (let n = 0; n < this.iterations; n++) {
        // Temporal attention: e_t = w_e1 . tanh(W_e2 [h_t ; F_{n-1}] + b).
        const keyed = t.expandDims(
          t.add(t.matMul(memory as TF.Tensor2D, r('score_memory') as TF.Tensor2D), r('score_bias')),
          1,
        );
        const e = t.reshape(dot3(t.tanh(t.add(scoreH, keyed)), r('score_v')), [b, l]);
        const alpha = t.softmax(e as TF.Tensor2D, -1);
        alphas.push(alpha);
        let gate: Tensor;
        if (this.gate === 'max') gate = t.div(alpha, t.max(alpha, -1, true));
        else if (this.gate === 'softmax') gate = alpha;
        else gate = t.sigmoid(e);
        const write = timeSteps(t.reshape(gate, [b, l, 1])); // L x [B, 1]: g_t
        const keep = timeSteps(t.reshape(t.sub(1, gate), [b, l, 1])); // L x [B, 1]: 1 - g_t

        // Feature attention: x~_t = F * softmax_f(W_b^T tanh(W_bx x_t + W_bF F_{n-1} + b_b)) (.) x_t.
        let featureSteps: Tensor[] | undefined;
        if (x && featureX) {
          const f = x.shape[2] as number;
          const fKeyed = t.expandDims(
            t.add(t.matMul(memory as TF.Tensor2D, r('feature_memory') as TF.Tensor2D), r('feature_bias')),
            1,
          );
          const beta = t.softmax(dot3(t.tanh(t.add(featureX, fKeyed)), r('feature_v')), -1); // [B, L, F]
          betas.push(beta);
          featureSteps = timeSteps(t.mul(t.mul(x, beta), f));
        }

        // Layer 2: the gated recurrence, unrolled over the fixed window, fresh state.
        let hState: Tensor = t.zeros([b, u]);
        let cState: Tensor = t.zeros([b, u]);
        for (let s = 0; s < l; s++) {
          let z = t.add(inputSteps[s], t.matMul(hState as TF.Tensor2D, recurrent));
          if (featureSteps && kernelFeatures) z = t.add(z, t.matMul(featureSteps[s] as TF.Tensor2D, kernelFeatures));
          const [zi, zf, zc, zo] = t.split(z, 4, 1);
          // C_t = g_t i_t C~_t + (1 - g_t) f_t C_{t-1};  h_t = o_t tanh(C_t)
          cState = t.add(
            t.mul(write[s], t.mul(t.sigmoid(zi), t.tanh(zc))),
            t.mul(keep[s], t.mul(t.sigmoid(zf), cState)),
          );
          hState = t.mul(t.sigmoid(zo), t.tanh(cState));
        }

        // F_n = ReLU(W_F^n [o_n ; F_{n-1}] + b_F^n)
        const { kernel, bias } = this.refine[n];
        memory = t.relu(
          t.add(t.matMul(t.concat([hState, memory], -1) as TF.Tensor2D, kernel.read() as TF.Tensor2D), bias.read()),
        );
        memories.push(memory);
      }
      const out = [memory, t.stack(memories, 1), t.stack(alphas, 1)];
      if (this.featureAttention) out.push(t.stack(betas, 1));
      return out;
    });
  }

  override getConfig(): TF.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      attentionUnits: this.attentionUnits,
      iterations: this.iterations,
      gate: this.gate,
      initialMemory: this.initialMemory,
      featureAttention: this.featureAttention,
      seed: this.seed,
    };
  }
}
t.serialization.registerClass(GcaAttention);

/**
 * Builds the GCA train and serve models (model type 'gca'), with the layer's
 * default gate ('softmax') and initial memory ('mean').
 * - serve: window [B, L, F] -> [forecast of iteration N [B, H], attention [B, N, L]]
 *   and, with `cfg.featureAttention`, a third output: the feature map [B, N, L, F].
 * - train: window -> [B, N, H], every iteration's forecast (fit against Y tiled N times).
 */
export const buildGcaGraph: GraphBuilder = (spec, cfg) => {
  const { input, states } = windowEncoder(spec, cfg);
  const gca = new GcaAttention({
    units: cfg.units,
    attentionUnits: cfg.attentionUnits,
    iterations: cfg.iterations,
    featureAttention: cfg.featureAttention,
    seed: cfg.seed,
    name: 'gca',
  });
  const outs = gca.apply(cfg.featureAttention ? [states, input] : states) as TF.SymbolicTensor[];
  const [last, all, alpha] = outs;
  const head = t.layers.dense({ units: spec.horizon, kernelInitializer: glorot(cfg, 10), name: 'head' });
  const forecast = withHighway(input, head.apply(last) as TF.SymbolicTensor, spec, cfg);
  let perIteration = head.apply(all) as TF.SymbolicTensor; // [B, N, H]: the same head on every F_n
  if (cfg.highway) {
    // Reuse the highway's output (one set of weights) for every iteration.
    const linear = forecast.inputs?.[1];
    if (!linear) throw fail('BAD_CONFIG', 'gca.noLinearTerm', {});
    const tiled = t.layers
      .repeatVector({ n: cfg.iterations, name: 'highway_iterations' })
      .apply(linear) as TF.SymbolicTensor;
    perIteration = t.layers.add({ name: 'iterations' }).apply([perIteration, tiled]) as TF.SymbolicTensor;
  }
  const serveOutputs = cfg.featureAttention ? [forecast, alpha, outs[3]] : [forecast, alpha];
  return {
    train: t.model({ inputs: input, outputs: perIteration, name: 'gca_train' }),
    serve: t.model({ inputs: input, outputs: serveOutputs, name: 'gca_forecaster' }),
    iterations: cfg.iterations,
    hasAttention: true,
  };
};

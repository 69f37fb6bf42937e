/**
 * The fused WebAssembly SIMD kernel of the 'lstm' model type (src/kernel/lstm.ts,
 * compiled to nodes/kernel/lstm.wasm): the whole forward pass of a batch of
 * windows in one call instead of a chain of small tfjs ops per time step, and
 * ({@link KernelTrainer}) a whole training step (forward, backward through time,
 * Adam) in one call per batch.
 *
 * {@link kernelPlan} reads the stored topology and accepts only the graph the
 * 'lstm' type builds (1-2 LSTM layers -> Dense head, optional highway), with the
 * activations it names; anything else returns null and the caller uses tfjs,
 * which stays the reference. `LSTM_FORECAST_KERNEL=tfjs` forces tfjs.
 * {@link attentionPlan} does the same for the 'attention' type: its forecasts
 * ({@link predictAttention}) run wholly in the kernel (encoder, W_h h_t, then the additive
 * attention and the head); in training ({@link AttentionTrainer}) the kernel computes the encoder
 * and W_h h_t forward and backward and Adam over every weight, the attention's softmax, context
 * and head follow here. The 'gca' type's forecast plan is in kernel-gca.ts, its
 * trainer in kernel-gca-train.ts.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Activation codes shared with src/kernel/lstm.ts. */
export const ACTIVATIONS: Readonly<Record<string, number>> = {
  linear: 0,
  tanh: 1,
  sigmoid: 2,
  hard_sigmoid: 3,
  hardSigmoid: 3,
  relu: 4,
};

/** The kernel's memory never grows past this (WebAssembly memory cannot shrink). */
export const KERNEL_MAX_BYTES = 64 * 1024 * 1024;
/** Windows per kernel call; a larger batch is forecast in chunks of this many. */
export const KERNEL_CHUNK = 256;
export const CFG_INTS = 23;
export const PAGE = 65536;

/** What the kernel computes, from the stored topology and weights. */
export interface KernelPlan {
  window: number;
  features: number;
  horizon: number;
  /** Units of each LSTM layer (1 or 2 layers). */
  units: number[];
  highway: boolean;
  recurrentActivation: number;
  activation: number;
  /** kernel, recurrent kernel, bias of each layer; head kernel, bias; highway kernel, bias. */
  arrays: Float32Array[];
}

/** One stored weight: shape and values (artifact order = the serve model's weights order). */
export interface PlanWeight {
  shape: number[];
  values: Float32Array;
}

export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  forward(cfg: number): void;
  encode(cfg: number): void;
  project(cfg: number): void;
  trainStep(cfg: number): void;
  gated(cfg: number): void;
  encodeBackward(cfg: number): void;
  adamStep(cfg: number): void;
  projectBackward(cfg: number): void;
  attendHead(cfg: number): void;
  encodeStates(cfg: number): void;
}

/** True unless `LSTM_FORECAST_KERNEL=tfjs` forces the tfjs path. */
export function kernelEnabled(): boolean {
  return (process.env.LSTM_FORECAST_KERNEL ?? '').toLowerCase() !== 'tfjs';
}

let loaded: KernelExports | null = null;
let loadError: string | null = null;

/** The kernel instance, compiled once per thread; null (and why in {@link kernelLoadError}) if it cannot load. */
export function kernelExports(): KernelExports | null {
  if (loaded || loadError) return loaded;
  try {
    const bytes = fs.readFileSync(path.join(__dirname, '..', '..', 'kernel', 'lstm.wasm'));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      env: {
        abort: () => {
          throw new Error('lstm kernel aborted');
        },
      },
    });
    loaded = instance.exports as unknown as KernelExports;
  } catch (e) {
    loadError = e instanceof Error ? e.message : String(e);
  }
  return loaded;
}

/** Why the kernel could not load (null when it loaded or was not tried). */
export function kernelLoadError(): string | null {
  return loadError;
}

export type Json = Record<string, unknown>;
export const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The name of a layer's single inbound layer, or null. */
function inboundOf(layer: Json): string | null {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length !== 1 || !Array.isArray(nodes[0]) || nodes[0].length !== 1) return null;
  const first = nodes[0][0];
  return Array.isArray(first) && typeof first[0] === 'string' ? first[0] : null;
}

function inboundsOf(layer: Json): string[] {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length !== 1 || !Array.isArray(nodes[0])) return [];
  return (nodes[0] as unknown[]).map((n) => (Array.isArray(n) && typeof n[0] === 'string' ? n[0] : ''));
}

/**
 * The model's output layer `out` as head and highway: `Add(head, Dense(Flatten(input)))` gives both (their layers
 * and the Add noted in `used`), any other layer is the head alone; null for an Add of another shape.
 */
export function splitHighway(
  out: Json | undefined,
  byName: Map<string, Json>,
  inputName: string,
  used: Set<string>,
): { head: Json | undefined; highwayDense?: Json } | null {
  if (out?.class_name !== 'Add') return { head: out };
  const ins = inboundsOf(out);
  if (ins.length !== 2) return null;
  const a = byName.get(ins[0]);
  const b = byName.get(ins[1]);
  if (!a || !b) return null;
  const [h, d] = byName.get(inboundOf(b) ?? '')?.class_name === 'Flatten' ? [a, b] : [b, a];
  const flat = byName.get(inboundOf(d) ?? '');
  if (flat?.class_name !== 'Flatten' || inboundOf(flat) !== inputName) return null;
  for (const l of [out, h, d, flat]) used.add(String(l.name));
  return { head: h, highwayDense: d };
}

const sameShape = (a: number[], b: number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** A serve topology's layers (by name, names unique) and its [T, F] input layer; null when it is not one. */
export function graphOf(topology: unknown): {
  cfg: Json;
  layers: Json[];
  byName: Map<string, Json>;
  input: Json;
  T: number;
  F: number;
} | null {
  if (!isObj(topology) || !isObj(topology.config)) return null;
  const cfg = topology.config;
  const layers = Array.isArray(cfg.layers) ? (cfg.layers as unknown[]).filter(isObj) : [];
  if (!Array.isArray(cfg.layers) || layers.length !== cfg.layers.length) return null;
  const byName = new Map(layers.map((l) => [String(l.name), l]));
  if (byName.size !== layers.length) return null;
  const input = layers[0];
  if (input?.class_name !== 'InputLayer' || !isObj(input.config)) return null;
  const shape = input.config.batch_input_shape;
  if (!Array.isArray(shape) || shape.length !== 3) return null;
  const [T, F] = [shape[1], shape[2]];
  if (!Number.isInteger(T) || !Number.isInteger(F) || T < 1 || F < 1) return null;
  return { cfg, layers, byName, input, T: T as number, F: F as number };
}

/**
 * The plan for the kernel, or null when the topology is not exactly the 'lstm'
 * type's graph with activations and options the kernel computes.
 * @param weights the artifact's weights, decoded, in order.
 */
export function kernelPlan(topology: unknown, weights: PlanWeight[]): KernelPlan | null {
  const graph = graphOf(topology);
  if (!graph) return null;
  const { cfg, layers, byName, input, T, F } = graph;
  const outputs = cfg.output_layers;
  if (!Array.isArray(outputs) || outputs.length !== 1 || !Array.isArray(outputs[0])) return null;
  const outName = String(outputs[0][0]);

  // Walk back from the output: [Add(head, highway_dense(Flatten(input)))] or head; head <- LSTM chain <- input.
  const used = new Set<string>([String(input.name), outName]);
  const split = splitHighway(byName.get(outName), byName, String(input.name), used);
  if (!split) return null;
  const { head, highwayDense } = split;
  if (!head || head.class_name !== 'Dense') return null;
  used.add(String(head.name));
  const chain: Json[] = [];
  let cur = byName.get(inboundOf(head) ?? '');
  while (cur && cur.class_name === 'LSTM' && chain.length < 3) {
    chain.unshift(cur);
    used.add(String(cur.name));
    const prev = inboundOf(cur);
    cur = prev === input.name ? undefined : byName.get(prev ?? '');
    if (prev === input.name) break;
  }
  if (chain.length < 1 || chain.length > 2 || inboundOf(chain[0]) !== input.name) return null;
  if (used.size !== layers.length) return null;

  const denseOk = (l: Json): boolean =>
    isObj(l.config) && (l.config.activation ?? 'linear') === 'linear' && l.config.use_bias !== false;
  if (!denseOk(head) || (highwayDense && !denseOk(highwayDense))) return null;
  let act = -1;
  let rec = -1;
  for (const [i, l] of chain.entries()) {
    const c = l.config;
    if (!isObj(c) || c.use_bias === false || c.return_state || c.go_backwards || c.stateful) return null;
    if (Boolean(c.return_sequences) !== i < chain.length - 1) return null;
    const a = ACTIVATIONS[String(c.activation ?? 'tanh')];
    const r = ACTIVATIONS[String(c.recurrent_activation ?? 'hard_sigmoid')];
    if (a === undefined || r === undefined || (act >= 0 && (a !== act || r !== rec))) return null;
    act = a;
    rec = r;
  }

  // Weights follow the topology's layer order (the serve model's weights order).
  const expected: number[][] = [];
  const units: number[] = [];
  let H = 0;
  const order: number[] = [];
  for (const l of layers) {
    if (l.class_name === 'LSTM') {
      const k = chain.indexOf(l);
      const u = Number((l.config as Json).units);
      const inDim = k === 0 ? F : Number((chain[0].config as Json).units);
      expected.push([inDim, 4 * u], [u, 4 * u], [4 * u]);
      units[k] = u;
      order.push(k * 3, k * 3 + 1, k * 3 + 2);
    } else if (l.class_name === 'Dense') {
      const h = Number((l.config as Json).units);
      H = h;
      const isHead = l === head;
      const inDim = isHead ? Number((chain[chain.length - 1].config as Json).units) : T * F;
      expected.push([inDim, h], [h]);
      const at = chain.length * 3 + (isHead ? 0 : 2);
      order.push(at, at + 1);
    }
  }
  if (units.some((u) => !(u >= 1 && u <= 4096))) return null;
  const arrays = orderedWeights(weights, expected, order);
  if (!arrays) return null;
  return {
    window: T,
    features: F,
    horizon: H,
    units,
    highway: !!highwayDense,
    recurrentActivation: rec,
    activation: act,
    arrays,
  };
}

/**
 * The stored weights in the kernel's order (`order[i]`: the kernel's slot of stored weight i), each checked
 * against the shape the topology implies; null when the count or a shape differs.
 */
export function orderedWeights(weights: PlanWeight[], expected: number[][], order: number[]): Float32Array[] | null {
  if (weights.length !== expected.length) return null;
  const arrays: Float32Array[] = new Array(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!sameShape(weights[i].shape, expected[i])) return null;
    arrays[order[i]] = weights[i].values;
  }
  return arrays;
}

/** Bytes rounded up to 16 (SIMD loads stay aligned). */
export const align = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * A layer's [K; R] (K [inDim, n], R [U, n], row-major) as the kernel's forecast path reads it (gemm4P in
 * src/kernel/lstm.ts): blocks of 8 columns (the last one 4 wide when n is not a multiple of 8), each
 * block's inDim + U rows contiguous, so a block streams through memory in order.
 */
export function packGates(K: Float32Array, R: Float32Array, n: number, into: Float32Array): void {
  const inDim = K.length / n;
  const rows = inDim + R.length / n;
  let at = 0;
  for (let j = 0; j < n; j += 8) {
    const wd = Math.min(8, n - j);
    for (let r = 0; r < rows; r++) {
      const src = r < inDim ? K : R;
      const from = (r < inDim ? r : r - inDim) * n + j;
      for (let c = 0; c < wd; c++) into[at++] = src[from + c];
    }
  }
}

/** The plan whose weights are in the kernel's memory now (a forecast of another plan writes its own). */
let resident: unknown = null;

/**
 * Marks `plan`'s weights as the ones in the kernel's memory; true when they already were (nothing to write).
 * For the plans of other modules (kernel-gca.ts), which share this instance's memory.
 */
export function makeResident(plan: unknown): boolean {
  if (resident === plan) return true;
  resident = plan;
  return false;
}

/**
 * Forecasts `count` windows (x: [count, window, features] scaled, window-relative)
 * with the kernel: [count, horizon] float32, the same values the tfjs serve model gives.
 * @throws Error when the kernel is not available or the plan does not fit its memory bound.
 */
export function predictBatch(plan: KernelPlan, x: Float32Array, count: number): Float32Array {
  const k = kernelExports();
  if (!k) throw new Error(`the lstm kernel is not available: ${loadError ?? 'not loaded'}`);
  const { window: T, features: F, horizon: H, units } = plan;
  if (x.length !== count * T * F) throw new Error(`expected ${count} x ${T} x ${F} values, got ${x.length}`);
  const base = align(k.heapBase());
  const offsets: number[] = [];
  let at = base + align(CFG_INTS * 4);
  for (const a of plan.arrays) {
    offsets.push(at);
    at += align(a ? a.byteLength : 0);
  }
  const scratch = at;
  // per window: its input, its forecast and its h, c and gate pre-activations of every layer (scratch)
  const perWindow = align(T * F * 4) + align(H * 4) + 6 * 4 * (units[0] + (units[1] ?? 0));
  const room = Math.floor((KERNEL_MAX_BYTES - at - 64) / perWindow);
  if (room < 1) throw new Error(`the model needs more than the kernel's ${KERNEL_MAX_BYTES / 2 ** 20} MiB`);
  const chunk = Math.min(KERNEL_CHUNK, room, Math.max(1, count));
  at += align(chunk * 6 * 4 * (units[0] + (units[1] ?? 0)));
  const xAt = at;
  const outAt = xAt + align(chunk * T * F * 4);
  const end = outAt + align(chunk * H * 4);
  const mem = k.memory;
  if (end > mem.buffer.byteLength) mem.grow(Math.ceil((end - mem.buffer.byteLength) / PAGE));
  if (resident !== plan) {
    plan.arrays.forEach((a, i) => new Float32Array(mem.buffer, offsets[i], a.length).set(a));
    // each layer's K and R as one packed [K; R] where K was (the R slot right after it leaves room)
    for (let l = 0; l < units.length; l++) {
      const [K, R] = [plan.arrays[3 * l], plan.arrays[3 * l + 1]];
      packGates(K, R, 4 * units[l], new Float32Array(mem.buffer, offsets[3 * l], K.length + R.length));
    }
    resident = plan;
  }
  const out = new Float32Array(count * H);
  const ints = new Int32Array(mem.buffer, base, CFG_INTS);
  const [k1, r1, b1] = offsets;
  const two = units.length > 1;
  const head = two ? 6 : 3;
  ints.set([
    0,
    T,
    F,
    units.length,
    units[0],
    units[1] ?? 0,
    H,
    plan.highway ? 1 : 0,
    plan.recurrentActivation,
    plan.activation,
    xAt,
    outAt,
    k1,
    r1,
    b1,
    two ? offsets[3] : 0,
    two ? offsets[4] : 0,
    two ? offsets[5] : 0,
    offsets[head],
    offsets[head + 1],
    plan.highway ? offsets[head + 2] : 0,
    plan.highway ? offsets[head + 3] : 0,
    scratch,
  ]);
  for (let s = 0; s < count; s += chunk) {
    const n = Math.min(chunk, count - s);
    ints[0] = n;
    new Float32Array(mem.buffer, xAt, n * T * F).set(x.subarray(s * T * F, (s + n) * T * F));
    k.forward(base);
    out.set(new Float32Array(mem.buffer, outAt, n * H), s * H);
  }
  return out;
}

let compiled: WebAssembly.Module | null = null;

/** A fresh kernel instance with its own memory (a trainer's weights and moments stay put between calls). */
export function freshInstance(): KernelExports {
  if (!kernelExports()) throw new Error(`the lstm kernel is not available: ${loadError ?? 'not loaded'}`);
  compiled ??= new WebAssembly.Module(fs.readFileSync(path.join(__dirname, '..', '..', 'kernel', 'lstm.wasm')));
  const instance = new WebAssembly.Instance(compiled, {
    env: {
      abort: () => {
        throw new Error('lstm kernel aborted');
      },
    },
  });
  return instance.exports as unknown as KernelExports;
}

/** Adam as tf.train.adam(learningRate) builds it (epsilon: the float32 backends' 1e-7). */
export interface KernelAdam {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Options of {@link KernelTrainer}. */
export interface KernelTrainOptions extends KernelAdam {
  /** The most windows one step takes. */
  batchSize: number;
  /** The highway is not trained (the frozen linear path): no gradient, no update. */
  frozenHighway: boolean;
}

const TRAIN_CFG_INTS = 41;

/**
 * Adam's running powers beta1^t and beta2^t of a kernel trainer, in float32 as tf.train.adam keeps them: written
 * where the kernel's Adam update reads them (config floats 34 and 35), advanced after each update.
 */
export class AdamPowers {
  private acc1: number;
  private acc2: number;

  constructor(
    readonly beta1: number,
    readonly beta2: number,
  ) {
    this.acc1 = Math.fround(beta1);
    this.acc2 = Math.fround(beta2);
  }

  /** The step's constants into the kernel's config floats: learning rate, betas, epsilon, 1 - betas. */
  writeConstants(floats: Float32Array, o: KernelTrainOptions): void {
    floats[30] = o.learningRate;
    floats[31] = this.beta1;
    floats[32] = this.beta2;
    floats[33] = o.epsilon ?? 1e-7;
    floats[39] = 1 - this.beta1;
    floats[40] = 1 - this.beta2;
  }

  /** This step's powers into the kernel's config floats. */
  write(floats: Float32Array): void {
    floats[34] = this.acc1;
    floats[35] = this.acc2;
  }

  /** One update done: the next step's powers. */
  advance(): void {
    this.acc1 = Math.fround(this.acc1 * this.beta1);
    this.acc2 = Math.fround(this.acc2 * this.beta2);
  }
}

/**
 * Trains the plan's weights in its own kernel instance: {@link KernelTrainer.step} is one call per batch
 * (forward, backward through time, head and highway gradients, Adam). The weights start as the plan's
 * arrays (copied in) and are read back with {@link KernelTrainer.weights}, in the plan's order.
 */
export class KernelTrainer {
  private readonly k: KernelExports;
  private readonly base: number;
  private readonly offsets: number[];
  private readonly paramsStart: number;
  private readonly paramsBytes: number;
  private readonly xAt: number;
  private readonly yAt: number;
  private readonly adam: AdamPowers;
  private readonly ints: Int32Array;
  private readonly floats: Float32Array;

  constructor(
    readonly plan: KernelPlan,
    private readonly o: KernelTrainOptions,
  ) {
    this.k = freshInstance();
    const { window: T, features: F, horizon: H, units } = plan;
    const B = o.batchSize;
    if (!(Number.isInteger(B) && B >= 1)) throw new Error(`expected a batch size of 1 or more, got ${B}`);
    this.base = align(this.k.heapBase());
    let at = this.base + align(TRAIN_CFG_INTS * 4);
    this.paramsStart = at;
    this.offsets = plan.arrays.map((a) => {
      const off = at;
      at += align(a.byteLength);
      return off;
    });
    this.paramsBytes = at - this.paramsStart;
    const P = this.paramsBytes;
    at += 3 * P; // gradients, first and second moments
    this.xAt = at;
    at += align(B * T * F * 4);
    this.yAt = at;
    at += align(B * H * 4);
    const scratch = at;
    const [U1, U2] = [units[0], units[1] ?? 0];
    at += 4 * T * B * 4 * (U1 + U2) + 2 * 4 * (T + 1) * B * (U1 + U2) + align(B * H * 4);
    // dh, dc and the previous step's dh of each layer, the gate gradients of a step's windows
    at += 3 * 4 * B * (U1 + U2) + 16 * B * Math.max(U1, U2) + 64;
    if (at > KERNEL_MAX_BYTES) {
      throw new Error(`training this model in batches of ${B} needs more than ${KERNEL_MAX_BYTES / 2 ** 20} MiB`);
    }
    const mem = this.k.memory;
    if (at > mem.buffer.byteLength) mem.grow(Math.ceil((at - mem.buffer.byteLength) / PAGE));
    plan.arrays.forEach((a, i) => new Float32Array(mem.buffer, this.offsets[i], a.length).set(a));
    this.adam = new AdamPowers(o.beta1 ?? 0.9, o.beta2 ?? 0.999);
    this.ints = new Int32Array(mem.buffer, this.base, TRAIN_CFG_INTS);
    this.floats = new Float32Array(mem.buffer, this.base, TRAIN_CFG_INTS);
    const two = units.length > 1;
    const head = two ? 6 : 3;
    const off = this.offsets;
    const hwAt = plan.highway ? off[head + 2] : this.paramsStart + P;
    this.ints.set([
      0,
      T,
      F,
      units.length,
      U1,
      U2,
      H,
      plan.highway ? 1 : 0,
      plan.recurrentActivation,
      plan.activation,
      this.xAt,
      0,
      off[0],
      off[1],
      off[2],
      two ? off[3] : 0,
      two ? off[4] : 0,
      two ? off[5] : 0,
      off[head],
      off[head + 1],
      plan.highway ? off[head + 2] : 0,
      plan.highway ? off[head + 3] : 0,
      0,
      this.yAt,
      P,
      2 * P,
      3 * P,
      this.paramsStart,
      o.frozenHighway && plan.highway ? hwAt - this.paramsStart : P,
      scratch,
    ]);
    this.ints[37] = o.frozenHighway || !plan.highway ? 0 : 2;
    this.ints[38] = P;
    this.adam.writeConstants(this.floats, o);
  }

  /**
   * One step on `count` windows (x [count, T, F], y [count, H], scaled): the mean squared error before
   * the step; with `update` false only the gradients are computed (see {@link gradients}).
   */
  step(x: Float32Array, y: Float32Array, count: number, update = true): number {
    const { window: T, features: F, horizon: H } = this.plan;
    if (count < 1 || count > this.o.batchSize) throw new Error(`expected 1-${this.o.batchSize} windows, got ${count}`);
    if (x.length !== count * T * F || y.length !== count * H) {
      throw new Error(
        `expected ${count} x ${T} x ${F} inputs and ${count} x ${H} targets, got ${x.length}, ${y.length}`,
      );
    }
    const buf = this.k.memory.buffer;
    new Float32Array(buf, this.xAt, x.length).set(x);
    new Float32Array(buf, this.yAt, y.length).set(y);
    this.ints[0] = count;
    this.ints[37] = (this.ints[37] & 2) | (update ? 1 : 0);
    this.adam.write(this.floats);
    this.k.trainStep(this.base);
    if (update) {
      this.adam.advance();
    }
    return this.floats[36];
  }

  private read(delta: number): Float32Array[] {
    const buf = this.k.memory.buffer;
    return this.plan.arrays.map((a, i) => new Float32Array(buf, this.offsets[i] + delta, a.length).slice());
  }

  /** The current weights, copies in the plan's order. */
  weights(): Float32Array[] {
    return this.read(0);
  }

  /** The last step's gradients, copies in the plan's order (the frozen highway's are zeros). */
  gradients(): Float32Array[] {
    return this.read(this.paramsBytes);
  }
}

/** What the kernel path of an 'attention' type forecast computes, from the stored topology and weights. */
export interface AttentionPlan {
  window: number;
  features: number;
  horizon: number;
  /** LSTM units d. */
  units: number;
  /** Attention units da. */
  attentionUnits: number;
  highway: boolean;
  recurrentActivation: number;
  activation: number;
  /**
   * LSTM kernel, recurrent kernel, bias; attention w_h [d, da], w_q [d, da], b [da], v [da, 1];
   * head kernel [2d, H], bias; highway kernel [L F, H], bias.
   */
  arrays: Float32Array[];
}

/** The tensor a layer's single inbound connection names: [layer, tensor index], or null. */
export function inboundTensor(layer: Json): [string, number] | null {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length !== 1 || !Array.isArray(nodes[0]) || nodes[0].length !== 1) return null;
  const first = nodes[0][0];
  return Array.isArray(first) && typeof first[0] === 'string' && first[1] === 0 && Number.isInteger(first[2])
    ? [first[0], first[2] as number]
    : null;
}

/**
 * The checks the attention and gca plans make of their encoder and Dense layers: an LSTM fed by the input, whole
 * sequences, with bias and no state options, with activations the kernel has; every layer of the graph used (`used`
 * holds the others); a linear head and highway with bias. Its activation codes and config, or null.
 */
export function encoderChecks(
  lstm: Json,
  input: Json,
  head: Json,
  highwayDense: Json | null | undefined,
  used: Set<string>,
  layerCount: number,
): { act: number; rec: number; c: Json } | null {
  if (lstm.class_name !== 'LSTM') return null;
  used.add(String(lstm.name));
  const lstmIn = inboundTensor(lstm);
  if (!lstmIn || lstmIn[0] !== input.name || lstmIn[1] !== 0) return null;
  if (used.size !== layerCount) return null;
  const denseOk = (l: Json): boolean =>
    isObj(l.config) && (l.config.activation ?? 'linear') === 'linear' && l.config.use_bias !== false;
  if (!denseOk(head) || (highwayDense && !denseOk(highwayDense))) return null;
  const c = lstm.config;
  if (!isObj(c) || c.use_bias === false || c.return_state || c.go_backwards || c.stateful) return null;
  if (c.return_sequences !== true) return null;
  const act = ACTIVATIONS[String(c.activation ?? 'tanh')];
  const rec = ACTIVATIONS[String(c.recurrent_activation ?? 'hard_sigmoid')];
  if (act === undefined || rec === undefined) return null;
  return { act, rec, c };
}

/**
 * The plan of the 'attention' type's serve graph (window -> LSTM, every state -> AdditiveAttention ->
 * Dense head on [context ; q], plus the optional highway; outputs [forecast, alpha]), or null when the
 * topology is anything else: tfjs forecasts those.
 * @param weights the artifact's weights, decoded, in order.
 */
export function attentionPlan(topology: unknown, weights: PlanWeight[]): AttentionPlan | null {
  const graph = graphOf(topology);
  if (!graph) return null;
  const { cfg, layers, byName, input, T, F } = graph;
  const outputs = cfg.output_layers;
  if (!Array.isArray(outputs) || outputs.length !== 2 || !outputs.every(Array.isArray)) return null;
  const [outF, outA] = outputs as unknown[][];
  const att = byName.get(String(outA[0]));
  if (att?.class_name !== 'AdditiveAttention' || outA[1] !== 0 || outA[2] !== 1) return null;
  if (outF[1] !== 0 || outF[2] !== 0) return null;
  const used = new Set<string>([String(input.name), String(att.name)]);

  const split = splitHighway(byName.get(String(outF[0])), byName, String(input.name), used);
  if (!split) return null;
  const { head, highwayDense } = split;
  if (!head || head.class_name !== 'Dense') return null;
  used.add(String(head.name));
  const headIn = inboundTensor(head);
  if (!headIn || headIn[0] !== att.name || headIn[1] !== 0) return null;
  const attIn = inboundTensor(att);
  const lstm = byName.get(attIn?.[0] ?? '');
  if (!lstm || attIn?.[1] !== 0) return null;
  const enc = encoderChecks(lstm, input, head, highwayDense, used, layers.length);
  if (!enc) return null;
  const { act, rec, c } = enc;
  const d = Number(c.units);
  const da = isObj(att.config) ? Number(att.config.units) : NaN;
  const H = isObj(head.config) ? Number(head.config.units) : NaN;
  if (!(Number.isInteger(d) && d >= 1 && d <= 4096) || !(Number.isInteger(da) && da >= 1 && da <= 4096)) return null;
  if (!(Number.isInteger(H) && H >= 1)) return null;
  if (highwayDense && (!isObj(highwayDense.config) || highwayDense.config.units !== H)) return null;

  // Weights follow the topology's layer order (the serve model's weights order).
  const expected: number[][] = [];
  const order: number[] = [];
  for (const l of layers) {
    if (l === lstm) {
      expected.push([F, 4 * d], [d, 4 * d], [4 * d]);
      order.push(0, 1, 2);
    } else if (l === att) {
      expected.push([d, da], [d, da], [da], [da, 1]);
      order.push(3, 4, 5, 6);
    } else if (l === head) {
      expected.push([2 * d, H], [H]);
      order.push(7, 8);
    } else if (l === highwayDense) {
      expected.push([T * F, H], [H]);
      order.push(9, 10);
    }
  }
  const arrays = orderedWeights(weights, expected, order);
  if (!arrays) return null;
  return {
    window: T,
    features: F,
    horizon: H,
    units: d,
    attentionUnits: da,
    highway: !!highwayDense,
    recurrentActivation: rec,
    activation: act,
    arrays,
  };
}

/** attendHead's table: 20 ints. */
const ATTEND_CFG_INTS = 20;

/**
 * Forecasts `count` windows (x: [count, window, features] scaled, window-relative) of an 'attention' model
 * in the kernel, a chunk of windows per three calls: their LSTM states (encodeStates, on [K; R] packed as
 * the 'lstm' type's forecasts read it; the same states as encode's, bit for bit), W_h h_t of every step
 * (project), then the scores, softmax, context and head of each window (attendHead). Returns the forecast
 * [count, horizon] and the attention weights alpha [count, 1, window], what the tfjs serve model returns.
 * @throws Error when the kernel is not available or the plan does not fit its memory bound.
 */
export function predictAttention(
  plan: AttentionPlan,
  x: Float32Array,
  count: number,
): { forecast: Float32Array; alpha: Float32Array } {
  const k = kernelExports();
  if (!k) throw new Error(`the lstm kernel is not available: ${loadError ?? 'not loaded'}`);
  const { window: T, features: F, horizon: H, units: U, attentionUnits: DA } = plan;
  if (x.length !== count * T * F) throw new Error(`expected ${count} x ${T} x ${F} values, got ${x.length}`);
  // the attention's columns padded to a multiple of 4 (SIMD), with zero weights
  const DA4 = Math.ceil(DA / 4) * 4;
  const base = align(k.heapBase());
  const projectCfg = base + align(CFG_INTS * 4);
  const attendCfg = projectCfg + align(7 * 4);
  let at = attendCfg + align(ATTEND_CFG_INTS * 4);
  const place = (floats: number): number => {
    const o = at;
    at += align(floats * 4);
    return o;
  };
  // [K; R] packed by column block (packGates), then the bias
  const packedAt = place(plan.arrays[0].length + plan.arrays[1].length);
  const lstmBiasAt = place(plan.arrays[2].length);
  const wHAt = place(U * DA4);
  const zerosAt = place(DA4);
  const wQAt = place(U * DA4);
  const biasAt = place(DA4);
  const vAt = place(DA4);
  const headWAt = place(2 * U * H);
  const headBAt = place(H);
  const hwWAt = place(plan.highway ? T * F * H : 0);
  const hwBAt = place(H);
  const queryAt = place(DA4 + U);
  // per window: its input, its states H [T + 1, U], one step's C [U] and gate pre-activations Z [4U],
  // projections [T, DA4], forecast [H] and attention [T]
  const perWindow = align(T * F * 4) + 4 * U * (T + 6) + 4 * T * DA4 + 4 * (H + T) + 96;
  const room = Math.floor((KERNEL_MAX_BYTES - at - 64) / perWindow);
  if (room < 1) throw new Error(`the model needs more than the kernel's ${KERNEL_MAX_BYTES / 2 ** 20} MiB`);
  const chunk = Math.min(KERNEL_CHUNK, room, Math.max(1, count));
  const scratch = place(chunk * U * (T + 6));
  const projAt = place(chunk * T * DA4);
  const xAt = place(chunk * T * F);
  const outAt = place(chunk * H);
  const alphaAt = place(chunk * T);
  const mem = k.memory;
  if (at > mem.buffer.byteLength) mem.grow(Math.ceil((at - mem.buffer.byteLength) / PAGE));
  if (resident !== plan) {
    const a = plan.arrays;
    const put = (o: number, arr: Float32Array): void => new Float32Array(mem.buffer, o, arr.length).set(arr);
    packGates(a[0], a[1], 4 * U, new Float32Array(mem.buffer, packedAt, a[0].length + a[1].length));
    put(lstmBiasAt, a[2]);
    // W_h and W_q [U, DA] as [U, DA4]; the bias and v as [DA4]; the padding zeros
    const padded = (o: number, arr: Float32Array, rows: number): void => {
      const into = new Float32Array(mem.buffer, o, rows * DA4).fill(0);
      for (let j = 0; j < rows; j++) into.set(arr.subarray(j * DA, (j + 1) * DA), j * DA4);
    };
    padded(wHAt, a[3], U);
    new Float32Array(mem.buffer, zerosAt, DA4).fill(0);
    padded(wQAt, a[4], U);
    padded(biasAt, a[5], 1);
    padded(vAt, a[6], 1);
    put(headWAt, a[7]);
    put(headBAt, a[8]);
    if (plan.highway) {
      put(hwWAt, a[9]);
      put(hwBAt, a[10]);
    }
    resident = plan;
  }
  const ints = new Int32Array(mem.buffer, base, CFG_INTS);
  ints.fill(0);
  ints[1] = T;
  ints[2] = F;
  ints[3] = 1;
  ints[4] = U;
  ints[8] = plan.recurrentActivation;
  ints[9] = plan.activation;
  ints[10] = xAt;
  ints[12] = packedAt;
  ints[14] = lstmBiasAt;
  ints[22] = scratch;
  const pInts = new Int32Array(mem.buffer, projectCfg, 7);
  const aInts = new Int32Array(mem.buffer, attendCfg, ATTEND_CFG_INTS);
  aInts.set([0, T, F, U, DA4, H, plan.highway ? 1 : 0, scratch, projAt, wQAt, biasAt, vAt, headWAt, headBAt]);
  aInts.set([hwWAt, hwBAt, xAt, outAt, alphaAt, queryAt], 14);
  const forecast = new Float32Array(count * H);
  const alpha = new Float32Array(count * T);
  for (let s = 0; s < count; s += chunk) {
    const n = Math.min(chunk, count - s);
    ints[0] = n;
    aInts[0] = n;
    new Float32Array(mem.buffer, xAt, n * T * F).set(x.subarray(s * T * F, (s + n) * T * F));
    k.encodeStates(base);
    // W_h h_t of steps 1..T of every window ([T, n, DA4]), from H [T + 1, n, U] past its zero state
    pInts.set([T * n, U, DA4, scratch + n * U * 4, wHAt, zerosAt, projAt]);
    k.project(projectCfg);
    k.attendHead(attendCfg);
    forecast.set(new Float32Array(mem.buffer, outAt, n * H), s * H);
    alpha.set(new Float32Array(mem.buffer, alphaAt, n * T), s * T);
  }
  return { forecast, alpha };
}

const ATTENTION_CFG_INTS = 42;

/** What {@link encoderTrainCfg} writes: the first LSTM layer's sizes and arrays, Adam's range and constants. */
export interface EncoderTrainCfg {
  T: number;
  F: number;
  units: number;
  H: number;
  plan: { recurrentActivation: number; activation: number };
  xAt: number;
  offsets: number[];
  statesAt: number;
  P: number;
  paramsStart: number;
  adamEnd: number;
  backAt: number;
  dHAt: number;
  o: KernelTrainOptions;
  adam: AdamPowers;
}

/**
 * The kernel's table for a trainer around the encoder (attention, gca): encode / encodeBackward read the layer-1
 * entries, adamStep the gradient, moment and range entries. One writer, so both trainers lay it out alike.
 */
export function encoderTrainCfg(ints: Int32Array, floats: Float32Array, c: EncoderTrainCfg): void {
  ints.fill(0);
  ints[1] = c.T;
  ints[2] = c.F;
  ints[3] = 1;
  ints[4] = c.units;
  ints[6] = c.H;
  ints[8] = c.plan.recurrentActivation;
  ints[9] = c.plan.activation;
  ints[10] = c.xAt;
  [ints[12], ints[13], ints[14]] = c.offsets;
  ints[22] = c.statesAt;
  ints[24] = c.P;
  ints[25] = 2 * c.P;
  ints[26] = 3 * c.P;
  ints[27] = c.paramsStart;
  ints[28] = c.adamEnd;
  ints[29] = c.backAt;
  ints[38] = c.P;
  ints[41] = c.dHAt;
  c.adam.writeConstants(floats, c.o);
}

/**
 * Trains an 'attention' plan's weights in its own kernel instance, one {@link AttentionTrainer.step} per
 * batch: the kernel runs the LSTM encoder forward (every step kept) and, from the gradient of every step's
 * hidden state, backward through time, and the attention's W_h h_t of every step and their backward (the
 * attention's largest products, T U da per window each); the rest of the additive attention (softmax,
 * context), the head and the highway, forward and backward, run here in float64 over the kernel's float32
 * states (measured: plain loops here over W_h's products took about twice the encoder's time); Adam
 * (tf.train.adam's) updates every weight in the kernel. Weights start as the plan's arrays
 * and are read back with {@link AttentionTrainer.weights}, in the plan's order.
 */
export class AttentionTrainer {
  private readonly k: KernelExports;
  private readonly base: number;
  private readonly offsets: number[];
  private readonly paramsBytes: number;
  private readonly xAt: number;
  private readonly statesAt: number;
  private readonly projectCfg: number;
  private readonly projAt: number;
  private readonly wHAt: number;
  private readonly zerosAt: number;
  private readonly dHAt: number;
  private readonly dWHAt: number;
  private readonly backCfg: number;
  private readonly da4: number;
  private readonly adam: AdamPowers;
  private readonly ints: Int32Array;
  private readonly floats: Float32Array;
  /** Views of the weights (w) and their gradients (g) in the kernel's memory, in the plan's order. */
  private readonly w: Float32Array[];
  private readonly g: Float32Array[];
  /** The attention's and head's gradients of a step, summed over its windows (plan slots 3 on). */
  private readonly acc: Float64Array[];
  private readonly trainHighway: boolean;
  // per-window work arrays
  private readonly query: Float64Array;
  private readonly hidden: Float64Array;
  private readonly alpha: Float64Array;
  private readonly dAlpha: Float64Array;
  private readonly context: Float64Array;
  private readonly dSummary: Float64Array;
  private readonly dQuery: Float64Array;
  private readonly out: Float64Array;

  constructor(
    readonly plan: AttentionPlan,
    private readonly o: KernelTrainOptions,
  ) {
    this.k = freshInstance();
    const { window: T, features: F, horizon: H, units: U, attentionUnits: DA } = plan;
    const B = o.batchSize;
    if (!(Number.isInteger(B) && B >= 1)) throw new Error(`expected a batch size of 1 or more, got ${B}`);
    this.da4 = Math.ceil(DA / 4) * 4;
    this.base = align(this.k.heapBase());
    let at = this.base + align(ATTENTION_CFG_INTS * 4);
    const paramsStart = at;
    this.offsets = plan.arrays.map((a) => {
      const off = at;
      at += align(a.byteLength);
      return off;
    });
    this.paramsBytes = at - paramsStart;
    const P = this.paramsBytes;
    at += 3 * P; // gradients, first and second moments
    const take = (bytes: number): number => {
      const off = at;
      at += align(bytes);
      return off;
    };
    this.xAt = take(B * T * F * 4);
    this.statesAt = take(B * U * (6 * T + 2) * 4); // encode's H, C [T + 1, B, U] and Z [T, B, 4U]
    this.projAt = take(B * T * this.da4 * 4);
    this.wHAt = take(U * this.da4 * 4);
    this.zerosAt = take(this.da4 * 4);
    this.dHAt = take(T * B * U * 4);
    const backAt = take(3 * B * U * 4 + 16 * B * U); // dh, dc, dh' [B, U], dZ [B, 4U]
    this.projectCfg = take(7 * 4);
    this.dWHAt = take(U * this.da4 * 4); // W_h's gradient, padded as W_h
    this.backCfg = take(8 * 4);
    at += 64;
    if (at > KERNEL_MAX_BYTES) {
      throw new Error(`training this model in batches of ${B} needs more than ${KERNEL_MAX_BYTES / 2 ** 20} MiB`);
    }
    const mem = this.k.memory;
    if (at > mem.buffer.byteLength) mem.grow(Math.ceil((at - mem.buffer.byteLength) / PAGE));
    this.w = plan.arrays.map((a, i) => new Float32Array(mem.buffer, this.offsets[i], a.length));
    this.g = plan.arrays.map((a, i) => new Float32Array(mem.buffer, this.offsets[i] + P, a.length));
    plan.arrays.forEach((a, i) => this.w[i].set(a));
    new Float32Array(mem.buffer, this.zerosAt, this.da4).fill(0);
    this.acc = plan.arrays.map((a, i) => new Float64Array(i < 3 ? 0 : a.length));
    this.trainHighway = plan.highway && !o.frozenHighway;
    this.adam = new AdamPowers(o.beta1 ?? 0.9, o.beta2 ?? 0.999);
    this.ints = new Int32Array(mem.buffer, this.base, ATTENTION_CFG_INTS);
    this.floats = new Float32Array(mem.buffer, this.base, ATTENTION_CFG_INTS);
    encoderTrainCfg(this.ints, this.floats, {
      T,
      F,
      units: U,
      H,
      plan,
      xAt: this.xAt,
      offsets: this.offsets,
      statesAt: this.statesAt,
      P,
      paramsStart,
      // the frozen highway (the plan's last two arrays) is left out of Adam's range
      adamEnd: plan.highway && o.frozenHighway ? this.offsets[9] - paramsStart : P,
      backAt,
      dHAt: this.dHAt,
      o,
      adam: this.adam,
    });
    this.query = new Float64Array(DA);
    this.hidden = new Float64Array(T * DA);
    this.alpha = new Float64Array(T);
    this.dAlpha = new Float64Array(T);
    this.context = new Float64Array(U);
    this.dSummary = new Float64Array(2 * U);
    this.dQuery = new Float64Array(DA);
    this.out = new Float64Array(H);
  }

  private checkBatch(x: Float32Array, count: number): void {
    const { window: T, features: F } = this.plan;
    if (count < 1 || count > this.o.batchSize) throw new Error(`expected 1-${this.o.batchSize} windows, got ${count}`);
    if (x.length !== count * T * F) throw new Error(`expected ${count} x ${T} x ${F} inputs, got ${x.length}`);
  }

  /** The encoder's forward pass over `count` windows, every step's states kept in the kernel. */
  private encode(x: Float32Array, count: number): void {
    new Float32Array(this.k.memory.buffer, this.xAt, x.length).set(x);
    this.ints[0] = count;
    this.k.encode(this.base);
  }

  /**
   * The encoder's gradients (kernel, recurrent kernel, bias) for `count` windows from a gradient for every
   * step's hidden state, dH [T, count, U] (step t's row: the state after step t), as copies.
   */
  encoderGradients(x: Float32Array, count: number, dH: Float32Array): Float32Array[] {
    const { window: T, units: U } = this.plan;
    this.checkBatch(x, count);
    if (dH.length !== T * count * U) throw new Error(`expected ${T} x ${count} x ${U} gradients, got ${dH.length}`);
    this.encode(x, count);
    new Float32Array(this.k.memory.buffer, this.dHAt, dH.length).set(dH);
    this.k.encodeBackward(this.base);
    return this.g.slice(0, 3).map((a) => a.slice());
  }

  /**
   * One step on `count` windows (x [count, T, F], y [count, H], scaled): the mean squared error before
   * the step; with `update` false only the gradients are computed (see {@link gradients}).
   */
  step(x: Float32Array, y: Float32Array, count: number, update = true): number {
    const { window: T, horizon: H, units: U, attentionUnits: DA } = this.plan;
    this.checkBatch(x, count);
    if (y.length !== count * H) throw new Error(`expected ${count} x ${H} targets, got ${y.length}`);
    this.encode(x, count);
    // W_h h_t of every step and window ([T, count, DA4]), W_h padded to DA4 columns with zeros
    const buf = this.k.memory.buffer;
    const wH = this.w[3];
    const padded = new Float32Array(buf, this.wHAt, U * this.da4);
    for (let j = 0; j < U; j++) padded.set(wH.subarray(j * DA, (j + 1) * DA), j * this.da4);
    new Int32Array(buf, this.projectCfg, 7).set([
      T * count,
      U,
      this.da4,
      this.statesAt + count * U * 4,
      this.wHAt,
      this.zerosAt,
      this.projAt,
    ]);
    this.k.project(this.projectCfg);
    const states = new Float32Array(buf, this.statesAt, (T + 1) * count * U);
    const projected = new Float32Array(buf, this.projAt, T * count * this.da4);
    const dH = new Float32Array(buf, this.dHAt, T * count * U);
    for (const a of this.acc) a.fill(0);
    let loss = 0;
    // each window's pass leaves the gradients of its W_h h_t where their values were (projected)
    for (let b = 0; b < count; b++) loss += this.attendBack(states, projected, dH, x, y, count, b);
    const dWH = new Float32Array(buf, this.dWHAt, U * this.da4).fill(0);
    new Int32Array(buf, this.backCfg, 8).set([
      T * count,
      U,
      this.da4,
      this.statesAt + count * U * 4,
      this.wHAt,
      this.projAt,
      this.dWHAt,
      this.dHAt,
    ]);
    this.k.projectBackward(this.backCfg);
    this.k.encodeBackward(this.base);
    for (let j = 0; j < U; j++) this.acc[3].set(dWH.subarray(j * this.da4, j * this.da4 + DA), j * DA);
    for (let i = 3; i < this.acc.length; i++) {
      if (i < 9 || this.trainHighway) this.g[i].set(this.acc[i]);
    }
    if (update) {
      this.adam.write(this.floats);
      this.k.adamStep(this.base);
      this.adam.advance();
    }
    return Math.fround(loss / (count * H));
  }

  /**
   * Window b's forward through the attention, head and highway, its squared error (returned) and the
   * backward: its share of the attention's and head's gradients into acc (W_h's: the kernel's, from the
   * gradients of W_h h_t left in projected), its states' gradients into dH (through W_h: the kernel's).
   */
  private attendBack(
    states: Float32Array,
    projected: Float32Array,
    dH: Float32Array,
    x: Float32Array,
    y: Float32Array,
    n: number,
    b: number,
  ): number {
    const { window: T, features: F, horizon: H, units: U, attentionUnits: DA, highway } = this.plan;
    const DA4 = this.da4;
    const [, , , , wQ, bias, v, headW, headB, hwW, hwB] = this.w;
    const [, , , , gWQ, gBias, gV, gHeadW, gHeadB, gHwW, gHwB] = this.acc;
    const { query, hidden, alpha, dAlpha, context, dSummary, dQuery, out } = this;
    const qAt = (T * n + b) * U;
    const hAt = (t: number): number => ((t + 1) * n + b) * U;
    // forward: W_q q + b; every step's tanh(W_h h_t + W_q q + b), its score, the softmax; the context
    for (let k = 0; k < DA; k++) query[k] = bias[k];
    for (let j = 0; j < U; j++) {
      const qj = states[qAt + j];
      for (let k = 0, r = j * DA; k < DA; k++) query[k] += qj * wQ[r + k];
    }
    let top = -Infinity;
    for (let t = 0; t < T; t++) {
      const pAt = (t * n + b) * DA4;
      let score = 0;
      for (let k = 0, r = t * DA; k < DA; k++) {
        const h = Math.tanh(projected[pAt + k] + query[k]);
        hidden[r + k] = h;
        score += v[k] * h;
      }
      alpha[t] = score;
      if (score > top) top = score;
    }
    let sum = 0;
    for (let t = 0; t < T; t++) {
      alpha[t] = Math.exp(alpha[t] - top);
      sum += alpha[t];
    }
    context.fill(0);
    for (let t = 0; t < T; t++) {
      alpha[t] /= sum;
      const a = alpha[t];
      const at = hAt(t);
      for (let j = 0; j < U; j++) context[j] += a * states[at + j];
    }
    // head on [context ; q], the highway on the flattened window; the error and its gradient
    for (let o = 0; o < H; o++) out[o] = headB[o] + (highway ? hwB[o] : 0);
    for (let j = 0; j < U; j++) {
      const cj = context[j];
      const qj = states[qAt + j];
      for (let o = 0, r = j * H, r2 = (U + j) * H; o < H; o++) out[o] += cj * headW[r + o] + qj * headW[r2 + o];
    }
    const xAt = b * T * F;
    if (highway) {
      for (let i = 0; i < T * F; i++) {
        const xi = x[xAt + i];
        for (let o = 0, r = i * H; o < H; o++) out[o] += xi * hwW[r + o];
      }
    }
    let sq = 0;
    const scale = 2 / (n * H);
    for (let o = 0; o < H; o++) {
      const e = out[o] - y[b * H + o];
      sq += e * e;
      out[o] = e * scale; // from here on: d loss / d out
    }
    // backward: head and highway
    for (let o = 0; o < H; o++) gHeadB[o] += out[o];
    for (let j = 0; j < U; j++) {
      const cj = context[j];
      const qj = states[qAt + j];
      let dc = 0;
      let dq = 0;
      for (let o = 0, r = j * H, r2 = (U + j) * H; o < H; o++) {
        const d = out[o];
        gHeadW[r + o] += cj * d;
        gHeadW[r2 + o] += qj * d;
        dc += d * headW[r + o];
        dq += d * headW[r2 + o];
      }
      dSummary[j] = dc;
      dSummary[U + j] = dq;
    }
    if (this.trainHighway) {
      for (let o = 0; o < H; o++) gHwB[o] += out[o];
      for (let i = 0; i < T * F; i++) {
        const xi = x[xAt + i];
        for (let o = 0, r = i * H; o < H; o++) gHwW[r + o] += xi * out[o];
      }
    }
    // context = sum alpha_t h_t: each state's direct share, and the softmax's gradient
    let mean = 0;
    for (let t = 0; t < T; t++) {
      const at = hAt(t);
      const dAt = (t * n + b) * U;
      const a = alpha[t];
      let s = 0;
      for (let j = 0; j < U; j++) {
        s += dSummary[j] * states[at + j];
        dH[dAt + j] = a * dSummary[j];
      }
      dAlpha[t] = s;
      mean += a * s;
    }
    // scores e_t = v . tanh(pre_t): v, and pre_t's gradient (into projected, for the kernel's W_h backward);
    // then W_q, b and q through the query
    dQuery.fill(0);
    for (let t = 0; t < T; t++) {
      const de = alpha[t] * (dAlpha[t] - mean);
      const pAt = (t * n + b) * DA4;
      for (let k = 0, r = t * DA; k < DA; k++) {
        const h = hidden[r + k];
        gV[k] += de * h;
        const d = de * v[k] * (1 - h * h);
        projected[pAt + k] = d;
        dQuery[k] += d;
      }
    }
    for (let k = 0; k < DA; k++) gBias[k] += dQuery[k];
    const lastAt = ((T - 1) * n + b) * U;
    for (let j = 0; j < U; j++) {
      const qj = states[qAt + j];
      let s = dSummary[U + j];
      for (let k = 0, r = j * DA; k < DA; k++) {
        gWQ[r + k] += qj * dQuery[k];
        s += dQuery[k] * wQ[r + k];
      }
      dH[lastAt + j] += s;
    }
    return sq;
  }

  /** The current weights, copies in the plan's order. */
  weights(): Float32Array[] {
    return this.w.map((a) => a.slice());
  }

  /** The last step's gradients, copies in the plan's order (the frozen highway's are zeros). */
  gradients(): Float32Array[] {
    return this.g.map((a) => a.slice());
  }
}

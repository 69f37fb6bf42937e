/**
 * The 'gca' type's forecasts through the fused kernel (model/kernel.ts): the kernel encodes a chunk of windows
 * with layer 1 (every step's state) and computes the products with the weights that act on every step or every
 * window at once (W_e2 h_t, layer 2's input W h_t + b and, each step of layer 2, h_{t-1} U for all windows);
 * the global context memory, the scores, softmax and gate, layer 2's gated cell update, the refinement, the
 * shared head and the highway follow here, in float64 over those float32 values, as gca.ts computes them.
 *
 * {@link gcaPlan} accepts only the serve graph buildGcaGraph makes (window -> LSTM (every state) -> GcaAttention
 * -> Dense head on F_N, optional highway; outputs [forecast, alpha] or, with feature attention, [forecast,
 * alpha, beta]) with a GcaAttention config it knows every key of; anything else returns null and tfjs
 * forecasts it. Every gate ('softmax', 'max', 'sigmoid'), initial memory ('mean', 'last'), N = 1-3 and feature
 * attention are computed.
 */
import {
  CFG_INTS,
  KERNEL_CHUNK,
  KERNEL_MAX_BYTES,
  PAGE,
  align,
  encoderChecks,
  graphOf,
  inboundTensor,
  isObj,
  kernelExports,
  kernelLoadError,
  makeResident,
  orderedWeights,
  splitHighway,
  type Json,
  type PlanWeight,
} from './kernel';
import type { GcaGate, GcaInitialMemory } from './gca';

const GATES: readonly GcaGate[] = ['softmax', 'max', 'sigmoid'];
const MEMORIES: readonly GcaInitialMemory[] = ['mean', 'last'];
/** Every key GcaAttention.getConfig writes (snake case, as stored); another key is an option this code ignores. */
const GCA_KEYS = new Set([
  'name',
  'trainable',
  'dtype',
  'units',
  'attention_units',
  'iterations',
  'gate',
  'initial_memory',
  'feature_attention',
  'seed',
]);

/** What the kernel path of a 'gca' type forecast computes, from the stored topology and weights. */
export interface GcaPlan {
  window: number;
  features: number;
  horizon: number;
  /** Layer 1's units d1 (the width of H1 and of the memory F). */
  units: number;
  /** Layer 2's units u. */
  gatedUnits: number;
  /** Attention units da. */
  attentionUnits: number;
  iterations: number;
  gate: GcaGate;
  initialMemory: GcaInitialMemory;
  featureAttention: boolean;
  highway: boolean;
  recurrentActivation: number;
  activation: number;
  /** Layer 1: kernel [F, 4 d1], recurrent kernel [d1, 4 d1], bias [4 d1]. */
  encoder: Float32Array[];
  score: { h: Float32Array; memory: Float32Array; bias: Float32Array; v: Float32Array };
  /** Layer 2: kernel [d1, 4u], recurrent kernel [u, 4u], bias [4u]. */
  gated: { kernel: Float32Array; recurrent: Float32Array; bias: Float32Array };
  /** W_F^n [u + d1, d1], b_F^n [d1] of each iteration. */
  refine: { kernel: Float32Array; bias: Float32Array }[];
  /** With feature attention: W_bx [F, da], W_bF [d1, da], b_b [da], W_b [da, F], layer 2's K_x [F, 4u]. */
  feature?: { x: Float32Array; memory: Float32Array; bias: Float32Array; v: Float32Array; kernel: Float32Array };
  head: { kernel: Float32Array; bias: Float32Array };
  highwayWeights?: { kernel: Float32Array; bias: Float32Array };
}

/** A gca plan without its weights. */
export type GcaShape = Omit<GcaPlan, 'encoder' | 'score' | 'gated' | 'refine' | 'feature' | 'head' | 'highwayWeights'>;

/** The plan's weights in slot order: encoder 0-2, score 3-6, layer 2 7-9, refinement, feature, head, highway. */
export function gcaArrays(plan: GcaPlan): Float32Array[] {
  const f = plan.feature;
  return [
    ...plan.encoder,
    plan.score.h,
    plan.score.memory,
    plan.score.bias,
    plan.score.v,
    plan.gated.kernel,
    plan.gated.recurrent,
    plan.gated.bias,
    ...plan.refine.flatMap((r) => [r.kernel, r.bias]),
    ...(f ? [f.x, f.memory, f.bias, f.v, f.kernel] : []),
    plan.head.kernel,
    plan.head.bias,
    ...(plan.highwayWeights ? [plan.highwayWeights.kernel, plan.highwayWeights.bias] : []),
  ];
}

/**
 * Where each part's weights start in {@link gcaArrays}' order: encoder 0-2, score 3-6, layer 2 7-9, refinement
 * 10 .. 9 + 2N, feature attention the next 5, then head 2 and highway 2.
 */
export function gcaSlotStarts(shape: Pick<GcaShape, 'iterations' | 'featureAttention'>): {
  refineAt: number;
  featureAt: number;
  headAt: number;
} {
  const refineAt = 10;
  const featureAt = refineAt + 2 * shape.iterations;
  return { refineAt, featureAt, headAt: featureAt + (shape.featureAttention ? 5 : 0) };
}

/** The plan `shape` with the weights `a` (in {@link gcaArrays}' order). */
export function gcaWithArrays(shape: GcaShape, a: Float32Array[]): GcaPlan {
  const N = shape.iterations;
  const { featureAt, headAt } = gcaSlotStarts(shape);
  return {
    ...shape,
    encoder: a.slice(0, 3),
    score: { h: a[3], memory: a[4], bias: a[5], v: a[6] },
    gated: { kernel: a[7], recurrent: a[8], bias: a[9] },
    refine: Array.from({ length: N }, (_, n) => ({ kernel: a[10 + 2 * n], bias: a[11 + 2 * n] })),
    feature: shape.featureAttention
      ? {
          x: a[featureAt],
          memory: a[featureAt + 1],
          bias: a[featureAt + 2],
          v: a[featureAt + 3],
          kernel: a[featureAt + 4],
        }
      : undefined,
    head: { kernel: a[headAt], bias: a[headAt + 1] },
    highwayWeights: shape.highway ? { kernel: a[headAt + 2], bias: a[headAt + 3] } : undefined,
  };
}

const positiveInt = (v: unknown, max: number): v is number =>
  Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;

/** The GcaAttention layer's inputs: [states] or [states, window] ([layer, tensor index] each), or null. */
function gcaInputs(layer: Json): [string, number][] | null {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length !== 1 || !Array.isArray(nodes[0])) return null;
  const list = nodes[0] as unknown[];
  if (list.length < 1 || list.length > 2) return null;
  const out: [string, number][] = [];
  for (const n of list) {
    if (!Array.isArray(n) || typeof n[0] !== 'string' || n[1] !== 0 || !Number.isInteger(n[2])) return null;
    out.push([n[0], n[2] as number]);
  }
  return out;
}

/**
 * The plan of the 'gca' type's serve graph, or null when the topology is anything else (tfjs forecasts those).
 * @param weights the artifact's weights, decoded, in order.
 */
export function gcaPlan(topology: unknown, weights: PlanWeight[]): GcaPlan | null {
  const graph = graphOf(topology);
  if (!graph) return null;
  const { cfg, layers, byName, input, T, F } = graph;
  if (!positiveInt(T, 100000) || !positiveInt(F, 100000)) return null;

  // The GcaAttention layer and its options.
  const gca = layers.find((l) => l.class_name === 'GcaAttention');
  if (!gca || !isObj(gca.config)) return null;
  const g = gca.config;
  if (!Object.keys(g).every((k) => GCA_KEYS.has(k))) return null;
  const gate = (g.gate ?? 'softmax') as GcaGate;
  const initialMemory = (g.initial_memory ?? 'mean') as GcaInitialMemory;
  const featureAttention = g.feature_attention ?? false;
  const N = g.iterations ?? 2;
  const u = g.units;
  const da = g.attention_units;
  if (!GATES.includes(gate) || !MEMORIES.includes(initialMemory) || typeof featureAttention !== 'boolean') return null;
  if (!positiveInt(N, 3) || !positiveInt(u, 4096) || !positiveInt(da, 4096)) return null;

  const outputs = cfg.output_layers;
  const outCount = featureAttention ? 3 : 2;
  if (!Array.isArray(outputs) || outputs.length !== outCount || !outputs.every(Array.isArray)) return null;
  const [outF, ...outAtt] = outputs as unknown[][];
  if (outF[1] !== 0 || outF[2] !== 0) return null;
  if (outAtt.some((o, i) => o[0] !== gca.name || o[1] !== 0 || o[2] !== i + 2)) return null;
  const used = new Set<string>([String(input.name), String(gca.name)]);
  const split = splitHighway(byName.get(String(outF[0])), byName, String(input.name), used);
  if (!split) return null;
  const { head, highwayDense } = split;
  if (!head || head.class_name !== 'Dense') return null;
  used.add(String(head.name));
  const headIn = inboundTensor(head);
  if (!headIn || headIn[0] !== gca.name || headIn[1] !== 0) return null;
  const ins = gcaInputs(gca);
  if (!ins || ins.length !== (featureAttention ? 2 : 1)) return null;
  if (featureAttention && (ins[1][0] !== input.name || ins[1][1] !== 0)) return null;
  const lstm = byName.get(ins[0][0]);
  if (!lstm || ins[0][1] !== 0) return null;
  const enc = encoderChecks(lstm, input, head, highwayDense, used, layers.length);
  if (!enc) return null;
  const { act, rec, c } = enc;
  const d = c.units;
  const H = isObj(head.config) ? head.config.units : NaN;
  if (!positiveInt(d, 4096) || !positiveInt(H, 100000)) return null;
  if (highwayDense && (!isObj(highwayDense.config) || highwayDense.config.units !== H)) return null;

  // Weights follow the topology's layer order (the serve model's weights order); in GcaAttention, the order
  // its build() creates them. Slots: gcaSlotStarts.
  const { refineAt, featureAt, headAt } = gcaSlotStarts({ iterations: N, featureAttention });
  const expected: number[][] = [];
  const order: number[] = [];
  const add = (shapes: number[][], at: number): void => {
    shapes.forEach((s, i) => {
      expected.push(s);
      order.push(at + i);
    });
  };
  for (const l of layers) {
    if (l === lstm) add([[F, 4 * d], [d, 4 * d], [4 * d]], 0);
    else if (l === gca) {
      add([[d, da], [d, da], [da], [da, 1], [d, 4 * u], [u, 4 * u], [4 * u]], 3);
      for (let n = 0; n < N; n++) add([[u + d, d], [d]], refineAt + 2 * n);
      if (featureAttention) add([[F, da], [d, da], [da], [da, F], [F, 4 * u]], featureAt);
    } else if (l === head) add([[d, H], [H]], headAt);
    else if (l === highwayDense) add([[T * F, H], [H]], headAt + 2);
  }
  const a = orderedWeights(weights, expected, order);
  if (!a) return null;
  const plan = gcaWithArrays(
    {
      window: T,
      features: F,
      horizon: H,
      units: d,
      gatedUnits: u,
      attentionUnits: da,
      iterations: N,
      gate,
      initialMemory,
      featureAttention,
      highway: !!highwayDense,
      recurrentActivation: rec,
      activation: act,
    },
    a,
  );
  // A model whose weights and one window do not fit the kernel's memory bound is tfjs's to forecast.
  try {
    layout(plan, kernelExports()?.heapBase() ?? 0, 1);
  } catch {
    return null;
  }
  return plan;
}

/** What {@link predictGca} returns: the serve model's outputs. */
export interface GcaPrediction {
  /** [count, horizon] */
  forecast: Float32Array;
  /** alpha [count, N, window], each row sums to 1. */
  alpha: Float32Array;
  /** With feature attention: beta [count, N, window, features], summing to 1 over features. */
  beta?: Float32Array;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Where {@link predictGca} keeps what in the kernel's memory (byte offsets), for a chunk of `chunk` windows. */
interface Layout {
  base: number;
  projectCfg: number;
  gatedCfg: number;
  encoder: number[];
  scoreH: number;
  gatedKernel: number;
  gatedBias: number;
  recurrent: number;
  featureKernel: number;
  zeros: number;
  scratch: number;
  scores: number;
  inputs: number;
  gates: number;
  xTilde: number;
  featureInputs: number;
  h: number;
  c: number;
  z: number;
  x: number;
  end: number;
  chunk: number;
}

function layout(plan: GcaPlan, heapBase: number, count: number): Layout {
  const { window: T, features: F, units: D, gatedUnits: U, attentionUnits: DA } = plan;
  const DA4 = Math.ceil(DA / 4) * 4;
  const base = align(heapBase);
  const projectCfg = base + align(CFG_INTS * 4);
  const gatedCfg = projectCfg + align(7 * 4);
  let at = gatedCfg + align(11 * 4);
  const encoder: number[] = [];
  for (const w of plan.encoder) {
    encoder.push(at);
    at += align(w.byteLength);
  }
  const take = (bytes: number): number => {
    const here = at;
    at += align(bytes);
    return here;
  };
  const scoreH = take(D * DA4 * 4);
  const gatedKernel = take(plan.gated.kernel.byteLength);
  const gatedBias = take(plan.gated.bias.byteLength);
  const recurrent = take(plan.gated.recurrent.byteLength);
  const featureKernel = take(plan.feature ? plan.feature.kernel.byteLength : 0);
  const zeros = take(Math.max(DA4, 4 * U) * 4);
  // per window: its input, layer 1's H, C [T + 1, D] and Z [T, 4D], the score products [T, DA4], layer 2's
  // inputs [T, 4U], gates [T], with feature attention x~ [T, F] and its products [T, 4U], the state h, c [U]
  // and h U [4U]
  const fa = plan.feature ? 1 : 0;
  const perWindow =
    align(T * F * 4) + 4 * D * (6 * T + 2) + 4 * T * DA4 + 16 * T * U * (1 + fa) + 4 * T * (1 + fa * F) + 24 * U + 112;
  const room = Math.floor((KERNEL_MAX_BYTES - at - 64) / perWindow);
  if (room < 1) throw new Error(`the model needs more than the kernel's ${KERNEL_MAX_BYTES / 2 ** 20} MiB`);
  const chunk = Math.min(KERNEL_CHUNK, room, Math.max(1, count));
  const scratch = take(chunk * 4 * D * (6 * T + 2));
  const scores = take(chunk * T * DA4 * 4);
  const inputs = take(chunk * T * 16 * U);
  const gates = take(chunk * T * 4);
  const xTilde = take(fa * chunk * T * F * 4);
  const featureInputs = take(fa * chunk * T * 16 * U);
  const h = take(chunk * U * 4);
  const c = take(chunk * U * 4);
  const z = take(chunk * 16 * U);
  const x = take(chunk * T * F * 4);
  return {
    base,
    projectCfg,
    gatedCfg,
    encoder,
    scoreH,
    gatedKernel,
    gatedBias,
    recurrent,
    featureKernel,
    zeros,
    scratch,
    scores,
    inputs,
    gates,
    xTilde,
    featureInputs,
    h,
    c,
    z,
    x,
    end: at,
    chunk,
  };
}

/**
 * Forecasts `count` windows (x: [count, window, features] scaled, window-relative) of a 'gca' model; returns
 * what the tfjs serve model returns: the forecast, the attention of every iteration and, with feature
 * attention, the feature map. A window's values do not depend on the others forecast with it.
 * @throws Error when the kernel is not available or the plan does not fit its memory bound.
 */
export function predictGca(plan: GcaPlan, x: Float32Array, count: number): GcaPrediction {
  const k = kernelExports();
  if (!k) throw new Error(`the lstm kernel is not available: ${kernelLoadError() ?? 'not loaded'}`);
  const { window: T, features: F, horizon: H, units: D, gatedUnits: U, attentionUnits: DA, iterations: N } = plan;
  if (x.length !== count * T * F) throw new Error(`expected ${count} x ${T} x ${F} values, got ${x.length}`);
  const DA4 = Math.ceil(DA / 4) * 4;
  const at = layout(plan, k.heapBase(), count);
  const mem = k.memory;
  if (at.end > mem.buffer.byteLength) mem.grow(Math.ceil((at.end - mem.buffer.byteLength) / PAGE));
  if (!makeResident(plan)) {
    plan.encoder.forEach((w, i) => new Float32Array(mem.buffer, at.encoder[i], w.length).set(w));
    const padded = new Float32Array(mem.buffer, at.scoreH, D * DA4).fill(0);
    for (let j = 0; j < D; j++) padded.set(plan.score.h.subarray(j * DA, (j + 1) * DA), j * DA4);
    new Float32Array(mem.buffer, at.gatedKernel, 4 * D * U).set(plan.gated.kernel);
    new Float32Array(mem.buffer, at.gatedBias, 4 * U).set(plan.gated.bias);
    new Float32Array(mem.buffer, at.recurrent, 4 * U * U).set(plan.gated.recurrent);
    if (plan.feature) new Float32Array(mem.buffer, at.featureKernel, 4 * U * F).set(plan.feature.kernel);
    new Float32Array(mem.buffer, at.zeros, Math.max(DA4, 4 * U)).fill(0);
  }
  const ints = new Int32Array(mem.buffer, at.base, CFG_INTS);
  ints.fill(0);
  ints[1] = T;
  ints[2] = F;
  ints[3] = 1;
  ints[4] = D;
  ints[8] = plan.recurrentActivation;
  ints[9] = plan.activation;
  ints[10] = at.x;
  [ints[12], ints[13], ints[14]] = at.encoder;
  ints[22] = at.scratch;
  const pInts = new Int32Array(mem.buffer, at.projectCfg, 7);
  const out: GcaPrediction = {
    forecast: new Float32Array(count * H),
    alpha: new Float32Array(count * N * T),
    beta: plan.featureAttention ? new Float32Array(count * N * T * F) : undefined,
  };
  for (let s = 0; s < count; s += at.chunk) {
    const n = Math.min(at.chunk, count - s);
    ints[0] = n;
    new Float32Array(mem.buffer, at.x, n * T * F).set(x.subarray(s * T * F, (s + n) * T * F));
    k.encode(at.base);
    // H: step t's state of window b at ((t * n) + b) * D; step 0 is the zero state. Row t * n + b of the
    // products below is step t + 1 of window b.
    const states = at.scratch + n * D * 4;
    pInts.set([T * n, D, DA4, states, at.scoreH, at.zeros, at.scores]);
    k.project(at.projectCfg);
    pInts.set([T * n, D, 4 * U, states, at.gatedKernel, at.gatedBias, at.inputs]);
    k.project(at.projectCfg);
    chunkForecast(plan, at, mem, n, x, s, out);
  }
  return out;
}

/** The windows s..s + n of the chunk the kernel encoded: memory, iterations, head, into `out`. */
function chunkForecast(
  plan: GcaPlan,
  at: Layout,
  mem: WebAssembly.Memory,
  n: number,
  x: Float32Array,
  s: number,
  out: GcaPrediction,
): void {
  const k = kernelExports() as NonNullable<ReturnType<typeof kernelExports>>;
  const { window: T, features: F, horizon: H, units: D, gatedUnits: U, attentionUnits: DA, iterations: N } = plan;
  const DA4 = Math.ceil(DA / 4) * 4;
  const states = new Float32Array(mem.buffer, at.scratch, (T + 1) * n * D);
  const scores = new Float32Array(mem.buffer, at.scores, T * n * DA4);
  const hState = new Float32Array(mem.buffer, at.h, n * U);
  // g_t and x~_t of step t of window b at row t * n + b, as the kernel reads them
  const gate = new Float32Array(mem.buffer, at.gates, T * n);
  const xTilde = plan.feature ? new Float32Array(mem.buffer, at.xTilde, T * n * F) : null;
  const pInts = new Int32Array(mem.buffer, at.projectCfg, 7);
  const gInts = new Int32Array(mem.buffer, at.gatedCfg, 11);
  gInts.set([
    n,
    T,
    U,
    at.inputs,
    plan.feature ? at.featureInputs : 0,
    at.gates,
    at.recurrent,
    at.zeros,
    at.h,
    at.c,
    at.z,
  ]);

  // F_0 of every window
  const memory = new Float64Array(n * D);
  for (let b = 0; b < n; b++) {
    if (plan.initialMemory === 'last') {
      for (let j = 0; j < D; j++) memory[b * D + j] = states[(T * n + b) * D + j];
    } else {
      for (let t = 1; t <= T; t++) {
        for (let j = 0, r = (t * n + b) * D; j < D; j++) memory[b * D + j] += states[r + j];
      }
      for (let j = 0; j < D; j++) memory[b * D + j] /= T;
    }
  }
  const fx = plan.feature ? featureProducts(plan, x, s, n) : null;
  for (let it = 0; it < N; it++) {
    for (let b = 0; b < n; b++) {
      attend(plan, scores, n, b, memory.subarray(b * D, (b + 1) * D), it, s + b, gate, out.alpha);
      if (fx && xTilde && out.beta) {
        attendFeatures(plan, fx, x, n, b, memory.subarray(b * D, (b + 1) * D), it, s + b, xTilde, out.beta);
      }
    }
    if (xTilde) {
      // x~_t K_x of every step and window, this iteration's
      pInts.set([T * n, F, 4 * U, at.xTilde, at.featureKernel, at.zeros, at.featureInputs]);
      k.project(at.projectCfg);
    }
    // Layer 2 from a fresh state: C_t = g_t i_t C~_t + (1 - g_t) f_t C_{t-1}, h_t = o_t tanh(C_t).
    k.gated(at.gatedCfg);
    // F_n = ReLU(W_F^n [o_n ; F_{n-1}] + b_F^n)
    const { kernel, bias } = plan.refine[it];
    const next = new Float64Array(D);
    for (let b = 0; b < n; b++) {
      for (let q = 0; q < D; q++) next[q] = bias[q];
      for (let j = 0; j < U; j++) {
        const hj = hState[b * U + j];
        for (let q = 0, r = j * D; q < D; q++) next[q] += hj * kernel[r + q];
      }
      for (let j = 0; j < D; j++) {
        const mj = memory[b * D + j];
        for (let q = 0, r = (U + j) * D; q < D; q++) next[q] += mj * kernel[r + q];
      }
      for (let q = 0; q < D; q++) memory[b * D + q] = Math.max(0, next[q]);
    }
  }
  // The shared head on F_N, plus the highway on the flattened window.
  const { kernel: headW, bias: headB } = plan.head;
  const hw = plan.highwayWeights;
  const y = new Float64Array(H);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < H; o++) y[o] = headB[o] + (hw ? hw.bias[o] : 0);
    for (let j = 0; j < D; j++) {
      const mj = memory[b * D + j];
      for (let o = 0, r = j * H; o < H; o++) y[o] += mj * headW[r + o];
    }
    if (hw) {
      const xAt = (s + b) * T * F;
      for (let i = 0; i < T * F; i++) {
        const xi = x[xAt + i];
        for (let o = 0, r = i * H; o < H; o++) y[o] += xi * hw.kernel[r + o];
      }
    }
    out.forecast.set(y, (s + b) * H);
  }
}

/** Window w's (chunk row b) attention of iteration `it` into alpha, and its gate g_t into gate [n, T]. */
function attend(
  plan: GcaPlan,
  scores: Float32Array,
  n: number,
  b: number,
  memory: Float64Array,
  it: number,
  w: number,
  gate: Float32Array,
  alpha: Float32Array,
): void {
  const { window: T, units: D, attentionUnits: DA, iterations: N } = plan;
  const DA4 = Math.ceil(DA / 4) * 4;
  const { memory: wM, bias, v } = plan.score;
  // W_e2's memory half on F_{n-1}, plus b, shared by every step's score
  const keyed = new Float64Array(DA);
  for (let q = 0; q < DA; q++) keyed[q] = bias[q];
  for (let j = 0; j < D; j++) {
    const mj = memory[j];
    for (let q = 0, r = j * DA; q < DA; q++) keyed[q] += mj * wM[r + q];
  }
  const e = new Float64Array(T);
  let top = -Infinity;
  for (let t = 0; t < T; t++) {
    const pAt = (t * n + b) * DA4;
    let score = 0;
    for (let q = 0; q < DA; q++) score += v[q] * Math.tanh(scores[pAt + q] + keyed[q]);
    e[t] = score;
    if (score > top) top = score;
  }
  let sum = 0;
  const a = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    a[t] = Math.exp(e[t] - top);
    sum += a[t];
  }
  let most = 0;
  for (let t = 0; t < T; t++) {
    a[t] /= sum;
    if (a[t] > most) most = a[t];
    alpha[(w * N + it) * T + t] = a[t];
  }
  for (let t = 0; t < T; t++) {
    gate[t * n + b] = plan.gate === 'softmax' ? a[t] : plan.gate === 'max' ? a[t] / most : sigmoid(e[t]);
  }
}

/** W_bx x_t of every step of the chunk's windows ([n, T, da]): the same in every iteration. */
function featureProducts(plan: GcaPlan, x: Float32Array, s: number, n: number): Float64Array {
  const { window: T, features: F, attentionUnits: DA } = plan;
  const wX = (plan.feature as NonNullable<GcaPlan['feature']>).x;
  const out = new Float64Array(n * T * DA);
  for (let b = 0; b < n; b++) {
    for (let t = 0; t < T; t++) {
      const xAt = ((s + b) * T + t) * F;
      const oAt = (b * T + t) * DA;
      for (let f = 0; f < F; f++) {
        const xf = x[xAt + f];
        for (let q = 0, r = f * DA; q < DA; q++) out[oAt + q] += xf * wX[r + q];
      }
    }
  }
  return out;
}

/**
 * Window w's (chunk row b) feature attention of iteration `it`: beta_t = softmax_f(W_b^T tanh(W_bx x_t + W_bF F +
 * b_b)) into beta, and the re-weighted input x~_t = F beta_t x_t into xTilde [T, n, F].
 */
function attendFeatures(
  plan: GcaPlan,
  fx: Float64Array,
  x: Float32Array,
  n: number,
  b: number,
  memory: Float64Array,
  it: number,
  w: number,
  xTilde: Float32Array,
  beta: Float32Array,
): void {
  const { window: T, features: F, units: D, attentionUnits: DA, iterations: N } = plan;
  const { memory: wM, bias, v } = plan.feature as NonNullable<GcaPlan['feature']>;
  const keyed = new Float64Array(DA);
  for (let q = 0; q < DA; q++) keyed[q] = bias[q];
  for (let j = 0; j < D; j++) {
    const mj = memory[j];
    for (let q = 0, r = j * DA; q < DA; q++) keyed[q] += mj * wM[r + q];
  }
  const act = new Float64Array(DA);
  const e = new Float64Array(F);
  for (let t = 0; t < T; t++) {
    const fAt = (b * T + t) * DA;
    for (let q = 0; q < DA; q++) act[q] = Math.tanh(fx[fAt + q] + keyed[q]);
    let top = -Infinity;
    for (let f = 0; f < F; f++) {
      let score = 0;
      for (let q = 0; q < DA; q++) score += act[q] * v[q * F + f];
      e[f] = score;
      if (score > top) top = score;
    }
    let sum = 0;
    for (let f = 0; f < F; f++) {
      e[f] = Math.exp(e[f] - top);
      sum += e[f];
    }
    const xAt = (w * T + t) * F;
    const bAt = ((w * N + it) * T + t) * F;
    for (let f = 0; f < F; f++) {
      const bf = e[f] / sum;
      beta[bAt + f] = bf;
      xTilde[(t * n + b) * F + f] = F * bf * x[xAt + f];
    }
  }
}

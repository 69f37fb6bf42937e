/**
 * The 'gca' type's training step around the fused kernel (model/kernel.ts): the kernel runs layer 1 forward
 * (every step kept) and, from the gradient of every step's state, backward through time, and Adam
 * (tf.train.adam's) over every weight; the rest of the graph (score, softmax and gate, feature attention,
 * the gated layer 2 through time, the refinement, the head on every F_n and the highway), forward and
 * backward, runs here in float64 over the kernel's float32 states, as gca.ts computes it. The loss is the
 * train model's: the mean squared error of every iteration's forecast (deep supervision).
 *
 * Weights are in {@link gcaArrays}' order (gcaPlan's slots) and start as the plan's; read them back with
 * {@link GcaTrainer.weights}.
 */
import {
  AdamPowers,
  KERNEL_MAX_BYTES,
  PAGE,
  align,
  encoderTrainCfg,
  freshInstance,
  type KernelExports,
  type KernelTrainOptions,
} from './kernel';
import { gcaArrays, gcaSlotStarts, type GcaPlan } from './kernel-gca';

const CFG_INTS = 42;
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** One window's forward values that the backward pass reads, per iteration where they depend on it. */
interface Work {
  sH: Float64Array; // [T, DA] h_t W_e2
  inp: Float64Array; // [T, 4U] layer 2's h_t K + b
  fX: Float64Array; // [T, DA] x_t W_bx
  hw: Float64Array; // [H] the highway's term
  fin: Float64Array[]; // N x [D] F_{n-1}
  act: Float64Array[]; // N x [T, DA] tanh of the score's pre-activation
  alpha: Float64Array[]; // N x [T]
  gate: Float64Array[]; // N x [T]
  af: Float64Array[]; // N x [T, DA] feature attention's tanh
  beta: Float64Array[]; // N x [T, F]
  xt: Float64Array[]; // N x [T, F] x~
  gates: Float64Array[]; // N x [T, 4U] i, f, C~, o
  c: Float64Array[]; // N x [T + 1, U]
  h: Float64Array[]; // N x [T + 1, U]
  pre: Float64Array[]; // N x [D] the refinement's pre-activation
  fout: Float64Array[]; // N x [D] F_n
  dOut: Float64Array[]; // N x [H] d loss / d forecast_n
}

/**
 * Trains a 'gca' plan's weights in its own kernel instance, one {@link GcaTrainer.step} per batch
 * (forward, backward, Adam), the same interface as AttentionTrainer.
 */
export class GcaTrainer {
  private readonly k: KernelExports;
  private readonly base: number;
  private readonly offsets: number[];
  private readonly xAt: number;
  private readonly statesAt: number;
  private readonly dHAt: number;
  private readonly scoresAt: number;
  private readonly inputsAt: number;
  private readonly wSHAt: number;
  private readonly dWSHAt: number;
  private readonly dK2At: number;
  private readonly zerosAt: number;
  private readonly projectCfg: number;
  private readonly da4: number;
  /** h_t W_e2 [T, B, DA4] and layer 2's input h_t K + b [T, B, 4U] (step t of window b at row t B + b); the
   * backward leaves their gradients there, for the kernel's projectBackward. */
  private readonly scores: Float32Array;
  private readonly inputs: Float32Array;
  private readonly adam: AdamPowers;
  private readonly ints: Int32Array;
  private readonly floats: Float32Array;
  private readonly arrays: Float32Array[];
  /** Views of the weights (w) and their gradients (g) in the kernel's memory, in {@link gcaArrays}' order. */
  private readonly w: Float32Array[];
  private readonly g: Float32Array[];
  /** The gradients of slots 3 on, summed over a step's windows. */
  private readonly acc: Float64Array[];
  private readonly trainHighway: boolean;
  private readonly featureAt: number;
  private readonly headAt: number;
  private readonly work: Work;
  private readonly dh1: Float64Array;
  /** Layer 2's recurrent kernel, a float64 copy per step: V8's loops over it run faster than over a view of the kernel's memory. */
  private readonly r2: Float64Array;

  constructor(
    readonly plan: GcaPlan,
    private readonly o: KernelTrainOptions,
  ) {
    this.k = freshInstance();
    const { window: T, features: F, horizon: H, units: D, gatedUnits: U, attentionUnits: DA, iterations: N } = plan;
    const B = o.batchSize;
    if (!(Number.isInteger(B) && B >= 1)) throw new Error(`expected a batch size of 1 or more, got ${B}`);
    this.arrays = gcaArrays(plan);
    ({ featureAt: this.featureAt, headAt: this.headAt } = gcaSlotStarts(plan));
    this.base = align(this.k.heapBase());
    let at = this.base + align(CFG_INTS * 4);
    const paramsStart = at;
    this.offsets = this.arrays.map((a) => {
      const off = at;
      at += align(a.byteLength);
      return off;
    });
    const P = at - paramsStart;
    at += 3 * P; // gradients, first and second moments
    const take = (bytes: number): number => {
      const off = at;
      at += align(bytes);
      return off;
    };
    this.xAt = take(B * T * F * 4);
    this.statesAt = take(B * D * (6 * T + 2) * 4); // encode's H, C [T + 1, B, D] and Z [T, B, 4D]
    this.dHAt = take(T * B * D * 4);
    const backAt = take(3 * B * D * 4 + 16 * B * D); // dh, dc, dh' [B, D], dZ [B, 4D]
    const DA4 = Math.ceil(DA / 4) * 4;
    this.da4 = DA4;
    this.scoresAt = take(T * B * DA4 * 4);
    this.inputsAt = take(T * B * 16 * U);
    this.wSHAt = take(D * DA4 * 4); // W_e2 padded to DA4 columns with zeros
    this.dWSHAt = take(D * DA4 * 4);
    this.dK2At = take(D * 16 * U); // K's gradient (encodeBackward clears the gradients' range)
    this.zerosAt = take(DA4 * 4);
    this.projectCfg = take(8 * 4);
    at += 64;
    if (at > KERNEL_MAX_BYTES) {
      throw new Error(`training this model in batches of ${B} needs more than ${KERNEL_MAX_BYTES / 2 ** 20} MiB`);
    }
    const mem = this.k.memory;
    if (at > mem.buffer.byteLength) mem.grow(Math.ceil((at - mem.buffer.byteLength) / PAGE));
    this.w = this.arrays.map((a, i) => new Float32Array(mem.buffer, this.offsets[i], a.length));
    this.g = this.arrays.map((a, i) => new Float32Array(mem.buffer, this.offsets[i] + P, a.length));
    this.arrays.forEach((a, i) => this.w[i].set(a));
    new Float32Array(mem.buffer, this.zerosAt, DA4).fill(0);
    this.scores = new Float32Array(mem.buffer, this.scoresAt, T * B * DA4);
    this.inputs = new Float32Array(mem.buffer, this.inputsAt, T * B * 4 * U);
    this.acc = this.arrays.map((a, i) => new Float64Array(i < 3 ? 0 : a.length));
    this.trainHighway = plan.highway && !o.frozenHighway;
    this.adam = new AdamPowers(o.beta1 ?? 0.9, o.beta2 ?? 0.999);
    this.ints = new Int32Array(mem.buffer, this.base, CFG_INTS);
    this.floats = new Float32Array(mem.buffer, this.base, CFG_INTS);
    encoderTrainCfg(this.ints, this.floats, {
      T,
      F,
      units: D,
      H,
      plan,
      xAt: this.xAt,
      offsets: this.offsets,
      statesAt: this.statesAt,
      P,
      paramsStart,
      // the frozen highway (the last two arrays) is left out of Adam's range
      adamEnd: plan.highway && o.frozenHighway ? this.offsets[this.headAt + 2] - paramsStart : P,
      backAt,
      dHAt: this.dHAt,
      o,
      adam: this.adam,
    });
    const per = (n: number): Float64Array[] => Array.from({ length: N }, () => new Float64Array(n));
    const fa = plan.feature ? 1 : 0;
    this.work = {
      sH: new Float64Array(T * DA),
      inp: new Float64Array(T * 4 * U),
      fX: new Float64Array(fa * T * DA),
      hw: new Float64Array(H),
      fin: per(D),
      act: per(T * DA),
      alpha: per(T),
      gate: per(T),
      af: per(fa * T * DA),
      beta: per(fa * T * F),
      xt: per(fa * T * F),
      gates: per(T * 4 * U),
      c: per((T + 1) * U),
      h: per((T + 1) * U),
      pre: per(D),
      fout: per(D),
      dOut: per(H),
    };
    this.dh1 = new Float64Array(T * D);
    this.r2 = new Float64Array(U * 4 * U);
  }

  /**
   * One step on `count` windows (x [count, T, F], y [count, N, H]: the target of every iteration, scaled):
   * the train model's mean squared error before the step; with `update` false only the gradients are
   * computed (see {@link gradients}).
   */
  step(x: Float32Array, y: Float32Array, count: number, update = true): number {
    const {
      window: T,
      features: F,
      horizon: H,
      units: D,
      gatedUnits: U,
      attentionUnits: DA,
      iterations: N,
    } = this.plan;
    if (count < 1 || count > this.o.batchSize) throw new Error(`expected 1-${this.o.batchSize} windows, got ${count}`);
    if (x.length !== count * T * F || y.length !== count * N * H) {
      throw new Error(
        `expected ${count} x ${T} x ${F} inputs and ${count} x ${N} x ${H} targets, got ${x.length}, ${y.length}`,
      );
    }
    const buf = this.k.memory.buffer;
    new Float32Array(buf, this.xAt, x.length).set(x);
    this.ints[0] = count;
    this.k.encode(this.base);
    const states = new Float32Array(buf, this.statesAt, (T + 1) * count * D);
    const dH = new Float32Array(buf, this.dHAt, T * count * D);
    // h_t W_e2 and h_t K + b of every step and window, in the kernel
    const DA4 = this.da4;
    const wSH = this.w[3];
    const padded = new Float32Array(buf, this.wSHAt, D * DA4);
    for (let j = 0; j < D; j++) padded.set(wSH.subarray(j * DA, (j + 1) * DA), j * DA4);
    const cfg = new Int32Array(buf, this.projectCfg, 8);
    const rows = this.statesAt + count * D * 4;
    cfg.set([T * count, D, DA4, rows, this.wSHAt, this.zerosAt, this.scoresAt]);
    this.k.project(this.projectCfg);
    cfg.set([T * count, D, 4 * U, rows, this.offsets[7], this.offsets[9], this.inputsAt]);
    this.k.project(this.projectCfg);
    for (const a of this.acc) a.fill(0);
    this.r2.set(this.w[8]);
    let loss = 0;
    for (let b = 0; b < count; b++) {
      loss += this.forward(states, x, y, count, b);
      this.backward(states, x, count, b);
      for (let t = 0; t < T; t++) {
        const row = (t * count + b) * D;
        for (let j = 0; j < D; j++) dH[row + j] = this.dh1[t * D + j];
      }
    }
    // the backward of h_t W_e2 and h_t K (their gradients where their values were): W_e2's and K's gradients,
    // layer 1's states' shares into dH
    const dWSH = new Float32Array(buf, this.dWSHAt, D * DA4).fill(0);
    cfg.set([T * count, D, DA4, rows, this.wSHAt, this.scoresAt, this.dWSHAt, this.dHAt]);
    this.k.projectBackward(this.projectCfg);
    for (let j = 0; j < D; j++) this.acc[3].set(dWSH.subarray(j * DA4, j * DA4 + DA), j * DA);
    const dK2 = new Float32Array(buf, this.dK2At, D * 4 * U).fill(0);
    cfg.set([T * count, D, 4 * U, rows, this.offsets[7], this.inputsAt, this.dK2At, this.dHAt]);
    this.k.projectBackward(this.projectCfg);
    this.k.encodeBackward(this.base);
    const last = this.trainHighway ? this.acc.length : this.headAt + 2;
    for (let i = 3; i < last; i++) if (i !== 7) this.g[i].set(this.acc[i]);
    this.g[7].set(dK2);
    if (update) {
      this.adam.write(this.floats);
      this.k.adamStep(this.base);
      this.adam.advance();
    }
    return Math.fround(loss / (count * N * H));
  }

  /** Window b's forward through the whole graph: its squared error, every iteration's d loss / d forecast. */
  private forward(states: Float32Array, x: Float32Array, y: Float32Array, n: number, b: number): number {
    const p = this.plan;
    const { window: T, features: F, horizon: H, units: D, gatedUnits: U, attentionUnits: DA, iterations: N } = p;
    const w = this.w;
    const [, wSM, bS, v] = w.slice(3, 10);
    const r2 = this.r2;
    const fe = p.feature ? w.slice(this.featureAt, this.featureAt + 5) : [];
    const [wFX, wFM, bF, wB, kF] = fe;
    const [headW, headB, hwW, hwB] = w.slice(this.headAt);
    const wk = this.work;
    const U4 = 4 * U;
    const hAt = (t: number): number => ((t + 1) * n + b) * D;
    const xAt = b * T * F;
    // what does not depend on the iteration
    for (let t = 0; t < T; t++) {
      const sRow = t * DA;
      const iRow = t * U4;
      const row = t * n + b;
      for (let k = 0; k < DA; k++) wk.sH[sRow + k] = this.scores[row * this.da4 + k];
      for (let m = 0; m < U4; m++) wk.inp[iRow + m] = this.inputs[row * U4 + m];
      if (p.feature) {
        for (let k = 0; k < DA; k++) wk.fX[sRow + k] = 0;
        for (let f = 0; f < F; f++) {
          const xf = x[xAt + t * F + f];
          for (let k = 0, r = f * DA; k < DA; k++) wk.fX[sRow + k] += xf * wFX[r + k];
        }
      }
    }
    for (let o = 0; o < H; o++) wk.hw[o] = p.highway ? hwB[o] : 0;
    if (p.highway) {
      for (let i = 0; i < T * F; i++) {
        const xi = x[xAt + i];
        for (let o = 0, r = i * H; o < H; o++) wk.hw[o] += xi * hwW[r + o];
      }
    }
    const f0 = wk.fin[0];
    if (p.initialMemory === 'mean') {
      f0.fill(0);
      for (let t = 0; t < T; t++) for (let j = 0; j < D; j++) f0[j] += states[hAt(t) + j];
      for (let j = 0; j < D; j++) f0[j] /= T;
    } else for (let j = 0; j < D; j++) f0[j] = states[hAt(T - 1) + j];
    const q = new Float64Array(DA);
    let sq = 0;
    const scale = 2 / (n * N * H);
    for (let it = 0; it < N; it++) {
      const fin = wk.fin[it];
      // the score e_t = v . tanh(h_t W_e2 + F W_e1 + b), softmax, gate
      for (let k = 0; k < DA; k++) q[k] = bS[k];
      for (let j = 0; j < D; j++) for (let k = 0, r = j * DA; k < DA; k++) q[k] += fin[j] * wSM[r + k];
      const act = wk.act[it];
      const alpha = wk.alpha[it];
      const gate = wk.gate[it];
      let top = -Infinity;
      for (let t = 0; t < T; t++) {
        let e = 0;
        for (let k = 0, r = t * DA; k < DA; k++) {
          const a = Math.tanh(wk.sH[r + k] + q[k]);
          act[r + k] = a;
          e += v[k] * a;
        }
        gate[t] = e; // the score, until the gate replaces it
        if (e > top) top = e;
      }
      let sum = 0;
      for (let t = 0; t < T; t++) sum += alpha[t] = Math.exp(gate[t] - top);
      let most = 0;
      for (let t = 0; t < T; t++) {
        alpha[t] /= sum;
        if (alpha[t] > most) most = alpha[t];
      }
      for (let t = 0; t < T; t++) {
        gate[t] = p.gate === 'softmax' ? alpha[t] : p.gate === 'max' ? alpha[t] / most : sigmoid(gate[t]);
      }
      // feature attention: x~_t = F softmax_f(tanh(x_t W_bx + F W_bF + b_b) W_b) (.) x_t
      const xt = wk.xt[it];
      if (p.feature) {
        const qf = new Float64Array(DA);
        for (let k = 0; k < DA; k++) qf[k] = bF[k];
        for (let j = 0; j < D; j++) for (let k = 0, r = j * DA; k < DA; k++) qf[k] += fin[j] * wFM[r + k];
        const af = wk.af[it];
        const beta = wk.beta[it];
        for (let t = 0; t < T; t++) {
          for (let k = 0, r = t * DA; k < DA; k++) af[r + k] = Math.tanh(wk.fX[r + k] + qf[k]);
          let bt = -Infinity;
          for (let f = 0; f < F; f++) {
            let s = 0;
            for (let k = 0; k < DA; k++) s += af[t * DA + k] * wB[k * F + f];
            beta[t * F + f] = s;
            if (s > bt) bt = s;
          }
          let bs = 0;
          for (let f = 0; f < F; f++) bs += beta[t * F + f] = Math.exp(beta[t * F + f] - bt);
          for (let f = 0; f < F; f++) {
            beta[t * F + f] /= bs;
            xt[t * F + f] = F * beta[t * F + f] * x[xAt + t * F + f];
          }
        }
      }
      // layer 2, fresh state: C_t = g_t i C~ + (1 - g_t) f C_{t-1}; h_t = o tanh(C_t)
      const gs = wk.gates[it];
      const c = wk.c[it];
      const h = wk.h[it];
      c.fill(0, 0, U);
      h.fill(0, 0, U);
      const z = new Float64Array(U4);
      for (let t = 0; t < T; t++) {
        for (let m = 0; m < U4; m++) z[m] = wk.inp[t * U4 + m];
        for (let j = 0; j < U; j++) {
          const hj = h[t * U + j];
          if (hj !== 0) for (let m = 0, r = j * U4; m < U4; m++) z[m] += hj * r2[r + m];
        }
        if (p.feature) {
          for (let f = 0; f < F; f++) {
            const xf = xt[t * F + f];
            for (let m = 0, r = f * U4; m < U4; m++) z[m] += xf * kF[r + m];
          }
        }
        const g = gate[t];
        for (let j = 0; j < U; j++) {
          const i = sigmoid(z[j]);
          const fg = sigmoid(z[U + j]);
          const cc = Math.tanh(z[2 * U + j]);
          const og = sigmoid(z[3 * U + j]);
          const row = t * U4;
          gs[row + j] = i;
          gs[row + U + j] = fg;
          gs[row + 2 * U + j] = cc;
          gs[row + 3 * U + j] = og;
          const cell = g * i * cc + (1 - g) * fg * c[t * U + j];
          c[(t + 1) * U + j] = cell;
          h[(t + 1) * U + j] = og * Math.tanh(cell);
        }
      }
      // F_n = ReLU([o_n ; F_{n-1}] W_F + b_F); the head on F_n plus the highway
      const { kernel: rW, bias: rB } = this.refineOf(it);
      const pre = wk.pre[it];
      const fout = wk.fout[it];
      for (let j = 0; j < D; j++) pre[j] = rB[j];
      for (let r = 0; r < U; r++) {
        const hr = h[T * U + r];
        for (let j = 0, at = r * D; j < D; j++) pre[j] += hr * rW[at + j];
      }
      for (let r = 0; r < D; r++) {
        const fr = fin[r];
        for (let j = 0, at = (U + r) * D; j < D; j++) pre[j] += fr * rW[at + j];
      }
      for (let j = 0; j < D; j++) fout[j] = pre[j] > 0 ? pre[j] : 0;
      if (it + 1 < N) wk.fin[it + 1].set(fout);
      const dOut = wk.dOut[it];
      for (let o = 0; o < H; o++) {
        let out = headB[o] + wk.hw[o];
        for (let j = 0; j < D; j++) out += fout[j] * headW[j * H + o];
        const e = out - y[(b * N + it) * H + o];
        sq += e * e;
        dOut[o] = e * scale;
      }
    }
    return sq;
  }

  private refineOf(it: number): { kernel: Float32Array; bias: Float32Array } {
    return { kernel: this.w[10 + 2 * it], bias: this.w[11 + 2 * it] };
  }

  /** Window b's backward: its share of slots 3 on into acc, the gradient of layer 1's states into dh1. */
  private backward(states: Float32Array, x: Float32Array, n: number, b: number): void {
    const p = this.plan;
    const { window: T, features: F, horizon: H, units: D, gatedUnits: U, attentionUnits: DA, iterations: N } = p;
    const w = this.w;
    const [, wSM, , v] = w.slice(3, 10);
    const r2 = this.r2;
    const [, gSM, gBS, gV, , gR2, gB2] = this.acc.slice(3, 10);
    const [, wFM, , wB, kF] = p.feature ? w.slice(this.featureAt, this.featureAt + 5) : [];
    const [gFX, gFM, gBF, gWB, gKF] = p.feature ? this.acc.slice(this.featureAt, this.featureAt + 5) : [];
    const [headW] = w.slice(this.headAt);
    const [gHeadW, gHeadB, gHwW, gHwB] = this.acc.slice(this.headAt);
    const wk = this.work;
    const U4 = 4 * U;
    const xAt = b * T * F;
    const dh1 = this.dh1.fill(0);
    const dSH = new Float64Array(T * DA);
    const dInp = new Float64Array(T * U4);
    const dFX = new Float64Array(p.feature ? T * DA : 0);
    const dHw = new Float64Array(H);
    let dF = new Float64Array(D);
    const dPrev = new Float64Array(D);
    const dpre = new Float64Array(D);
    const dh = new Float64Array(U);
    const dc = new Float64Array(U);
    const dhPrev = new Float64Array(U);
    const dz = new Float64Array(U4);
    const dg = new Float64Array(T);
    const dq = new Float64Array(DA);
    const dxt = new Float64Array(p.feature ? T * F : 0);
    for (let it = N - 1; it >= 0; it--) {
      const fin = wk.fin[it];
      const fout = wk.fout[it];
      const dOut = wk.dOut[it];
      // head (the same on every F_n) and the highway's share
      for (let o = 0; o < H; o++) {
        gHeadB[o] += dOut[o];
        dHw[o] += dOut[o];
      }
      for (let j = 0; j < D; j++) {
        let s = 0;
        for (let o = 0, r = j * H; o < H; o++) {
          gHeadW[r + o] += fout[j] * dOut[o];
          s += headW[r + o] * dOut[o];
        }
        dF[j] += s;
      }
      // refinement
      const pre = wk.pre[it];
      const { kernel: rW } = this.refineOf(it);
      const gRW = this.acc[10 + 2 * it];
      const gRB = this.acc[11 + 2 * it];
      for (let j = 0; j < D; j++) {
        dpre[j] = pre[j] > 0 ? dF[j] : 0;
        gRB[j] += dpre[j];
      }
      const h = wk.h[it];
      const c = wk.c[it];
      for (let r = 0; r < U; r++) {
        const hr = h[T * U + r];
        let s = 0;
        for (let j = 0, at = r * D; j < D; j++) {
          gRW[at + j] += hr * dpre[j];
          s += rW[at + j] * dpre[j];
        }
        dh[r] = s;
      }
      for (let r = 0; r < D; r++) {
        const fr = fin[r];
        let s = 0;
        for (let j = 0, at = (U + r) * D; j < D; j++) {
          gRW[at + j] += fr * dpre[j];
          s += rW[at + j] * dpre[j];
        }
        dPrev[r] = s;
      }
      // layer 2 backward through time
      const gs = wk.gates[it];
      const gate = wk.gate[it];
      const xt = wk.xt[it];
      dc.fill(0);
      for (let t = T - 1; t >= 0; t--) {
        const g = gate[t];
        const row = t * U4;
        let dgt = 0;
        for (let j = 0; j < U; j++) {
          const i = gs[row + j];
          const fg = gs[row + U + j];
          const cc = gs[row + 2 * U + j];
          const og = gs[row + 3 * U + j];
          const cPrev = c[t * U + j];
          const tc = Math.tanh(c[(t + 1) * U + j]);
          const dO = dh[j] * tc;
          const dcj = dc[j] + dh[j] * og * (1 - tc * tc);
          dgt += dcj * (i * cc - fg * cPrev);
          dz[j] = dcj * g * cc * i * (1 - i);
          dz[U + j] = dcj * (1 - g) * cPrev * fg * (1 - fg);
          dz[2 * U + j] = dcj * g * i * (1 - cc * cc);
          dz[3 * U + j] = dO * og * (1 - og);
          dc[j] = dcj * (1 - g) * fg;
        }
        dg[t] = dgt;
        for (let m = 0; m < U4; m++) dInp[row + m] += dz[m];
        for (let r = 0; r < U; r++) {
          const hr = h[t * U + r];
          let s = 0;
          for (let m = 0, at = r * U4; m < U4; m++) {
            gR2[at + m] += hr * dz[m];
            s += r2[at + m] * dz[m];
          }
          dhPrev[r] = s;
        }
        if (p.feature) {
          for (let f = 0; f < F; f++) {
            const xf = xt[t * F + f];
            let s = 0;
            for (let m = 0, at = f * U4; m < U4; m++) {
              gKF[at + m] += xf * dz[m];
              s += kF[at + m] * dz[m];
            }
            dxt[t * F + f] = s;
          }
        }
        dh.set(dhPrev);
      }
      // feature attention backward: softmax over features, tanh, W_bx x_t, F W_bF + b_b
      if (p.feature) {
        const af = wk.af[it];
        const beta = wk.beta[it];
        dq.fill(0);
        const ds = new Float64Array(F);
        for (let t = 0; t < T; t++) {
          let mean = 0;
          for (let f = 0; f < F; f++) {
            const db = dxt[t * F + f] * F * x[xAt + t * F + f];
            ds[f] = db;
            mean += beta[t * F + f] * db;
          }
          for (let f = 0; f < F; f++) ds[f] = beta[t * F + f] * (ds[f] - mean);
          for (let k = 0, r = t * DA; k < DA; k++) {
            const a = af[r + k];
            let s = 0;
            for (let f = 0; f < F; f++) {
              gWB[k * F + f] += a * ds[f];
              s += wB[k * F + f] * ds[f];
            }
            const d = s * (1 - a * a);
            dFX[r + k] += d;
            dq[k] += d;
          }
        }
        for (let k = 0; k < DA; k++) gBF[k] += dq[k];
        for (let j = 0; j < D; j++) {
          let s = 0;
          for (let k = 0, r = j * DA; k < DA; k++) {
            gFM[r + k] += fin[j] * dq[k];
            s += wFM[r + k] * dq[k];
          }
          dPrev[j] += s;
        }
      }
      // the gate from alpha (or the score), the softmax, the score
      const alpha = wk.alpha[it];
      const act = wk.act[it];
      const de = new Float64Array(T);
      if (p.gate === 'sigmoid') {
        for (let t = 0; t < T; t++) de[t] = dg[t] * gate[t] * (1 - gate[t]);
      } else {
        const dAlpha = new Float64Array(T);
        if (p.gate === 'softmax') dAlpha.set(dg);
        else {
          let most = 0;
          for (let t = 0; t < T; t++) if (alpha[t] > most) most = alpha[t];
          let dm = 0;
          for (let t = 0; t < T; t++) {
            dAlpha[t] = dg[t] / most;
            dm -= (dg[t] * alpha[t]) / (most * most);
          }
          // tf.max's gradient reaches every element equal to the maximum
          for (let t = 0; t < T; t++) if (alpha[t] === most) dAlpha[t] += dm;
        }
        let mean = 0;
        for (let t = 0; t < T; t++) mean += alpha[t] * dAlpha[t];
        for (let t = 0; t < T; t++) de[t] = alpha[t] * (dAlpha[t] - mean);
      }
      dq.fill(0);
      for (let t = 0; t < T; t++) {
        for (let k = 0, r = t * DA; k < DA; k++) {
          const a = act[r + k];
          gV[k] += de[t] * a;
          const d = de[t] * v[k] * (1 - a * a);
          dSH[r + k] += d;
          dq[k] += d;
        }
      }
      for (let k = 0; k < DA; k++) gBS[k] += dq[k];
      for (let j = 0; j < D; j++) {
        let s = 0;
        for (let k = 0, r = j * DA; k < DA; k++) {
          gSM[r + k] += fin[j] * dq[k];
          s += wSM[r + k] * dq[k];
        }
        dPrev[j] += s;
      }
      // F_{n-1}'s gradient is the previous iteration's F_n's (its head's share is added there)
      const next = dF;
      dF = Float64Array.from(dPrev);
      next.fill(0);
    }
    // F_0 from layer 1's states
    if (p.initialMemory === 'mean') {
      for (let t = 0; t < T; t++) for (let j = 0; j < D; j++) dh1[t * D + j] += dF[j] / T;
    } else for (let j = 0; j < D; j++) dh1[(T - 1) * D + j] += dF[j];
    // the gradients of h_t W_e2 and of layer 2's input h_t K + b, where their values were (the kernel's
    // projectBackward takes them on); b's here
    for (let t = 0; t < T; t++) {
      const row = t * n + b;
      for (let k = 0; k < DA; k++) this.scores[row * this.da4 + k] = dSH[t * DA + k];
      for (let m = 0; m < U4; m++) {
        gB2[m] += dInp[t * U4 + m];
        this.inputs[row * U4 + m] = dInp[t * U4 + m];
      }
      if (p.feature) {
        for (let f = 0; f < F; f++) {
          const xf = x[xAt + t * F + f];
          for (let k = 0, r = f * DA; k < DA; k++) gFX[r + k] += xf * dFX[t * DA + k];
        }
      }
    }
    if (this.trainHighway) {
      for (let o = 0; o < H; o++) gHwB[o] += dHw[o];
      for (let i = 0; i < T * F; i++) {
        const xi = x[xAt + i];
        for (let o = 0, r = i * H; o < H; o++) gHwW[r + o] += xi * dHw[o];
      }
    }
  }

  /** The current weights, copies in {@link gcaArrays}' order. */
  weights(): Float32Array[] {
    return this.w.map((a) => a.slice());
  }

  /** The last step's gradients, copies in {@link gcaArrays}' order (the frozen highway's are zeros). */
  gradients(): Float32Array[] {
    return this.g.map((a) => a.slice());
  }
}

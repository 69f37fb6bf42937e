// AssemblyScript, not TypeScript: compiled by asc (scripts/build-kernel.js) into nodes/kernel/lstm.wasm.
// tsc and ESLint skip this folder (tsconfig exclude, eslint ignores).
//
// The fused forward pass (and, trainStep, training step) of the pack's 'lstm' model type: 1-2 LSTM layers (tfjs-layers
// weight layout: kernel [in, 4U], recurrent kernel [U, 4U], bias [4U], gate order
// i, f, c, o), last hidden state -> Dense(H) head, plus the linear highway on the flattened
// window. The 'attention' type forecasts through encodeStates (its encoder on the packed weights), project
// (W_h h_t) and attendHead, and trains through encode, project, encodeBackward, projectBackward and adamStep;
// the 'gca' type's forecasts use encode, project and gated
// (its layer 2). The JS side (src/core/model/kernel.ts) owns the memory
// layout: it writes a table of sizes and offsets at `cfg` and every array after heapBase(); nothing here
// allocates.

// Activation codes shared with src/core/model/kernel.ts.
const LINEAR: i32 = 0;
const TANH: i32 = 1;
const SIGMOID: i32 = 2;
const HARD_SIGMOID: i32 = 3;
const RELU: i32 = 4;

export function heapBase(): usize {
  return __heap_base;
}

// tanh as a rational function (Eigen's float tanh: odd polynomial of degree 13 over an even one of
// degree 6, clamped at +-7.9053, where tanh is 1 in float32): a few ulp, in SIMD, no exp.
const TANH_CLAMP: f32 = 7.90531110763549805;
const A1: f32 = 4.89352455891786e-3;
const A3: f32 = 6.37261928875436e-4;
const A5: f32 = 1.48572235717979e-5;
const A7: f32 = 5.12229709037114e-8;
const A9: f32 = -8.60467152213735e-11;
const A11: f32 = 2.00018790482477e-13;
const A13: f32 = -2.76076847742355e-16;
const B0: f32 = 4.89352518554385e-3;
const B2: f32 = 2.268434632439e-3;
const B4: f32 = 1.18534705686654e-4;
const B6: f32 = 1.19825839466702e-6;

@inline
function tanhf(v: f32): f32 {
  const x = min<f32>(TANH_CLAMP, max<f32>(-TANH_CLAMP, v));
  const x2 = x * x;
  let p = x2 * A13 + A11;
  p = p * x2 + A9;
  p = p * x2 + A7;
  p = p * x2 + A5;
  p = p * x2 + A3;
  p = p * x2 + A1;
  p = p * x;
  let q = x2 * B6 + B4;
  q = q * x2 + B2;
  q = q * x2 + B0;
  return p / q;
}

// The clamps use pmin / pmax (a single minps / maxps on x64, where f32x4.min / max take several
// instructions for their NaN and signed-zero rules): with the variable as the first operand a NaN
// still passes through, and every other value, -0 included, comes out as min / max give it.
@inline
function tanh4(v: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(v, f32x4.splat(-TANH_CLAMP)), f32x4.splat(TANH_CLAMP));
  const x2 = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(x2, f32x4.splat(A13)), f32x4.splat(A11));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(A9));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(A7));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(A5));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(A3));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(A1));
  p = f32x4.mul(p, x);
  let q = f32x4.add(f32x4.mul(x2, f32x4.splat(B6)), f32x4.splat(B4));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(B2));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(B0));
  return f32x4.div(p, q);
}

@inline
function hardSigmoid4(x: v128): v128 {
  const y = f32x4.add(f32x4.mul(x, f32x4.splat(0.2)), f32x4.splat(0.5));
  return f32x4.pmin(f32x4.pmax(y, f32x4.splat(0.0)), f32x4.splat(1.0));
}

@inline
function activate4(code: i32, x: v128): v128 {
  if (code == HARD_SIGMOID) return hardSigmoid4(x);
  if (code == TANH) return tanh4(x);
  if (code == RELU) return f32x4.max(f32x4.splat(0.0), x);
  if (code == SIGMOID) {
    return f32x4(activate(code, f32x4.extract_lane(x, 0)), activate(code, f32x4.extract_lane(x, 1)),
      activate(code, f32x4.extract_lane(x, 2)), activate(code, f32x4.extract_lane(x, 3)));
  }
  return x;
}

@inline
function activate(code: i32, x: f32): f32 {
  if (code == HARD_SIGMOID) return min<f32>(<f32>1.0, max<f32>(<f32>0.0, <f32>0.2 * x + <f32>0.5));
  if (code == TANH) return tanhf(x);
  if (code == SIGMOID) return <f32>1.0 / (<f32>1.0 + Mathf.exp(-x));
  if (code == RELU) return max<f32>(<f32>0.0, x);
  return x;
}

/** z[0..n) += sum over r < rows of a[r] * w[r * n + ..], n a multiple of 4 (SIMD, four rows at a time). */
function gemvAcc(a: usize, rows: i32, w: usize, n: i32, z: usize): void {
  const rowBytes = <usize>n << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const a0 = f32x4.splat(load<f32>(a + (<usize>r << 2)));
    const a1 = f32x4.splat(load<f32>(a + (<usize>(r + 1) << 2)));
    const a2 = f32x4.splat(load<f32>(a + (<usize>(r + 2) << 2)));
    const a3 = f32x4.splat(load<f32>(a + (<usize>(r + 3) << 2)));
    const w0 = w + <usize>r * rowBytes;
    const w1 = w0 + rowBytes;
    const w2 = w1 + rowBytes;
    const w3 = w2 + rowBytes;
    for (let j: usize = 0; j < rowBytes; j += 16) {
      let acc = v128.load(z + j);
      acc = f32x4.add(acc, f32x4.mul(a0, v128.load(w0 + j)));
      acc = f32x4.add(acc, f32x4.mul(a1, v128.load(w1 + j)));
      acc = f32x4.add(acc, f32x4.mul(a2, v128.load(w2 + j)));
      acc = f32x4.add(acc, f32x4.mul(a3, v128.load(w3 + j)));
      v128.store(z + j, acc);
    }
  }
  for (; r < rows; r++) {
    const ar = f32x4.splat(load<f32>(a + (<usize>r << 2)));
    const wr = w + <usize>r * rowBytes;
    for (let j: usize = 0; j < rowBytes; j += 16) {
      v128.store(z + j, f32x4.add(v128.load(z + j), f32x4.mul(ar, v128.load(wr + j))));
    }
  }
}

/** out[0..n) += sum over r < rows of a[r] * w[r * n + ..], any n (scalar: the head is narrow). */
function gemvAccScalar(a: usize, rows: i32, w: usize, n: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const ar = load<f32>(a + (<usize>r << 2));
    const wr = w + <usize>(r * n) * 4;
    for (let j = 0; j < n; j++) {
      const o = out + (<usize>j << 2);
      store<f32>(o, load<f32>(o) + ar * load<f32>(wr + (<usize>j << 2)));
    }
  }
}

/**
 * z_b[0..n) = bias + sum over r < xRows of x_b[r] * k[r * n + ..] + sum over r < hRows of h_b[r] * w[r * n + ..]
 * for the four windows b < 4 at x + b * xStride, h + b * hStride, z + b * zStride: the weights are loaded
 * once for four windows, eight gate columns are accumulated in registers over all rows of both products
 * (the sums in that order: bias, then x's rows, then h's). n a multiple of 4.
 */
function gemm4(
  x: usize, xStride: usize, xRows: i32, k: usize, h: usize, hStride: usize, hRows: i32, w: usize, n: i32,
  z: usize, zStride: usize, bias: usize,
): void {
  const rowBytes = <usize>n << 2;
  const z1 = z + zStride;
  const z2 = z1 + zStride;
  const z3 = z2 + zStride;
  let j: usize = 0;
  for (; j + 32 <= rowBytes; j += 32) {
    let s0 = v128.load(bias + j);
    let t0 = v128.load(bias + j + 16);
    let s1 = s0;
    let t1 = t0;
    let s2 = s0;
    let t2 = t0;
    let s3 = s0;
    let t3 = t0;
    for (let part = 0; part < 2; part++) {
      const a = part ? h : x;
      const aStride = part ? hStride : xStride;
      const rows = <usize>(part ? hRows : xRows);
      const a1 = a + aStride;
      const a2 = a1 + aStride;
      const a3 = a2 + aStride;
      let wp = (part ? w : k) + j;
      for (let r: usize = 0; r < rows; r++) {
        const w0 = v128.load(wp);
        const w1 = v128.load(wp + 16);
        const o = r << 2;
        const x0 = v128.load32_splat(a + o);
        const x1 = v128.load32_splat(a1 + o);
        const x2 = v128.load32_splat(a2 + o);
        const x3 = v128.load32_splat(a3 + o);
        s0 = f32x4.add(s0, f32x4.mul(x0, w0));
        t0 = f32x4.add(t0, f32x4.mul(x0, w1));
        s1 = f32x4.add(s1, f32x4.mul(x1, w0));
        t1 = f32x4.add(t1, f32x4.mul(x1, w1));
        s2 = f32x4.add(s2, f32x4.mul(x2, w0));
        t2 = f32x4.add(t2, f32x4.mul(x2, w1));
        s3 = f32x4.add(s3, f32x4.mul(x3, w0));
        t3 = f32x4.add(t3, f32x4.mul(x3, w1));
        wp += rowBytes;
      }
    }
    v128.store(z + j, s0);
    v128.store(z + j + 16, t0);
    v128.store(z1 + j, s1);
    v128.store(z1 + j + 16, t1);
    v128.store(z2 + j, s2);
    v128.store(z2 + j + 16, t2);
    v128.store(z3 + j, s3);
    v128.store(z3 + j + 16, t3);
  }
  for (; j < rowBytes; j += 16) {
    let s0 = v128.load(bias + j);
    let s1 = s0;
    let s2 = s0;
    let s3 = s0;
    for (let part = 0; part < 2; part++) {
      const a = part ? h : x;
      const aStride = part ? hStride : xStride;
      const rows = <usize>(part ? hRows : xRows);
      const a1 = a + aStride;
      const a2 = a1 + aStride;
      const a3 = a2 + aStride;
      let wp = (part ? w : k) + j;
      for (let r: usize = 0; r < rows; r++) {
        const w0 = v128.load(wp);
        const o = r << 2;
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(a + o), w0));
        s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(a1 + o), w0));
        s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(a2 + o), w0));
        s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(a3 + o), w0));
        wp += rowBytes;
      }
    }
    v128.store(z + j, s0);
    v128.store(z1 + j, s1);
    v128.store(z2 + j, s2);
    v128.store(z3 + j, s3);
  }
}

/**
 * gemm4 on gate weights packed by column block (the forecast path's layout, written by the JS side): [K; R]
 * as one matrix of xRows + hRows rows, cut into blocks of 8 columns (the last one 4 wide when n is not a
 * multiple of 8), each block's rows contiguous: column c of row r of the block at j0, width wd, is at
 * p[j0 * rows + r * wd + c - j0]. A block streams from memory in order, where the row-major matrix puts
 * each row of a block 4n bytes apart (at n = 256 a power-of-two stride that keeps few cache sets busy).
 * Every sum in gemm4's order (bias, x's rows, h's rows).
 */
function gemm4P(
  x: usize, xStride: usize, xRows: i32, h: usize, hStride: usize, hRows: i32, p: usize, n: i32,
  z: usize, zStride: usize, bias: usize,
): void {
  const rowBytes = <usize>n << 2;
  const z1 = z + zStride;
  const z2 = z1 + zStride;
  const z3 = z2 + zStride;
  const rows = <usize>(xRows + hRows);
  let j: usize = 0;
  let wp = p;
  for (; j + 32 <= rowBytes; j += 32) {
    let s0 = v128.load(bias + j);
    let t0 = v128.load(bias + j + 16);
    let s1 = s0;
    let t1 = t0;
    let s2 = s0;
    let t2 = t0;
    let s3 = s0;
    let t3 = t0;
    for (let part = 0; part < 2; part++) {
      const a = part ? h : x;
      const aStride = part ? hStride : xStride;
      const end = (<usize>(part ? hRows : xRows)) << 2;
      const a1 = a + aStride;
      const a2 = a1 + aStride;
      const a3 = a2 + aStride;
      for (let o: usize = 0; o < end; o += 4) {
        const w0 = v128.load(wp);
        const w1 = v128.load(wp + 16);
        const x0 = v128.load32_splat(a + o);
        const x1 = v128.load32_splat(a1 + o);
        const x2 = v128.load32_splat(a2 + o);
        const x3 = v128.load32_splat(a3 + o);
        s0 = f32x4.add(s0, f32x4.mul(x0, w0));
        t0 = f32x4.add(t0, f32x4.mul(x0, w1));
        s1 = f32x4.add(s1, f32x4.mul(x1, w0));
        t1 = f32x4.add(t1, f32x4.mul(x1, w1));
        s2 = f32x4.add(s2, f32x4.mul(x2, w0));
        t2 = f32x4.add(t2, f32x4.mul(x2, w1));
        s3 = f32x4.add(s3, f32x4.mul(x3, w0));
        t3 = f32x4.add(t3, f32x4.mul(x3, w1));
        wp += 32;
      }
    }
    v128.store(z + j, s0);
    v128.store(z + j + 16, t0);
    v128.store(z1 + j, s1);
    v128.store(z1 + j + 16, t1);
    v128.store(z2 + j, s2);
    v128.store(z2 + j + 16, t2);
    v128.store(z3 + j, s3);
    v128.store(z3 + j + 16, t3);
  }
  if (j < rowBytes) {
    let s0 = v128.load(bias + j);
    let s1 = s0;
    let s2 = s0;
    let s3 = s0;
    for (let part = 0; part < 2; part++) {
      const a = part ? h : x;
      const aStride = part ? hStride : xStride;
      const end = (<usize>(part ? hRows : xRows)) << 2;
      const a1 = a + aStride;
      const a2 = a1 + aStride;
      const a3 = a2 + aStride;
      for (let o: usize = 0; o < end; o += 4) {
        const w0 = v128.load(wp);
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(a + o), w0));
        s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(a1 + o), w0));
        s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(a2 + o), w0));
        s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(a3 + o), w0));
        wp += 16;
      }
    }
    v128.store(z + j, s0);
    v128.store(z1 + j, s1);
    v128.store(z2 + j, s2);
    v128.store(z3 + j, s3);
  }
  if (rows == 0) unreachable();
}

/** gemm4P for one window (z = bias + x K + h R on the packed blocks), each sum in the same order. */
function gemv1P(x: usize, xRows: i32, h: usize, hRows: i32, p: usize, n: i32, z: usize, bias: usize): void {
  const rowBytes = <usize>n << 2;
  let j: usize = 0;
  let wp = p;
  for (; j + 32 <= rowBytes; j += 32) {
    let s0 = v128.load(bias + j);
    let t0 = v128.load(bias + j + 16);
    for (let part = 0; part < 2; part++) {
      const a = part ? h : x;
      const end = (<usize>(part ? hRows : xRows)) << 2;
      for (let o: usize = 0; o < end; o += 4) {
        const x0 = v128.load32_splat(a + o);
        s0 = f32x4.add(s0, f32x4.mul(x0, v128.load(wp)));
        t0 = f32x4.add(t0, f32x4.mul(x0, v128.load(wp + 16)));
        wp += 32;
      }
    }
    v128.store(z + j, s0);
    v128.store(z + j + 16, t0);
  }
  if (j < rowBytes) {
    let s0 = v128.load(bias + j);
    for (let part = 0; part < 2; part++) {
      const a = part ? h : x;
      const end = (<usize>(part ? hRows : xRows)) << 2;
      for (let o: usize = 0; o < end; o += 4) {
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(a + o), v128.load(wp)));
        wp += 16;
      }
    }
    v128.store(z + j, s0);
  }
}

/**
 * One LSTM step for nb windows: z_b = bias + x_b K + hPrev_b R (four windows at a time through gemm4, the
 * rest one by one), then the gates give c_b, h_b from cPrev_b. Window b's input is at x + b * xStride;
 * its states at + b * U and z at z + b * 4U (floats). hOut, cOut may be hPrev, cPrev (updated in place).
 * With `packed`, k is [K; R] packed as gemm4P reads it and r is not used.
 */
function lstmStepBatch(
  nb: i32, x: usize, xStride: usize, inDim: i32, k: usize, r: usize, b: usize, u: i32,
  hPrev: usize, cPrev: usize, hOut: usize, cOut: usize, z: usize, recAct: i32, act: i32, packed: bool,
): void {
  const n = u * 4;
  const hStride = <usize>u << 2;
  const zStride = <usize>n << 2;
  // Each block's gates follow its products at once, while its z is still in L1 (the z of all windows
  // is larger than L1 at batch 256). A window's gates write only its own h, c: the next block's products
  // read other windows' hPrev, so in place stays right.
  let w = 0;
  for (; w + 4 <= nb; w += 4) {
    const zw = z + <usize>w * zStride;
    const xw = x + <usize>w * xStride;
    const hw = hPrev + <usize>w * hStride;
    if (packed) gemm4P(xw, xStride, inDim, hw, hStride, u, k, n, zw, zStride, b);
    else gemm4(xw, xStride, inDim, k, hw, hStride, u, r, n, zw, zStride, b);
    for (let i = w; i < w + 4; i++) {
      const o = <usize>i * hStride;
      gates(u, hOut + o, cPrev + o, cOut + o, z + <usize>i * zStride, recAct, act);
    }
  }
  for (; w < nb; w++) {
    const zw = z + <usize>w * zStride;
    if (packed) {
      gemv1P(x + <usize>w * xStride, inDim, hPrev + <usize>w * hStride, u, k, n, zw, b);
    } else {
      memory.copy(zw, b, zStride);
      gemvAcc(x + <usize>w * xStride, inDim, k, n, zw);
      gemvAcc(hPrev + <usize>w * hStride, u, r, n, zw);
    }
    const o = <usize>w * hStride;
    gates(u, hOut + o, cPrev + o, cOut + o, zw, recAct, act);
  }
}

/** The gates of one window: c = f * cPrev + i * g, h = o * act(c), from the pre-activations z (i, f, c, o). */
function gates(u: i32, h: usize, cPrev: usize, c: usize, z: usize, recAct: i32, act: i32): void {
  const ub = <usize>u << 2;
  let j = 0;
  if (recAct == HARD_SIGMOID && act == TANH) {
    for (; j + 4 <= u; j += 4) {
      const o = <usize>j << 2;
      const gi = hardSigmoid4(v128.load(z + o));
      const gf = hardSigmoid4(v128.load(z + ub + o));
      const gc = tanh4(v128.load(z + 2 * ub + o));
      const go = hardSigmoid4(v128.load(z + 3 * ub + o));
      const cn = f32x4.add(f32x4.mul(gf, v128.load(cPrev + o)), f32x4.mul(gi, gc));
      v128.store(c + o, cn);
      v128.store(h + o, f32x4.mul(go, tanh4(cn)));
    }
  }
  for (; j + 4 <= u; j += 4) {
    const o = <usize>j << 2;
    const gi = activate4(recAct, v128.load(z + o));
    const gf = activate4(recAct, v128.load(z + ub + o));
    const gc = activate4(act, v128.load(z + 2 * ub + o));
    const go = activate4(recAct, v128.load(z + 3 * ub + o));
    const cn = f32x4.add(f32x4.mul(gf, v128.load(cPrev + o)), f32x4.mul(gi, gc));
    v128.store(c + o, cn);
    v128.store(h + o, f32x4.mul(go, activate4(act, cn)));
  }
  for (; j < u; j++) {
    const o = <usize>j << 2;
    const gi = activate(recAct, load<f32>(z + o));
    const gf = activate(recAct, load<f32>(z + ub + o));
    const gc = activate(act, load<f32>(z + 2 * ub + o));
    const go = activate(recAct, load<f32>(z + 3 * ub + o));
    const cn = gf * load<f32>(cPrev + o) + gi * gc;
    store<f32>(c + o, cn);
    store<f32>(h + o, go * activate(act, cn));
  }
}

@inline
function cfgAt(cfg: usize, i: i32): i32 {
  return load<i32>(cfg + (<usize>i << 2));
}

/**
 * The forward pass over all T steps of cfg[0] windows, shared by forecasting and training: with `keep`
 * every step's states stay (H, C [T + 1, B, U] from the zero state, Z [T, B, 4U]), without it one slot
 * of each (H, C [B, U], Z [B, 4U]) is updated in place; with `keepH` (and not `keep`, one layer) every step's H
 * stays and one slot of C and Z. H2, C2, Z2 only with two layers. With `packed`
 * (the forecast path) each layer's K is its [K; R] packed for gemm4P; training keeps the row-major
 * layout Adam updates in place.
 */
function forwardSteps(
  cfg: usize, keep: bool, H1: usize, C1: usize, Z1: usize, H2: usize, C2: usize, Z2: usize, packed: bool,
  keepH: bool = false,
): void {
  const B = cfgAt(cfg, 0);
  const T = cfgAt(cfg, 1);
  const F = cfgAt(cfg, 2);
  const layers = cfgAt(cfg, 3);
  const U1 = cfgAt(cfg, 4);
  const U2 = layers > 1 ? cfgAt(cfg, 5) : 0;
  const recAct = cfgAt(cfg, 8);
  const act = cfgAt(cfg, 9);
  const xs = <usize>cfgAt(cfg, 10);
  const k1 = <usize>cfgAt(cfg, 12);
  const r1 = <usize>cfgAt(cfg, 13);
  const b1 = <usize>cfgAt(cfg, 14);
  const k2 = <usize>cfgAt(cfg, 15);
  const r2 = <usize>cfgAt(cfg, 16);
  const b2 = <usize>cfgAt(cfg, 17);
  const sz1 = (<usize>B * <usize>U1) << 2;
  const sz2 = (<usize>B * <usize>U2) << 2;
  const rowBytes = <usize>F << 2;
  const xStride = <usize>T * rowBytes;
  memory.fill(H1, 0, sz1);
  memory.fill(C1, 0, sz1);
  if (layers > 1) {
    memory.fill(H2, 0, sz2);
    memory.fill(C2, 0, sz2);
  }
  for (let t = 0; t < T; t++) {
    const p: usize = keep ? <usize>t : 0;
    const q: usize = keep ? <usize>t + 1 : 0;
    // keepH alone: every step's H1, one slot of C1 and Z1
    const ph: usize = keepH ? <usize>t : p;
    const qh: usize = keepH ? <usize>t + 1 : q;
    const h1 = H1 + qh * sz1;
    lstmStepBatch(B, xs + <usize>t * rowBytes, xStride, F, k1, r1, b1, U1, H1 + ph * sz1, C1 + p * sz1, h1,
      C1 + q * sz1, Z1 + p * (sz1 << 2), recAct, act, packed);
    if (layers > 1) {
      lstmStepBatch(B, h1, <usize>U1 << 2, U1, k2, r2, b2, U2, H2 + p * sz2, C2 + p * sz2, H2 + q * sz2,
        C2 + q * sz2, Z2 + p * (sz2 << 2), recAct, act, packed);
    }
  }
}

/** Window b's forecast into out [H]: the head on its last top-layer state h, plus the highway on its window. */
function headOut(cfg: usize, b: i32, h: usize, out: usize): void {
  const T = cfgAt(cfg, 1);
  const F = cfgAt(cfg, 2);
  const H = cfgAt(cfg, 6);
  memory.copy(out, <usize>cfgAt(cfg, 19), <usize>H << 2);
  gemvAccScalar(h, cfgAt(cfg, 3) > 1 ? cfgAt(cfg, 5) : cfgAt(cfg, 4), <usize>cfgAt(cfg, 18), H, out);
  if (cfgAt(cfg, 7)) {
    const hwB = <usize>cfgAt(cfg, 21);
    for (let j = 0; j < H; j++) {
      const o = out + (<usize>j << 2);
      store<f32>(o, load<f32>(o) + load<f32>(hwB + (<usize>j << 2)));
    }
    const x = <usize>cfgAt(cfg, 10) + ((<usize>b * <usize>(T * F)) << 2);
    gemvAccScalar(x, T * F, <usize>cfgAt(cfg, 20), H, out);
  }
}

/**
 * Forecasts cfg[0] windows, all of them a time step at a time (the gate products of four windows share
 * each weight load). cfg (i32): B, T, F, layers, U1, U2, H, highway, recAct, act,
 * x, out, K1, R1, b1, K2, R2, b2, headW, headB, hwW, hwB, scratch (byte offsets), where K1 and K2 are
 * [K; R] of their layer packed by column block (gemm4P; R1, R2 not read).
 * Scratch holds B * (6 U1 + 6 U2) floats.
 */
export function forward(cfg: usize): void {
  const B = cfgAt(cfg, 0);
  const layers = cfgAt(cfg, 3);
  const U1 = cfgAt(cfg, 4);
  const U2 = layers > 1 ? cfgAt(cfg, 5) : 0;
  const H = cfgAt(cfg, 6);
  const outs = <usize>cfgAt(cfg, 11);
  const nb = <usize>B;
  const h1 = <usize>cfgAt(cfg, 22);
  const c1 = h1 + ((nb * <usize>U1) << 2);
  const z1 = c1 + ((nb * <usize>U1) << 2);
  const h2 = z1 + ((nb * <usize>U1) << 4);
  const c2 = h2 + ((nb * <usize>U2) << 2);
  const z2 = c2 + ((nb * <usize>U2) << 2);
  forwardSteps(cfg, false, h1, c1, z1, h2, c2, z2, true);
  const top = layers > 1 ? h2 : h1;
  const topBytes = <usize>(layers > 1 ? U2 : U1) << 2;
  for (let b = 0; b < B; b++) headOut(cfg, b, top + <usize>b * topBytes, outs + (<usize>(b * H) << 2));
}

/**
 * The states of every step of cfg[0] windows through the first LSTM layer only (the encoder the attention
 * type attends over; cfg as forward, layers and the head ignored; K1 and R1 row by row, not packed: the
 * attention trainer and the gca forecasts share this layout with the backward pass): H [T + 1, B, U1] from the
 * zero state at scratch, then C [T + 1, B, U1] and Z [T, B, 4 U1]. Scratch holds B * (6 T + 2) U1 floats.
 */
export function encode(cfg: usize): void {
  const B = cfgAt(cfg, 0);
  const T = cfgAt(cfg, 1);
  const sz1 = (<usize>B * <usize>cfgAt(cfg, 4)) << 2;
  const H1 = <usize>cfgAt(cfg, 22);
  const C1 = H1 + <usize>(T + 1) * sz1;
  const Z1 = C1 + <usize>(T + 1) * sz1;
  forwardSteps(cfg, true, H1, C1, Z1, 0, 0, 0, false);
}

/**
 * P[r, 0..n) = bias + a[r, 0..rows) W for the R rows of a (row stride rows floats; P row stride n floats):
 * the attention's W_h h_t for every step and window at once. n a multiple of 4 (W, bias zero-padded).
 * cfg (i32): R, rows, n, a, W, bias, P (byte offsets).
 */
export function project(cfg: usize): void {
  const R = cfgAt(cfg, 0);
  const rows = cfgAt(cfg, 1);
  const n = cfgAt(cfg, 2);
  const a = <usize>cfgAt(cfg, 3);
  const W = <usize>cfgAt(cfg, 4);
  const bias = <usize>cfgAt(cfg, 5);
  const P = <usize>cfgAt(cfg, 6);
  const aStride = <usize>rows << 2;
  const pStride = <usize>n << 2;
  let r = 0;
  for (; r + 4 <= R; r += 4) {
    gemm4(a + <usize>r * aStride, aStride, rows, W, 0, 0, 0, 0, n, P + <usize>r * pStride, pStride, bias);
  }
  for (; r < R; r++) {
    const out = P + <usize>r * pStride;
    memory.copy(out, bias, pStride);
    gemvAcc(a + <usize>r * aStride, rows, W, n, out);
  }
}

// ---- Training: forward with every step kept, backward through time, Adam ----
// The backward pass works on all windows of a step at once: the gate gradients of every window first,
// then the weight gradients (a block of dW kept in registers over all windows) and the products with W^T
// (four windows per weight load). Each gradient element still sums its windows in ascending order (then
// its steps backwards), the order a window-by-window pass has, so the weights are bit for bit those of a
// window-by-window pass, whatever the blocking.

/**
 * dW[r * n + ..] += sum over b < nb of a_b[r] * d_b[0..n) (a_b at a + b * aStride, d_b at d + b * 4n, n a
 * multiple of 4), the sum taken b = 0, 1, ...: four rows by eight columns of dW stay in registers over
 * all windows (each dW element loaded and stored once per step, each d_b load feeds four rows).
 */
function outerAccBatch(nb: i32, a: usize, aStride: usize, rows: i32, d: usize, n: i32, dW: usize): void {
  const rowBytes = <usize>n << 2;
  const end = <usize>nb * aStride;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const ar = a + (<usize>r << 2);
    const w0 = dW + <usize>r * rowBytes;
    const w1 = w0 + rowBytes;
    const w2 = w1 + rowBytes;
    const w3 = w2 + rowBytes;
    let j: usize = 0;
    for (; j + 32 <= rowBytes; j += 32) {
      let s0 = v128.load(w0 + j);
      let t0 = v128.load(w0 + j + 16);
      let s1 = v128.load(w1 + j);
      let t1 = v128.load(w1 + j + 16);
      let s2 = v128.load(w2 + j);
      let t2 = v128.load(w2 + j + 16);
      let s3 = v128.load(w3 + j);
      let t3 = v128.load(w3 + j + 16);
      let dp = d + j;
      for (let o: usize = 0; o < end; o += aStride) {
        const d0 = v128.load(dp);
        const d1 = v128.load(dp + 16);
        const x0 = v128.load32_splat(ar + o);
        const x1 = v128.load32_splat(ar + o + 4);
        const x2 = v128.load32_splat(ar + o + 8);
        const x3 = v128.load32_splat(ar + o + 12);
        s0 = f32x4.add(s0, f32x4.mul(x0, d0));
        t0 = f32x4.add(t0, f32x4.mul(x0, d1));
        s1 = f32x4.add(s1, f32x4.mul(x1, d0));
        t1 = f32x4.add(t1, f32x4.mul(x1, d1));
        s2 = f32x4.add(s2, f32x4.mul(x2, d0));
        t2 = f32x4.add(t2, f32x4.mul(x2, d1));
        s3 = f32x4.add(s3, f32x4.mul(x3, d0));
        t3 = f32x4.add(t3, f32x4.mul(x3, d1));
        dp += rowBytes;
      }
      v128.store(w0 + j, s0);
      v128.store(w0 + j + 16, t0);
      v128.store(w1 + j, s1);
      v128.store(w1 + j + 16, t1);
      v128.store(w2 + j, s2);
      v128.store(w2 + j + 16, t2);
      v128.store(w3 + j, s3);
      v128.store(w3 + j + 16, t3);
    }
    for (; j < rowBytes; j += 16) {
      let s0 = v128.load(w0 + j);
      let s1 = v128.load(w1 + j);
      let s2 = v128.load(w2 + j);
      let s3 = v128.load(w3 + j);
      let dp = d + j;
      for (let o: usize = 0; o < end; o += aStride) {
        const d0 = v128.load(dp);
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(ar + o), d0));
        s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(ar + o + 4), d0));
        s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(ar + o + 8), d0));
        s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(ar + o + 12), d0));
        dp += rowBytes;
      }
      v128.store(w0 + j, s0);
      v128.store(w1 + j, s1);
      v128.store(w2 + j, s2);
      v128.store(w3 + j, s3);
    }
  }
  for (; r < rows; r++) {
    const ar = a + (<usize>r << 2);
    const wr = dW + <usize>r * rowBytes;
    for (let j: usize = 0; j < rowBytes; j += 16) {
      let s = v128.load(wr + j);
      let dp = d + j;
      for (let o: usize = 0; o < end; o += aStride) {
        s = f32x4.add(s, f32x4.mul(v128.load32_splat(ar + o), v128.load(dp)));
        dp += rowBytes;
      }
      v128.store(wr + j, s);
    }
  }
}

/** The sum of the four lanes, as (0 + 1) + (2 + 3). */
@inline
function lanes(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** out[r] += sum over j < n of d[j] * W[r * n + j] for r < rows (d W^T), n a multiple of 4. */
function dotRowsAcc(d: usize, n: i32, W: usize, rows: i32, out: usize): void {
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < rows; r++) {
    const wr = W + <usize>r * rowBytes;
    let acc = f32x4.splat(0);
    for (let j: usize = 0; j < rowBytes; j += 16) acc = f32x4.add(acc, f32x4.mul(v128.load(d + j), v128.load(wr + j)));
    const o = out + (<usize>r << 2);
    store<f32>(o, load<f32>(o) + lanes(acc));
  }
}

/**
 * dotRowsAcc for four windows (d_b at d + b * 4n, out_b at out + b * outStride): two rows of W at a time,
 * each W load feeding four windows and each d_b load two rows; every sum in dotRowsAcc's order.
 */
function dotRows4(d: usize, n: i32, W: usize, rows: i32, out: usize, outStride: usize): void {
  const rowBytes = <usize>n << 2;
  const d1 = d + rowBytes;
  const d2 = d1 + rowBytes;
  const d3 = d2 + rowBytes;
  let r = 0;
  for (; r + 2 <= rows; r += 2) {
    const wr = W + <usize>r * rowBytes;
    const wq = wr + rowBytes;
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    let s2 = f32x4.splat(0);
    let s3 = f32x4.splat(0);
    let q0 = f32x4.splat(0);
    let q1 = f32x4.splat(0);
    let q2 = f32x4.splat(0);
    let q3 = f32x4.splat(0);
    for (let j: usize = 0; j < rowBytes; j += 16) {
      const w = v128.load(wr + j);
      const v = v128.load(wq + j);
      const e0 = v128.load(d + j);
      const e1 = v128.load(d1 + j);
      const e2 = v128.load(d2 + j);
      const e3 = v128.load(d3 + j);
      s0 = f32x4.add(s0, f32x4.mul(e0, w));
      q0 = f32x4.add(q0, f32x4.mul(e0, v));
      s1 = f32x4.add(s1, f32x4.mul(e1, w));
      q1 = f32x4.add(q1, f32x4.mul(e1, v));
      s2 = f32x4.add(s2, f32x4.mul(e2, w));
      q2 = f32x4.add(q2, f32x4.mul(e2, v));
      s3 = f32x4.add(s3, f32x4.mul(e3, w));
      q3 = f32x4.add(q3, f32x4.mul(e3, v));
    }
    const o = out + (<usize>r << 2);
    store<f32>(o, load<f32>(o) + lanes(s0));
    store<f32>(o + 4, load<f32>(o + 4) + lanes(q0));
    const o1 = o + outStride;
    store<f32>(o1, load<f32>(o1) + lanes(s1));
    store<f32>(o1 + 4, load<f32>(o1 + 4) + lanes(q1));
    const o2 = o1 + outStride;
    store<f32>(o2, load<f32>(o2) + lanes(s2));
    store<f32>(o2 + 4, load<f32>(o2 + 4) + lanes(q2));
    const o3 = o2 + outStride;
    store<f32>(o3, load<f32>(o3) + lanes(s3));
    store<f32>(o3 + 4, load<f32>(o3 + 4) + lanes(q3));
  }
  if (r < rows) {
    const wr = W + <usize>r * rowBytes;
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    let s2 = f32x4.splat(0);
    let s3 = f32x4.splat(0);
    for (let j: usize = 0; j < rowBytes; j += 16) {
      const w = v128.load(wr + j);
      s0 = f32x4.add(s0, f32x4.mul(v128.load(d + j), w));
      s1 = f32x4.add(s1, f32x4.mul(v128.load(d1 + j), w));
      s2 = f32x4.add(s2, f32x4.mul(v128.load(d2 + j), w));
      s3 = f32x4.add(s3, f32x4.mul(v128.load(d3 + j), w));
    }
    const o = out + (<usize>r << 2);
    store<f32>(o, load<f32>(o) + lanes(s0));
    store<f32>(o + outStride, load<f32>(o + outStride) + lanes(s1));
    store<f32>(o + 2 * outStride, load<f32>(o + 2 * outStride) + lanes(s2));
    store<f32>(o + 3 * outStride, load<f32>(o + 3 * outStride) + lanes(s3));
  }
}

/** out_b += d_b W^T for the nb windows (d_b at d + b * 4n, out_b at out + b * outStride). */
function dotRowsBatch(nb: i32, d: usize, n: i32, W: usize, rows: i32, out: usize, outStride: usize): void {
  const dStride = <usize>n << 2;
  let w = 0;
  for (; w + 4 <= nb; w += 4) dotRows4(d + <usize>w * dStride, n, W, rows, out + <usize>w * outStride, outStride);
  for (; w < nb; w++) dotRowsAcc(d + <usize>w * dStride, n, W, rows, out + <usize>w * outStride);
}

/** The derivative of activation `code` at pre-activation x, y = activate(code, x) (as tfjs's gradients). */
@inline
function derivative(code: i32, x: f32, y: f32): f32 {
  if (code == HARD_SIGMOID) {
    const p = <f32>0.2 * x + <f32>0.5;
    return p >= 0 && p <= 1 ? <f32>0.2 : <f32>0.0;
  }
  if (code == TANH) return <f32>1.0 - y * y;
  if (code == SIGMOID) return y * (<f32>1.0 - y);
  if (code == RELU) return x > 0 ? <f32>1.0 : <f32>0.0;
  return <f32>1.0;
}

/** derivative in four lanes (the same values lane by lane). */
@inline
function derivative4(code: i32, x: v128, y: v128): v128 {
  if (code == HARD_SIGMOID) {
    const p = f32x4.add(f32x4.mul(x, f32x4.splat(0.2)), f32x4.splat(0.5));
    const inside = v128.and(f32x4.ge(p, f32x4.splat(0.0)), f32x4.le(p, f32x4.splat(1.0)));
    return v128.and(inside, f32x4.splat(0.2));
  }
  if (code == TANH) return f32x4.sub(f32x4.splat(1.0), f32x4.mul(y, y));
  if (code == SIGMOID) return f32x4.mul(y, f32x4.sub(f32x4.splat(1.0), y));
  if (code == RELU) return v128.and(f32x4.gt(x, f32x4.splat(0.0)), f32x4.splat(1.0));
  return f32x4.splat(1.0);
}

/**
 * The gate pre-activation gradients dZ [nb, 4U] of one step from each window's dh (this step's h
 * gradient, all sources summed) and dc (the cell gradient carried from the next step, updated in place
 * to the previous step's). Z [nb, 4U], C and CPrev [nb, U] are this step's kept forward values.
 */
function gateGrads(
  nb: i32, u: i32, Z: usize, C: usize, CPrev: usize, dh: usize, dc: usize, dZ: usize, recAct: i32, act: i32,
): void {
  const ub = <usize>u << 2;
  for (let b = 0; b < nb; b++) {
    const s = <usize>b * ub;
    const z = Z + (s << 2);
    const dz = dZ + (s << 2);
    const c = C + s;
    const cPrev = CPrev + s;
    const dhb = dh + s;
    const dcb = dc + s;
    let j = 0;
    for (; j + 4 <= u; j += 4) {
      const o = <usize>j << 2;
      const zi = v128.load(z + o);
      const zf = v128.load(z + ub + o);
      const zg = v128.load(z + 2 * ub + o);
      const zo = v128.load(z + 3 * ub + o);
      const gi = activate4(recAct, zi);
      const gf = activate4(recAct, zf);
      const gg = activate4(act, zg);
      const go = activate4(recAct, zo);
      const ct = v128.load(c + o);
      const ac = activate4(act, ct);
      const dhj = v128.load(dhb + o);
      const dct = f32x4.add(v128.load(dcb + o), f32x4.mul(f32x4.mul(dhj, go), derivative4(act, ct, ac)));
      v128.store(dz + o, f32x4.mul(f32x4.mul(dct, gg), derivative4(recAct, zi, gi)));
      v128.store(dz + ub + o, f32x4.mul(f32x4.mul(dct, v128.load(cPrev + o)), derivative4(recAct, zf, gf)));
      v128.store(dz + 2 * ub + o, f32x4.mul(f32x4.mul(dct, gi), derivative4(act, zg, gg)));
      v128.store(dz + 3 * ub + o, f32x4.mul(f32x4.mul(dhj, ac), derivative4(recAct, zo, go)));
      v128.store(dcb + o, f32x4.mul(dct, gf));
    }
    for (; j < u; j++) {
      const o = <usize>j << 2;
      const zi = load<f32>(z + o);
      const zf = load<f32>(z + ub + o);
      const zg = load<f32>(z + 2 * ub + o);
      const zo = load<f32>(z + 3 * ub + o);
      const gi = activate(recAct, zi);
      const gf = activate(recAct, zf);
      const gg = activate(act, zg);
      const go = activate(recAct, zo);
      const ct = load<f32>(c + o);
      const ac = activate(act, ct);
      const dhj = load<f32>(dhb + o);
      const dct = load<f32>(dcb + o) + dhj * go * derivative(act, ct, ac);
      store<f32>(dz + o, dct * gg * derivative(recAct, zi, gi));
      store<f32>(dz + ub + o, dct * load<f32>(cPrev + o) * derivative(recAct, zf, gf));
      store<f32>(dz + 2 * ub + o, dct * gi * derivative(act, zg, gg));
      store<f32>(dz + 3 * ub + o, dhj * ac * derivative(recAct, zo, go));
      store<f32>(dcb + o, dct * gf);
    }
  }
}

/**
 * Backward of one LSTM step for all nb windows: the gate gradients dZ (gateGrads), then the parameter
 * gradients dK += sum x_b^T dZ_b, dR += sum hPrev_b^T dZ_b, db += sum dZ_b; dhPrev_b += dZ_b R^T when
 * dhPrev is not 0 (the first step has no previous state to pass it to); dx_b += dZ_b K^T when dx is not 0.
 * x_b at x + b * xStride (inDim floats); hPrev, dh, dc, dhPrev [nb, U]; dx [nb, inDim].
 */
function stepBackBatch(
  nb: i32, u: i32, Z: usize, C: usize, CPrev: usize, dh: usize, dc: usize, dZ: usize,
  x: usize, xStride: usize, inDim: i32, hPrev: usize, k: usize, r: usize, dK: usize, dR: usize, db: usize,
  dhPrev: usize, dx: usize, recAct: i32, act: i32,
): void {
  gateGrads(nb, u, Z, C, CPrev, dh, dc, dZ, recAct, act);
  const n = u * 4;
  const zBytes = <usize>n << 2;
  for (let b = 0; b < nb; b++) {
    const dz = dZ + <usize>b * zBytes;
    for (let j: usize = 0; j < zBytes; j += 16) v128.store(db + j, f32x4.add(v128.load(db + j), v128.load(dz + j)));
  }
  outerAccBatch(nb, x, xStride, inDim, dZ, n, dK);
  outerAccBatch(nb, hPrev, <usize>u << 2, u, dZ, n, dR);
  if (dhPrev) dotRowsBatch(nb, dZ, n, r, u, dhPrev, <usize>u << 2);
  if (dx) dotRowsBatch(nb, dZ, n, k, inDim, dx, <usize>inDim << 2);
}

@inline
function cfgF(cfg: usize, i: i32): f32 {
  return load<f32>(cfg + (<usize>i << 2));
}

/**
 * One training step on a batch: forward (every step kept), the loss (mean squared error over B x H,
 * stored as f32 at cfg[36]), the gradients of every weight (at param + gradDelta) and, when flags bit 0
 * is set, the Adam update of tf.train.adam (moments at param + mDelta, + vDelta).
 * cfg (i32) 0-22 as forward, then: 23 y, 24 gradDelta, 25 mDelta, 26 vDelta, 27 params start,
 * 28 bytes Adam updates from there (the frozen highway left out), 29 train scratch, 30 lr (f32),
 * 31 beta1, 32 beta2, 33 epsilon, 34 beta1^t, 35 beta2^t (f32, this step's t), 36 loss out, 37 flags
 * (bit 0: apply Adam; bit 1: the highway's gradients too), 38 bytes of all params (gradients zeroed first),
 * 39 1 - beta1, 40 1 - beta2 (f32, as tfjs rounds them).
 * Train scratch: per layer Z [T, B, 4U], C [T + 1, B, U], Hs [T + 1, B, U]; then out [B, H] (16-aligned),
 * dh1, dc1 [B, U1], dh2, dc2 [B, U2], dh1', dh2' (the previous step's dh) [B, U], dZ [B, 4 max U].
 */
export function trainStep(cfg: usize): void {
  const B = cfgAt(cfg, 0);
  const T = cfgAt(cfg, 1);
  const F = cfgAt(cfg, 2);
  const layers = cfgAt(cfg, 3);
  const U1 = cfgAt(cfg, 4);
  const U2 = layers > 1 ? cfgAt(cfg, 5) : 0;
  const H = cfgAt(cfg, 6);
  const highway = cfgAt(cfg, 7);
  const recAct = cfgAt(cfg, 8);
  const act = cfgAt(cfg, 9);
  const xs = <usize>cfgAt(cfg, 10);
  const k1 = <usize>cfgAt(cfg, 12);
  const r1 = <usize>cfgAt(cfg, 13);
  const b1 = <usize>cfgAt(cfg, 14);
  const k2 = <usize>cfgAt(cfg, 15);
  const r2 = <usize>cfgAt(cfg, 16);
  const b2 = <usize>cfgAt(cfg, 17);
  const headW = <usize>cfgAt(cfg, 18);
  const headB = <usize>cfgAt(cfg, 19);
  const hwW = <usize>cfgAt(cfg, 20);
  const hwB = <usize>cfgAt(cfg, 21);
  const ys = <usize>cfgAt(cfg, 23);
  const gd = <usize>cfgAt(cfg, 24);
  const flags = cfgAt(cfg, 37);
  const nb = <usize>B;
  const rowBytes = <usize>F << 2;
  const xStride = <usize>T * rowBytes;
  // scratch layout
  const sz1 = (nb * <usize>U1) << 2;
  const sz2 = (nb * <usize>U2) << 2;
  const Z1 = <usize>cfgAt(cfg, 29);
  const C1 = Z1 + <usize>T * (sz1 << 2);
  const H1 = C1 + <usize>(T + 1) * sz1;
  const Z2 = H1 + <usize>(T + 1) * sz1;
  const C2 = Z2 + <usize>T * (sz2 << 2);
  const H2 = C2 + <usize>(T + 1) * sz2;
  const outs = H2 + <usize>(T + 1) * sz2;
  const dh1 = outs + (((nb * <usize>H) << 2) + 15 & ~15);
  const dc1 = dh1 + sz1;
  const dh2 = dc1 + sz1;
  const dc2 = dh2 + sz2;
  const dh1p = dc2 + sz2;
  const dh2p = dh1p + sz1;
  const dZ = dh2p + sz2;
  memory.fill(<usize>cfgAt(cfg, 27) + gd, 0, <usize>cfgAt(cfg, 38));

  forwardSteps(cfg, true, H1, C1, Z1, H2, C2, Z2, false);
  const Utop = layers > 1 ? U2 : U1;
  const Htop = layers > 1 ? H2 + <usize>T * sz2 : H1 + <usize>T * sz1;
  const dhTop = layers > 1 ? dh2 : dh1;
  memory.fill(dh1, 0, sz1 * 2);
  if (layers > 1) memory.fill(dh2, 0, sz2 * 2);
  // head, loss, and the output gradient 2 (out - y) / (B H) into the head, highway and the top h
  let loss: f64 = 0;
  const scale = <f32>2.0 / <f32>(B * H);
  for (let b = 0; b < B; b++) {
    const out = outs + (<usize>(b * H) << 2);
    const hb = Htop + ((<usize>b * <usize>Utop) << 2);
    const x = xs + <usize>b * xStride;
    headOut(cfg, b, hb, out);
    for (let j = 0; j < H; j++) {
      const o = out + (<usize>j << 2);
      const e = load<f32>(o) - load<f32>(ys + (<usize>(b * H + j) << 2));
      loss += <f64>e * <f64>e;
      store<f32>(o, e * scale);
    }
    // d headW += h^T dout, d headB += dout, dh_top = dout headW^T (the head is narrow: scalar)
    for (let r = 0; r < Utop; r++) {
      const hr = load<f32>(hb + (<usize>r << 2));
      let s: f32 = 0;
      for (let j = 0; j < H; j++) {
        const dj = load<f32>(out + (<usize>j << 2));
        const w = headW + (<usize>(r * H + j) << 2);
        store<f32>(w + gd, load<f32>(w + gd) + hr * dj);
        s += dj * load<f32>(w);
      }
      store<f32>(dhTop + ((<usize>b * <usize>Utop + <usize>r) << 2), s);
    }
    for (let j = 0; j < H; j++) {
      const o = <usize>j << 2;
      store<f32>(headB + gd + o, load<f32>(headB + gd + o) + load<f32>(out + o));
    }
    if (highway && (flags & 2)) {
      for (let r = 0; r < T * F; r++) {
        const xr = load<f32>(x + (<usize>r << 2));
        for (let j = 0; j < H; j++) {
          const w = hwW + gd + (<usize>(r * H + j) << 2);
          store<f32>(w, load<f32>(w) + xr * load<f32>(out + (<usize>j << 2)));
        }
      }
      for (let j = 0; j < H; j++) {
        const o = <usize>j << 2;
        store<f32>(hwB + gd + o, load<f32>(hwB + gd + o) + load<f32>(out + o));
      }
    }
  }
  store<f32>(cfg + (36 << 2), <f32>(loss / <f64>(B * H)));

  // backward through time, all windows of a step together: the top layer first (it adds to the lower
  // layer's dh of the same step); each layer's dh of this step and of the previous one swap buffers
  let dh1c = dh1;
  let dh1n = dh1p;
  let dh2c = dh2;
  let dh2n = dh2p;
  for (let t = T - 1; t >= 0; t--) {
    const ut = <usize>t;
    if (layers > 1) {
      memory.fill(dh2n, 0, sz2);
      stepBackBatch(B, U2, Z2 + ut * (sz2 << 2), C2 + (ut + 1) * sz2, C2 + ut * sz2, dh2c, dc2, dZ,
        H1 + (ut + 1) * sz1, <usize>U1 << 2, U1, H2 + ut * sz2, k2, r2, k2 + gd, r2 + gd, b2 + gd,
        t > 0 ? dh2n : 0, dh1c, recAct, act);
      const s = dh2c;
      dh2c = dh2n;
      dh2n = s;
    }
    memory.fill(dh1n, 0, sz1);
    stepBackBatch(B, U1, Z1 + ut * (sz1 << 2), C1 + (ut + 1) * sz1, C1 + ut * sz1, dh1c, dc1, dZ,
      xs + ut * rowBytes, xStride, F, H1 + ut * sz1, k1, r1, k1 + gd, r1 + gd, b1 + gd,
      t > 0 ? dh1n : 0, 0, recAct, act);
    const s = dh1c;
    dh1c = dh1n;
    dh1n = s;
  }
  if (flags & 1) adam(cfg);
}

/** tf.train.adam's update of every float in [start, start + bytes) from its gradient (as tfjs does). */
function adam(cfg: usize): void {
  const gd = <usize>cfgAt(cfg, 24);
  const md = <usize>cfgAt(cfg, 25);
  const vd = <usize>cfgAt(cfg, 26);
  const start = <usize>cfgAt(cfg, 27);
  const bytes = <usize>cfgAt(cfg, 28);
  const lr = cfgF(cfg, 30);
  const beta1 = cfgF(cfg, 31);
  const beta2 = cfgF(cfg, 32);
  const eps = cfgF(cfg, 33);
  const c1 = <f32>1.0 - cfgF(cfg, 34);
  const c2 = <f32>1.0 - cfgF(cfg, 35);
  const ob1 = cfgF(cfg, 39);
  const ob2 = cfgF(cfg, 40);
  for (let p = start; p < start + bytes; p += 4) {
    const g = load<f32>(p + gd);
    const m = beta1 * load<f32>(p + md) + ob1 * g;
    const v = beta2 * load<f32>(p + vd) + ob2 * (g * g);
    store<f32>(p + md, m);
    store<f32>(p + vd, v);
    store<f32>(p, load<f32>(p) - lr * ((m / c1) / (Mathf.sqrt(v / c2) + eps)));
  }
}

// ---- The 'gca' type's layer 2: the LSTM whose cell update the attention gates (src/core/model/kernel-gca.ts) ----

/**
 * The logistic sigmoid as 0.5 + 0.5 tanh(x / 2) through the rational tanh (within 1e-7 of 1 / (1 + e^-x)): in SIMD,
 * where the exp of {@link activate} goes a lane at a time and was most of layer 2's time.
 */
@inline
function sigmoid4(x: v128): v128 {
  const half = f32x4.splat(0.5);
  return f32x4.add(half, f32x4.mul(half, tanh4(f32x4.mul(half, x))));
}

@inline
function sigmoidf(x: f32): f32 {
  return <f32>0.5 + <f32>0.5 * tanhf(<f32>0.5 * x);
}

/**
 * One window's gated gates: z += zin (+ zx), then with the logistic sigmoid and tanh (what GcaAttention computes,
 * whatever layer 1 uses) c = g * i * C~ + (1 - g) * f * cPrev, h = o * tanh(c). z holds h_{t-1} U; the sums are
 * taken (zin + h U) + zx, the order the layer's tfjs ops add them.
 */
function gatedGates(u: i32, h: usize, c: usize, z: usize, zin: usize, zx: usize, g: f32): void {
  const ub = <usize>u << 2;
  const gv = f32x4.splat(g);
  const kv = f32x4.splat(<f32>1.0 - g);
  let j = 0;
  for (; j + 4 <= u; j += 4) {
    const o = <usize>j << 2;
    let zi = f32x4.add(v128.load(zin + o), v128.load(z + o));
    let zf = f32x4.add(v128.load(zin + ub + o), v128.load(z + ub + o));
    let zc = f32x4.add(v128.load(zin + 2 * ub + o), v128.load(z + 2 * ub + o));
    let zo = f32x4.add(v128.load(zin + 3 * ub + o), v128.load(z + 3 * ub + o));
    if (zx) {
      zi = f32x4.add(zi, v128.load(zx + o));
      zf = f32x4.add(zf, v128.load(zx + ub + o));
      zc = f32x4.add(zc, v128.load(zx + 2 * ub + o));
      zo = f32x4.add(zo, v128.load(zx + 3 * ub + o));
    }
    const write = f32x4.mul(gv, f32x4.mul(sigmoid4(zi), tanh4(zc)));
    const keep = f32x4.mul(kv, f32x4.mul(sigmoid4(zf), v128.load(c + o)));
    const cn = f32x4.add(write, keep);
    v128.store(c + o, cn);
    v128.store(h + o, f32x4.mul(sigmoid4(zo), tanh4(cn)));
  }
  for (; j < u; j++) {
    const o = <usize>j << 2;
    let zi = load<f32>(zin + o) + load<f32>(z + o);
    let zf = load<f32>(zin + ub + o) + load<f32>(z + ub + o);
    let zc = load<f32>(zin + 2 * ub + o) + load<f32>(z + 2 * ub + o);
    let zo = load<f32>(zin + 3 * ub + o) + load<f32>(z + 3 * ub + o);
    if (zx) {
      zi += load<f32>(zx + o);
      zf += load<f32>(zx + ub + o);
      zc += load<f32>(zx + 2 * ub + o);
      zo += load<f32>(zx + 3 * ub + o);
    }
    const cn = g * (sigmoidf(zi) * tanhf(zc)) + (<f32>1.0 - g) * (sigmoidf(zf) * load<f32>(c + o));
    store<f32>(c + o, cn);
    store<f32>(h + o, sigmoidf(zo) * tanhf(cn));
  }
}

/**
 * The gated layer 2 of the 'gca' type over T steps of B windows, from the zero state: each step z_b = h_b U (four
 * windows per weight load), then {@link gatedGates} with the step's input products zin (and the feature term zx)
 * and gate g_t. cfg (i32): B, T, U, zin [T, B, 4U], zx [T, B, 4U] or 0, g [T, B] (f32), U [U, 4U], zeros [4U],
 * h [B, U] (the last state, out), c [B, U], z [B, 4U] (byte offsets).
 */
export function gated(cfg: usize): void {
  const B = cfgAt(cfg, 0);
  const T = cfgAt(cfg, 1);
  const u = cfgAt(cfg, 2);
  const zin = <usize>cfgAt(cfg, 3);
  const zx = <usize>cfgAt(cfg, 4);
  const gs = <usize>cfgAt(cfg, 5);
  const R = <usize>cfgAt(cfg, 6);
  const zeros = <usize>cfgAt(cfg, 7);
  const h = <usize>cfgAt(cfg, 8);
  const c = <usize>cfgAt(cfg, 9);
  const z = <usize>cfgAt(cfg, 10);
  const n = u * 4;
  const hStride = <usize>u << 2;
  const zStride = <usize>n << 2;
  memory.fill(h, 0, <usize>B * hStride);
  memory.fill(c, 0, <usize>B * hStride);
  for (let t = 0; t < T; t++) {
    let w = 0;
    for (; w + 4 <= B; w += 4) {
      gemm4(h + <usize>w * hStride, hStride, u, R, 0, 0, 0, 0, n, z + <usize>w * zStride, zStride, zeros);
    }
    for (; w < B; w++) {
      const zw = z + <usize>w * zStride;
      memory.copy(zw, zeros, zStride);
      gemvAcc(h + <usize>w * hStride, u, R, n, zw);
    }
    const step = <usize>t * <usize>B;
    for (let b = 0; b < B; b++) {
      const at = (step + <usize>b) * zStride;
      gatedGates(u, h + <usize>b * hStride, c + <usize>b * hStride, z + <usize>b * zStride, zin + at,
        zx ? zx + at : 0, load<f32>(gs + ((step + <usize>b) << 2)));
    }
  }
}

// ---- The 'attention' type's encoder: backward through time from every step's hidden-state gradient ----

/**
 * Backward through time of the first LSTM layer after `encode` (its H, C, Z kept at cfg[22] as encode lays
 * them out), from a gradient for every step's hidden state: dH [T, B, U1] at cfg[41] (step t's row is the
 * gradient of the state after step t, the last state's own gradient already added by the caller). Zeroes
 * all cfg[38] bytes of gradients from cfg[27] + cfg[24] first, then sums dK1, dR1, db1 there. cfg (i32) as
 * trainStep's: 0-22 as forward (head and second layer ignored), 24 gradDelta, 27 params start, 29 scratch
 * (dh, dc, dh' [B, U1], then dZ [B, 4 U1]), 38 bytes of all gradients, 41 dH.
 */
export function encodeBackward(cfg: usize): void {
  const B = cfgAt(cfg, 0);
  const T = cfgAt(cfg, 1);
  const F = cfgAt(cfg, 2);
  const U1 = cfgAt(cfg, 4);
  const recAct = cfgAt(cfg, 8);
  const act = cfgAt(cfg, 9);
  const xs = <usize>cfgAt(cfg, 10);
  const k1 = <usize>cfgAt(cfg, 12);
  const r1 = <usize>cfgAt(cfg, 13);
  const b1 = <usize>cfgAt(cfg, 14);
  const gd = <usize>cfgAt(cfg, 24);
  const rowBytes = <usize>F << 2;
  const xStride = <usize>T * rowBytes;
  const sz1 = (<usize>B * <usize>U1) << 2;
  const H1 = <usize>cfgAt(cfg, 22);
  const C1 = H1 + <usize>(T + 1) * sz1;
  const Z1 = C1 + <usize>(T + 1) * sz1;
  const dHs = <usize>cfgAt(cfg, 41);
  const dh = <usize>cfgAt(cfg, 29);
  const dc = dh + sz1;
  const dhp = dc + sz1;
  const dZ = dhp + sz1;
  memory.fill(<usize>cfgAt(cfg, 27) + gd, 0, <usize>cfgAt(cfg, 38));
  memory.fill(dh, 0, sz1 * 2);
  let dhc = dh;
  let dhn = dhp;
  for (let t = T - 1; t >= 0; t--) {
    const ut = <usize>t;
    // this step's h gradient: from the attention (dH) plus from the next step (dhc, summed there)
    const g = dHs + ut * sz1;
    let j: usize = 0;
    for (; j + 16 <= sz1; j += 16) v128.store(dhc + j, f32x4.add(v128.load(dhc + j), v128.load(g + j)));
    for (; j < sz1; j += 4) store<f32>(dhc + j, load<f32>(dhc + j) + load<f32>(g + j));
    memory.fill(dhn, 0, sz1);
    stepBackBatch(B, U1, Z1 + ut * (sz1 << 2), C1 + (ut + 1) * sz1, C1 + ut * sz1, dhc, dc, dZ,
      xs + ut * rowBytes, xStride, F, H1 + ut * sz1, k1, r1, k1 + gd, r1 + gd, b1 + gd,
      t > 0 ? dhn : 0, 0, recAct, act);
    const s = dhc;
    dhc = dhn;
    dhn = s;
  }
}

/** tf.train.adam's update of the parameters (cfg as trainStep's 24-40) from the gradients already there. */
export function adamStep(cfg: usize): void {
  adam(cfg);
}

/**
 * The backward of `project` over its R rows (the attention's W_h h_t, every step of every window):
 * dW [rows, n] += sum over r of a_r^T d_r (the rows in ascending order) and dA_r += d_r W^T, d [R, n] the
 * gradients of the products. n a multiple of 4 (W, d and dW zero-padded). cfg (i32): R, rows, n, a, W, d,
 * dW, dA (byte offsets; a and dA rows of `rows` floats).
 */
export function projectBackward(cfg: usize): void {
  const R = cfgAt(cfg, 0);
  const rows = cfgAt(cfg, 1);
  const n = cfgAt(cfg, 2);
  const a = <usize>cfgAt(cfg, 3);
  const W = <usize>cfgAt(cfg, 4);
  const d = <usize>cfgAt(cfg, 5);
  outerAccBatch(R, a, <usize>rows << 2, rows, d, n, <usize>cfgAt(cfg, 6));
  dotRowsBatch(R, d, n, W, rows, <usize>cfgAt(cfg, 7), <usize>rows << 2);
}

/**
 * The 'attention' type's forecasts past its encoder, window by window, from `encode`'s states and `project`'s
 * W_h h_t: the query W_q q + b (q the last state), the scores v . tanh(W_h h_t + query), their softmax
 * (alpha), the context sum alpha_t h_t, and the head on [context ; q] plus the highway on the window. Each
 * window's sums run in the same order whatever n is, so a batch forecasts as its windows one by one.
 * DA4 a multiple of 4 (W_q, the bias, v and the projections zero-padded to it).
 * cfg (i32): n, T, F, U, DA4, H, highway, states (H [T + 1, n, U], step 0 the zero state), P [T, n, DA4],
 * W_q [U, DA4], bias [DA4], v [DA4], head kernel [2U, H], head bias [H], highway kernel [T F, H],
 * highway bias [H], x [n, T, F], forecast [n, H], alpha [n, T], scratch (DA4 + U floats) (byte offsets).
 */
export function attendHead(cfg: usize): void {
  const n = cfgAt(cfg, 0);
  const T = cfgAt(cfg, 1);
  const F = cfgAt(cfg, 2);
  const U = cfgAt(cfg, 3);
  const DA4 = cfgAt(cfg, 4);
  const H = cfgAt(cfg, 5);
  const highway = cfgAt(cfg, 6);
  const states = <usize>cfgAt(cfg, 7);
  const P = <usize>cfgAt(cfg, 8);
  const wQ = <usize>cfgAt(cfg, 9);
  const bias = <usize>cfgAt(cfg, 10);
  const v = <usize>cfgAt(cfg, 11);
  const headW = <usize>cfgAt(cfg, 12);
  const headB = <usize>cfgAt(cfg, 13);
  const hwW = <usize>cfgAt(cfg, 14);
  const hwB = <usize>cfgAt(cfg, 15);
  const xs = <usize>cfgAt(cfg, 16);
  const forecast = <usize>cfgAt(cfg, 17);
  const alphas = <usize>cfgAt(cfg, 18);
  const query = <usize>cfgAt(cfg, 19);
  const context = query + (<usize>DA4 << 2);
  const daBytes = <usize>DA4 << 2;
  const uBytes = <usize>U << 2;
  const stepBytes = <usize>n * uBytes;
  const pStep = <usize>n * daBytes;
  const u4 = uBytes & ~(<usize>15);
  for (let b = 0; b < n; b++) {
    const q = states + <usize>T * stepBytes + <usize>b * uBytes;
    memory.copy(query, bias, daBytes);
    gemvAcc(q, U, wQ, DA4, query);
    const e = alphas + ((<usize>b * <usize>T) << 2);
    let top = -Infinity;
    for (let t = 0; t < T; t++) {
      const p = P + <usize>t * pStep + <usize>b * daBytes;
      let acc = f32x4.splat(0);
      for (let k: usize = 0; k < daBytes; k += 16) {
        const s = tanh4(f32x4.add(v128.load(p + k), v128.load(query + k)));
        acc = f32x4.add(acc, f32x4.mul(v128.load(v + k), s));
      }
      const score = lanes(acc);
      store<f32>(e + (<usize>t << 2), score);
      if (score > top) top = score;
    }
    let sum: f32 = 0;
    for (let t = 0; t < T; t++) {
      const o = e + (<usize>t << 2);
      const y = Mathf.exp(load<f32>(o) - <f32>top);
      store<f32>(o, y);
      sum += y;
    }
    memory.fill(context, 0, uBytes);
    for (let t = 0; t < T; t++) {
      const o = e + (<usize>t << 2);
      const a = load<f32>(o) / sum;
      store<f32>(o, a);
      const h = states + <usize>(t + 1) * stepBytes + <usize>b * uBytes;
      const a4 = f32x4.splat(a);
      let j: usize = 0;
      for (; j < u4; j += 16) {
        v128.store(context + j, f32x4.add(v128.load(context + j), f32x4.mul(a4, v128.load(h + j))));
      }
      for (; j < uBytes; j += 4) store<f32>(context + j, load<f32>(context + j) + a * load<f32>(h + j));
    }
    const out = forecast + ((<usize>b * <usize>H) << 2);
    for (let o = 0; o < H; o++) {
      const at = <usize>o << 2;
      store<f32>(out + at, load<f32>(headB + at) + (highway ? load<f32>(hwB + at) : <f32>0));
    }
    const x = xs + ((<usize>b * <usize>(T * F)) << 2);
    if ((H & 3) == 0) {
      gemvAcc(context, U, headW, H, out);
      gemvAcc(q, U, headW + <usize>U * (<usize>H << 2), H, out);
      if (highway) gemvAcc(x, T * F, hwW, H, out);
    } else {
      gemvAccScalar(context, U, headW, H, out);
      gemvAccScalar(q, U, headW + <usize>U * (<usize>H << 2), H, out);
      if (highway) gemvAccScalar(x, T * F, hwW, H, out);
    }
  }
}

/**
 * The states H [T + 1, B, U1] of every step of cfg[0] windows through the first LSTM layer, for forecasts:
 * `encode` on [K1; R1] packed by column block (gemm4P, as `forward` reads them; R1 not read), one slot of C
 * and Z (C [B, U1], Z [B, 4 U1] after H). The same sums as `encode`'s, so the same states bit for bit.
 * Scratch holds B * ((T + 1) + 5) U1 floats.
 */
export function encodeStates(cfg: usize): void {
  const B = cfgAt(cfg, 0);
  const T = cfgAt(cfg, 1);
  const sz1 = (<usize>B * <usize>cfgAt(cfg, 4)) << 2;
  const H1 = <usize>cfgAt(cfg, 22);
  const C1 = H1 + <usize>(T + 1) * sz1;
  forwardSteps(cfg, false, H1, C1, C1 + sz1, 0, 0, 0, true, true);
}

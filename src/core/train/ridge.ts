/**
 * Closed-form ridge regression with an intercept, in plain JavaScript (no tfjs):
 * the linear model the forecasters start from (linear-start.ts sets the highway's
 * Dense layer to it), and the protocol's "ridge" baseline.
 *
 *   minimise  sum_i ||y_i - W^T x_i - b||^2 + alpha ||W||_F^2   (b not penalised)
 *
 * X and Y are centred on their training means, then (Xc^T Xc + alpha I) W = Xc^T Yc
 * is solved by a Cholesky factorisation (the matrix is symmetric positive definite
 * for alpha > 0), and b = mean(Y) - W^T mean(X). This is sklearn's `Ridge` with
 * `fit_intercept=True`. The Gram matrix Xc^T Xc and Xc^T Yc are computed once
 * ({@link ridgeMoments}) and reused for every alpha of a validation search
 * ({@link selectRidge}). Cost: N D^2 / 2 for the Gram matrix, D^3 / 6 per alpha;
 * arithmetic in float64. Sizes in this pack: D = L*F up to a few hundred.
 */
import { fail } from '../base/messages';

/** The protocol's alpha grid (accuracy-protocol.json, methods.ridge). */
export const RIDGE_ALPHAS: readonly number[] = [1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];

/** A dense row-major matrix: `rows` x `cols` values in `data`. */
export interface Matrix {
  data: ArrayLike<number>;
  rows: number;
  cols: number;
}

/** A matrix as nested rows ([N][D]) or flat row-major ({@link Matrix}). */
export type MatrixLike = number[][] | Matrix;

/** A fitted ridge model: yhat = W^T x + b. */
export interface RidgeModel {
  /** [D*H] row-major: `weights[d*H + h]` is the weight of input d in output h (Dense kernel layout [D, H]). */
  weights: Float64Array;
  /** [H] intercepts. */
  intercept: Float64Array;
  /** The penalty it was fitted with. */
  alpha: number;
  /** D. */
  inputs: number;
  /** H. */
  outputs: number;
}

/** Centred sufficient statistics of a training set (see {@link ridgeMoments}). */
export interface RidgeMoments {
  /** [D] column means of X. */
  xMean: Float64Array;
  /** [H] column means of Y. */
  yMean: Float64Array;
  /** [D*D] Xc^T Xc (full symmetric). */
  gram: Float64Array;
  /** [D*H] Xc^T Yc. */
  cross: Float64Array;
  rows: number;
  inputs: number;
  outputs: number;
}

/** One alpha of a validation search. */
export interface RidgeScore {
  alpha: number;
  /** Mean squared error over all validation rows and outputs; Infinity when the solve failed. */
  mse: number;
}

/** Result of {@link selectRidge}. */
export interface RidgeSelection {
  /** The model with the lowest validation MSE (fitted on the training set). */
  model: RidgeModel;
  /** Its validation MSE. */
  mse: number;
  /** Every alpha tried, in the order given. */
  scores: RidgeScore[];
}

/** Normalises nested or flat input into a {@link Matrix}, checking its shape. */
export function asMatrix(m: MatrixLike, what: string): Matrix {
  if (Array.isArray(m)) {
    const rows = m.length;
    const cols = rows ? m[0].length : 0;
    const data = new Float64Array(rows * cols);
    m.forEach((r, i) => {
      if (!Array.isArray(r) || r.length !== cols)
        throw fail('BAD_INPUT', 'ridge.rowLength', { what, i, cols, got: Array.isArray(r) ? r.length : typeof r });
      for (let j = 0; j < cols; j++) data[i * cols + j] = r[j];
    });
    return { data, rows, cols };
  }
  if (
    !m ||
    !Number.isInteger(m.rows) ||
    !Number.isInteger(m.cols) ||
    m.rows < 0 ||
    m.cols < 0 ||
    m.data.length !== m.rows * m.cols
  ) {
    throw fail('BAD_INPUT', 'ridge.matrixSize', {
      what,
      mRows: m?.rows,
      mCols: m?.cols,
      value: (m?.rows ?? 0) * (m?.cols ?? 0),
      got: m?.data?.length,
    });
  }
  return m;
}

/** The inputs' part of {@link RidgeMoments}: column means and the centred Gram matrix, shared by any targets. */
export type InputMoments = Pick<RidgeMoments, 'xMean' | 'gram' | 'rows' | 'inputs'>;

/**
 * Column means and the centred Gram matrix Xc^T Xc of a training set's inputs: the costly part of the moments
 * (N D^2), the same for every target set fitted on the same inputs.
 * @param x [N][D] inputs. N >= 1, D >= 1.
 */
export function inputMoments(x: MatrixLike): InputMoments {
  const X = asMatrix(x, 'X');
  const N = X.rows;
  const D = X.cols;
  if (N < 1 || D < 1) throw fail('BAD_INPUT', 'ridge.empty', { got: N, d: D, h: 1 });
  const xMean = new Float64Array(D);
  for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) xMean[d] += X.data[i * D + d];
  for (let d = 0; d < D; d++) xMean[d] /= N;
  const gram = new Float64Array(D * D);
  const xc = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    for (let d = 0; d < D; d++) xc[d] = X.data[i * D + d] - xMean[d];
    // Upper triangle only; mirrored below.
    for (let a = 0; a < D; a++) {
      const va = xc[a];
      if (va === 0) continue;
      const row = a * D;
      for (let b = a; b < D; b++) gram[row + b] += va * xc[b];
    }
  }
  for (let a = 0; a < D; a++) for (let b = 0; b < a; b++) gram[a * D + b] = gram[b * D + a];
  return { xMean, gram, rows: N, inputs: D };
}

/**
 * Means and centred cross products of a training set.
 * @param x [N][D] inputs. @param y [N][H] targets. N >= 1, D >= 1, H >= 1.
 * @param xm the inputs' moments when already computed ({@link inputMoments} of the same `x`).
 */
export function ridgeMoments(x: MatrixLike, y: MatrixLike, xm?: InputMoments): RidgeMoments {
  const X = asMatrix(x, 'X');
  const Y = asMatrix(y, 'Y');
  const N = X.rows;
  const D = X.cols;
  const H = Y.cols;
  if (Y.rows !== N) throw fail('BAD_INPUT', 'ridge.targetRows', { got: Y.rows, n: N });
  if (N < 1 || D < 1 || H < 1) throw fail('BAD_INPUT', 'ridge.empty', { got: N, d: D, h: H });
  if (xm && (xm.rows !== N || xm.inputs !== D)) {
    throw fail('BAD_INPUT', 'ridge.matrixSize', {
      what: 'X moments',
      mRows: xm.rows,
      mCols: xm.inputs,
      value: N * D,
      got: xm.rows * xm.inputs,
    });
  }
  const { xMean, gram } = xm ?? inputMoments(X);
  const yMean = new Float64Array(H);
  for (let i = 0; i < N; i++) for (let h = 0; h < H; h++) yMean[h] += Y.data[i * H + h];
  for (let h = 0; h < H; h++) yMean[h] /= N;
  const cross = new Float64Array(D * H);
  const xc = new Float64Array(D);
  const yc = new Float64Array(H);
  for (let i = 0; i < N; i++) {
    for (let d = 0; d < D; d++) xc[d] = X.data[i * D + d] - xMean[d];
    for (let h = 0; h < H; h++) yc[h] = Y.data[i * H + h] - yMean[h];
    for (let a = 0; a < D; a++) {
      const va = xc[a];
      if (va === 0) continue;
      const crow = a * H;
      for (let h = 0; h < H; h++) cross[crow + h] += va * yc[h];
    }
  }
  return { xMean, yMean, gram, cross, rows: N, inputs: D, outputs: H };
}

/**
 * Solves (G + alpha I) W = C for symmetric positive semi-definite G [D*D] and
 * C [D*H] by Cholesky. Returns null when a pivot is not positive (G + alpha I is
 * not numerically positive definite, e.g. alpha = 0 with collinear inputs).
 */
export function solveRidgeSystem(
  gram: ArrayLike<number>,
  cross: ArrayLike<number>,
  D: number,
  H: number,
  alpha: number,
): Float64Array | null {
  const Lm = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) {
      let s = gram[i * D + j] + (i === j ? alpha : 0);
      const ri = i * D;
      const rj = j * D;
      for (let k = 0; k < j; k++) s -= Lm[ri + k] * Lm[rj + k];
      if (i === j) {
        if (!(s > 0) || !Number.isFinite(s)) return null;
        Lm[ri + i] = Math.sqrt(s);
      } else {
        Lm[ri + j] = s / Lm[rj + j];
      }
    }
  }
  const W = new Float64Array(D * H);
  const z = new Float64Array(D);
  for (let h = 0; h < H; h++) {
    // L z = c_h, then L^T w = z.
    for (let i = 0; i < D; i++) {
      let s = cross[i * H + h];
      for (let k = 0; k < i; k++) s -= Lm[i * D + k] * z[k];
      z[i] = s / Lm[i * D + i];
    }
    for (let i = D - 1; i >= 0; i--) {
      let s = z[i];
      for (let k = i + 1; k < D; k++) s -= Lm[k * D + i] * W[k * H + h];
      W[i * H + h] = s / Lm[i * D + i];
    }
  }
  return W;
}

function modelFromMoments(m: RidgeMoments, alpha: number): RidgeModel | null {
  const { inputs: D, outputs: H } = m;
  const weights = solveRidgeSystem(m.gram, m.cross, D, H, alpha);
  if (!weights) return null;
  const intercept = Float64Array.from(m.yMean);
  for (let d = 0; d < D; d++) for (let h = 0; h < H; h++) intercept[h] -= m.xMean[d] * weights[d * H + h];
  return { weights, intercept, alpha, inputs: D, outputs: H };
}

function checkAlpha(alpha: unknown): asserts alpha is number {
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0)
    throw fail('BAD_INPUT', 'ridge.badAlpha', { got: String(alpha) });
}

/**
 * Fits ridge regression with intercept.
 * @param x [N][D] inputs (nested or flat row-major).
 * @param y [N][H] targets.
 * @param alpha penalty >= 0 on the weights (not the intercept); 0 = least squares,
 *   which needs X of full column rank.
 * @param xm {@link inputMoments} of `x` when already computed (several target sets on the same inputs).
 * @throws ForecastError BAD_INPUT on bad shapes, or when the system is singular.
 */
export function fitRidge(x: MatrixLike, y: MatrixLike, alpha: number, xm?: InputMoments): RidgeModel {
  checkAlpha(alpha);
  const model = modelFromMoments(ridgeMoments(x, y, xm), alpha);
  if (!model) throw fail('BAD_INPUT', 'ridge.singular', { alpha });
  return model;
}

/** Predictions [N*H] (row-major) of a ridge model for inputs [N][D]. */
export function predictRidge(model: RidgeModel, x: MatrixLike): Float64Array {
  const X = asMatrix(x, 'X');
  const { inputs: D, outputs: H, weights, intercept } = model;
  if (X.cols !== D) throw fail('BAD_INPUT', 'ridge.inputCount', { d: D, got: X.cols });
  const out = new Float64Array(X.rows * H);
  for (let i = 0; i < X.rows; i++) {
    const o = i * H;
    for (let h = 0; h < H; h++) out[o + h] = intercept[h];
    for (let d = 0; d < D; d++) {
      const v = X.data[i * D + d];
      if (v === 0) continue;
      const w = d * H;
      for (let h = 0; h < H; h++) out[o + h] += v * weights[w + h];
    }
  }
  return out;
}

/** Mean squared error of `pred` against a target matrix (same N x H). */
function mse(pred: ArrayLike<number>, y: Matrix): number {
  let s = 0;
  for (let i = 0; i < y.data.length; i++) s += (pred[i] - y.data[i]) ** 2;
  return s / y.data.length;
}

/**
 * Fits ridge on the training set for every alpha and keeps the one with the
 * lowest validation MSE (ties: the first in `alphas`). Alphas whose system is
 * singular score Infinity.
 * @param alphas candidates, each >= 0. Default {@link RIDGE_ALPHAS}.
 * @param xm {@link inputMoments} of `xTrain` when already computed.
 * @throws ForecastError BAD_INPUT on bad shapes, an empty grid, or when every alpha fails.
 */
export function selectRidge(
  xTrain: MatrixLike,
  yTrain: MatrixLike,
  xVal: MatrixLike,
  yVal: MatrixLike,
  alphas: readonly number[] = RIDGE_ALPHAS,
  xm?: InputMoments,
): RidgeSelection {
  if (!alphas.length) throw fail('BAD_INPUT', 'ridge.noAlpha', {});
  alphas.forEach(checkAlpha);
  const moments = ridgeMoments(xTrain, yTrain, xm);
  const Xv = asMatrix(xVal, 'validation X');
  const Yv = asMatrix(yVal, 'validation Y');
  if (Xv.rows !== Yv.rows || Xv.rows < 1)
    throw fail('BAD_INPUT', 'ridge.validationRows', { got: Xv.rows, yvRows: Yv.rows });
  if (Yv.cols !== moments.outputs)
    throw fail('BAD_INPUT', 'ridge.validationOutputs', { momentsOutputs: moments.outputs, got: Yv.cols });
  let best: { model: RidgeModel; mse: number } | null = null;
  const scores: RidgeScore[] = [];
  for (const alpha of alphas) {
    const model = modelFromMoments(moments, alpha);
    const score = model ? mse(predictRidge(model, Xv), Yv) : Infinity;
    scores.push({ alpha, mse: score });
    if (model && Number.isFinite(score) && (!best || score < best.mse)) best = { model, mse: score };
  }
  if (!best) throw fail('BAD_INPUT', 'ridge.noFiniteAlpha', { alphas: alphas.join(', ') });
  return { model: best.model, mse: best.mse, scores };
}

/** Nested number arrays <-> flat typed arrays (row-major), for tensors and worker transfer; searches in sorted arrays. */
import { fail } from './messages';

/** Flattens [N][A][B] nested arrays row-major into a Float32Array of N*A*B. */
export function flatten3(data: number[][][]): Float32Array {
  const n = data.length;
  const a = n ? data[0].length : 0;
  const b = a ? data[0][0].length : 0;
  const out = new Float32Array(n * a * b);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const w = data[i];
    for (let j = 0; j < a; j++) {
      const row = w[j];
      for (let c = 0; c < b; c++) out[k++] = row[c];
    }
  }
  return out;
}

/** Inverse of {@link flatten3}: a flat row-major array to [N][A][B] numbers. */
export function unflatten3(flat: ArrayLike<number>, n: number, a: number, b: number): number[][][] {
  if (flat.length !== n * a * b) {
    throw fail('BAD_INPUT', 'arrays.badLength', { value: n * a * b, n, a, b, got: flat.length });
  }
  const out: number[][][] = new Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const w: number[][] = new Array(a);
    for (let j = 0; j < a; j++) {
      const row: number[] = new Array(b);
      for (let c = 0; c < b; c++) row[c] = flat[k++];
      w[j] = row;
    }
    out[i] = w;
  }
  return out;
}

/** The largest finite float32: tensors are float32, so a larger input becomes Infinity inside the model. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** True for a number a float32 tensor holds as a finite value. */
export function isFiniteFloat32(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= FLOAT32_MAX;
}

/** Index of the first value that is not finite, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/**
 * The first index in [0, length) at which `reached` holds, for a predicate that, once true, stays true (a binary
 * search); `length` when it never holds.
 */
export function firstReached(length: number, reached: (i: number) => boolean): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (reached(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The index of the first value >= x in an ascending array (its length when none). */
export function lowerBound(sorted: ArrayLike<number>, x: number): number {
  return firstReached(sorted.length, (i) => sorted[i] >= x);
}

/** The index of the first value > x in an ascending array: how many are <= x. */
export function upperBound(sorted: ArrayLike<number>, x: number): number {
  return firstReached(sorted.length, (i) => sorted[i] > x);
}

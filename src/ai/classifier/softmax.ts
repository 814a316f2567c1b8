/**
 * Multinomial logistic regression over sparse rows, trained by full-batch Adam for a fixed number of steps from a
 * zero start. No randomness anywhere (no shuffling, no random init, no early stopping on a clock), so the same
 * data always gives bit-identical weights.
 */

/** A sparse feature vector: parallel arrays of feature indices and values. */
export interface SparseRow {
  idx: Int32Array;
  val: Float64Array;
}

export interface SoftmaxModel {
  readonly classes: number;
  readonly features: number;
  /** Feature-major (`feature * classes + class`) so one feature's class weights sit together in memory. */
  readonly weights: Float64Array;
  readonly bias: Float64Array;
}

export interface SoftmaxTrainOptions {
  epochs: number;
  learningRate: number;
  /** L2 penalty on the weights (not the bias), per example. */
  l2: number;
}

export const DEFAULT_SOFTMAX_OPTIONS: SoftmaxTrainOptions = { epochs: 30, learningRate: 0.25, l2: 1e-4 };

export function logits(model: SoftmaxModel, row: SparseRow, into?: Float64Array): Float64Array {
  const C = model.classes;
  const z = into ?? new Float64Array(C);
  z.set(model.bias);
  const w = model.weights;
  for (let k = 0; k < row.idx.length; k++) {
    const base = (row.idx[k] as number) * C;
    const v = row.val[k] as number;
    for (let c = 0; c < C; c++) z[c] = (z[c] as number) + v * (w[base + c] as number);
  }
  return z;
}

/** Softmax of `z / temperature`, numerically stable; writes into `into` when given (the training loop reuses it). */
export function softmax(z: Float64Array, temperature = 1, into?: Float64Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of z) if (v > max) max = v;
  const p = into ?? new Float64Array(z.length);
  let sum = 0;
  for (let c = 0; c < z.length; c++) {
    const e = Math.exp(((z[c] as number) - max) / temperature);
    p[c] = e;
    sum += e;
  }
  for (let c = 0; c < p.length; c++) p[c] = (p[c] as number) / sum;
  return p;
}

export function trainSoftmax(
  rows: readonly SparseRow[],
  labels: readonly number[],
  features: number,
  classes: number,
  opts: SoftmaxTrainOptions = DEFAULT_SOFTMAX_OPTIONS,
): SoftmaxModel {
  const C = classes;
  const n = rows.length;
  const P = features * C;
  const model = { classes, features, weights: new Float64Array(P), bias: new Float64Array(C) };
  const gW = new Float64Array(P);
  const gB = new Float64Array(C);
  const mW = new Float64Array(P);
  const vW = new Float64Array(P);
  const mB = new Float64Array(C);
  const vB = new Float64Array(C);
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-8;
  const z = new Float64Array(C);
  const p = new Float64Array(C);
  // One flat CSR copy of the rows: the hot loop then reads three typed arrays and no objects.
  const start = new Int32Array(n + 1);
  rows.forEach((r, i) => {
    start[i + 1] = (start[i] as number) + r.idx.length;
  });
  const idx = new Int32Array(start[n] as number);
  const val = new Float64Array(start[n] as number);
  rows.forEach((r, i) => {
    idx.set(r.idx, start[i]);
    val.set(r.val, start[i]);
  });
  const W = model.weights;
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    gW.fill(0);
    gB.fill(0);
    for (let i = 0; i < n; i++) {
      const from = start[i] as number;
      const to = start[i + 1] as number;
      z.set(model.bias);
      for (let k = from; k < to; k++) {
        const base = (idx[k] as number) * C;
        const v = val[k] as number;
        for (let c = 0; c < C; c++) z[c] = (z[c] as number) + v * (W[base + c] as number);
      }
      softmax(z, 1, p);
      const y = labels[i] as number;
      p[y] = (p[y] as number) - 1;
      for (let c = 0; c < C; c++) gB[c] = (gB[c] as number) + (p[c] as number) / n;
      for (let k = from; k < to; k++) {
        const base = (idx[k] as number) * C;
        const v = (val[k] as number) / n;
        for (let c = 0; c < C; c++) gW[base + c] = (gW[base + c] as number) + v * (p[c] as number);
      }
    }
    const c1 = 1 - b1 ** epoch;
    const c2 = 1 - b2 ** epoch;
    const step = (w: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, l2: number) => {
      for (let j = 0; j < w.length; j++) {
        const gj = (g[j] as number) + l2 * (w[j] as number);
        const mj = b1 * (m[j] as number) + (1 - b1) * gj;
        const vj = b2 * (v[j] as number) + (1 - b2) * gj * gj;
        m[j] = mj;
        v[j] = vj;
        w[j] = (w[j] as number) - (opts.learningRate * (mj / c1)) / (Math.sqrt(vj / c2) + eps);
      }
    };
    step(model.weights, gW, mW, vW, opts.l2);
    step(model.bias, gB, mB, vB, 0);
  }
  return model;
}

/** Mean negative log-likelihood of the true labels at a temperature. */
export function meanNll(allLogits: readonly Float64Array[], labels: readonly number[], temperature: number): number {
  let total = 0;
  for (let i = 0; i < allLogits.length; i++) {
    const p = softmax(allLogits[i] as Float64Array, temperature)[labels[i] as number] as number;
    total -= Math.log(Math.max(p, 1e-12));
  }
  return total / Math.max(allLogits.length, 1);
}

/**
 * Temperature scaling (Guo et al. 2017): the single T > 0 minimising held-out NLL, found by golden-section search
 * on ln T in [ln 0.05, ln 20] (NLL is unimodal in T). Returns 1 when there is nothing to fit on.
 */
export function fitTemperature(allLogits: readonly Float64Array[], labels: readonly number[]): number {
  if (allLogits.length === 0) return 1;
  const f = (lnT: number) => meanNll(allLogits, labels, Math.exp(lnT));
  const phi = (Math.sqrt(5) - 1) / 2;
  let lo = Math.log(0.05);
  let hi = Math.log(20);
  let x1 = hi - phi * (hi - lo);
  let x2 = lo + phi * (hi - lo);
  let f1 = f(x1);
  let f2 = f(x2);
  for (let i = 0; i < 60; i++) {
    if (f1 <= f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - phi * (hi - lo);
      f1 = f(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + phi * (hi - lo);
      f2 = f(x2);
    }
  }
  return Math.exp((lo + hi) / 2);
}

/**
 * The surrogate models of LIME and KernelSHAP, in float64 JavaScript (the problems are small: samples ×
 * groups): a weighted linear fit with an unpenalized intercept, either least squares (scikit-learn's
 * `LinearRegression` with `sample_weight`, which Captum's KernelShap trains) or the lasso (scikit-learn's
 * `Lasso(alpha)` with `sample_weight`, Captum's Lime default), minimizing
 *
 *   1 / (2 Σw) · Σ_i w_i (y_i − b − x_i·β)²  +  α ‖β‖₁     (α = 0: weighted least squares).
 *
 * Rows are `x` (rows × m, row-major), `y` and `w`. Returns β (the intercept is not returned, as Captum's
 * attributions are the coefficients alone).
 */

/** Weighted means of the columns and of y, and the centred data. */
function centre(x: Float64Array, y: Float64Array, w: Float64Array, rows: number, m: number) {
  let sw = 0;
  for (let i = 0; i < rows; i++) sw += w[i];
  const mx = new Float64Array(m);
  let my = 0;
  for (let i = 0; i < rows; i++) {
    my += w[i] * y[i];
    for (let j = 0; j < m; j++) mx[j] += w[i] * x[i * m + j];
  }
  my /= sw;
  for (let j = 0; j < m; j++) mx[j] /= sw;
  const xc = new Float64Array(rows * m);
  const yc = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    yc[i] = y[i] - my;
    for (let j = 0; j < m; j++) xc[i * m + j] = x[i * m + j] - mx[j];
  }
  return { sw, xc, yc };
}

/** Eigen-decomposition of a symmetric m × m matrix (cyclic Jacobi): eigenvalues and eigenvectors (columns). */
function symmetricEigen(a: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const A = a.slice();
  const V = new Float64Array(m * m);
  for (let i = 0; i < m; i++) V[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < m; i++) {
      diag += A[i * m + i] ** 2;
      for (let j = i + 1; j < m; j++) off += A[i * m + j] ** 2;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = A[p * m + q];
        if (apq === 0) continue;
        const theta = (A[q * m + q] - A[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = A[k * m + p];
          const akq = A[k * m + q];
          A[k * m + p] = c * akp - s * akq;
          A[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = A[p * m + k];
          const aqk = A[q * m + k];
          A[p * m + k] = c * apk - s * aqk;
          A[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = V[k * m + p];
          const vkq = V[k * m + q];
          V[k * m + p] = c * vkp - s * vkq;
          V[k * m + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(m);
  for (let i = 0; i < m; i++) values[i] = A[i * m + i];
  return { values, vectors: V };
}

/**
 * Solves the normal equations G β = r (G = XcᵀWXc symmetric positive semi-definite): by Cholesky when G is
 * well conditioned, else the minimum-norm solution through the pseudo-inverse (eigenvalues below 1e-10 of
 * the largest count as zero), which is what scikit-learn's least squares (`lstsq`) gives a
 * rank-deficient design, up to that cut-off.
 */
function solveNormal(g: Float64Array, r: Float64Array, m: number): Float64Array {
  let maxDiag = 0;
  for (let i = 0; i < m; i++) maxDiag = Math.max(maxDiag, g[i * m + i]);
  if (maxDiag === 0) return new Float64Array(m);
  const L = new Float64Array(m * m);
  let ok = true;
  for (let j = 0; j < m && ok; j++) {
    let d = g[j * m + j];
    for (let k = 0; k < j; k++) d -= L[j * m + k] ** 2;
    if (!(d > 1e-10 * maxDiag)) {
      ok = false;
      break;
    }
    const ljj = Math.sqrt(d);
    L[j * m + j] = ljj;
    for (let i = j + 1; i < m; i++) {
      let s = g[i * m + j];
      for (let k = 0; k < j; k++) s -= L[i * m + k] * L[j * m + k];
      L[i * m + j] = s / ljj;
    }
  }
  if (ok) {
    const z = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let s = r[i];
      for (let k = 0; k < i; k++) s -= L[i * m + k] * z[k];
      z[i] = s / L[i * m + i];
    }
    const beta = new Float64Array(m);
    for (let i = m - 1; i >= 0; i--) {
      let s = z[i];
      for (let k = i + 1; k < m; k++) s -= L[k * m + i] * beta[k];
      beta[i] = s / L[i * m + i];
    }
    return beta;
  }
  const { values, vectors } = symmetricEigen(g, m);
  const top = Math.max(...values);
  const beta = new Float64Array(m);
  for (let e = 0; e < m; e++) {
    if (!(values[e] > 1e-10 * top)) continue;
    let proj = 0;
    for (let k = 0; k < m; k++) proj += vectors[k * m + e] * r[k];
    proj /= values[e];
    for (let k = 0; k < m; k++) beta[k] += proj * vectors[k * m + e];
  }
  return beta;
}

/** Weighted least squares with an intercept (minimum-norm when the design is rank-deficient); returns β. */
export function weightedLeastSquares(x: Float64Array, y: Float64Array, w: Float64Array, rows: number, m: number): Float64Array {
  const { xc, yc } = centre(x, y, w, rows, m);
  const g = new Float64Array(m * m);
  const r = new Float64Array(m);
  for (let i = 0; i < rows; i++) {
    const wi = w[i];
    for (let j = 0; j < m; j++) {
      const a = wi * xc[i * m + j];
      r[j] += a * yc[i];
      for (let k = j; k < m; k++) g[j * m + k] += a * xc[i * m + k];
    }
  }
  for (let j = 0; j < m; j++) for (let k = 0; k < j; k++) g[j * m + k] = g[k * m + j];
  return solveNormal(g, r, m);
}

/**
 * The weighted lasso with an intercept (see the module comment) by cyclic coordinate descent from β = 0,
 * as scikit-learn's `Lasso`, until no coefficient moves by more than 1e-10 of the scale of y (or 10 000
 * sweeps). α = 0 is weighted least squares (solved directly).
 */
export function weightedLasso(x: Float64Array, y: Float64Array, w: Float64Array, rows: number, m: number, alpha: number): Float64Array {
  if (alpha === 0) return weightedLeastSquares(x, y, w, rows, m);
  const { sw, xc, yc } = centre(x, y, w, rows, m);
  const z = new Float64Array(m);
  for (let i = 0; i < rows; i++) for (let j = 0; j < m; j++) z[j] += (w[i] * xc[i * m + j] ** 2) / sw;
  const beta = new Float64Array(m);
  const resid = yc.slice();
  let scale = 0;
  for (let i = 0; i < rows; i++) scale = Math.max(scale, Math.abs(yc[i]));
  const tol = 1e-10 * Math.max(scale, 1e-30);
  for (let sweep = 0; sweep < 10000; sweep++) {
    let moved = 0;
    for (let j = 0; j < m; j++) {
      if (z[j] === 0) continue;
      let rho = 0;
      for (let i = 0; i < rows; i++) rho += w[i] * xc[i * m + j] * resid[i];
      rho = rho / sw + z[j] * beta[j];
      const next = Math.sign(rho) * Math.max(Math.abs(rho) - alpha, 0) / z[j];
      const d = next - beta[j];
      if (d !== 0) {
        for (let i = 0; i < rows; i++) resid[i] -= d * xc[i * m + j];
        beta[j] = next;
        moved = Math.max(moved, Math.abs(d) * Math.sqrt(z[j]));
      }
    }
    if (moved <= tol) break;
  }
  return beta;
}

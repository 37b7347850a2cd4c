/**
 * Unpenalised binary logistic regression fitted by iteratively reweighted least squares (Newton's
 * method), the algorithm R's glm(family = binomial) uses, so the coefficients can be checked
 * against R's to many digits. Fisher scoring on 7 features needs only 8×8 solves: no library.
 */
export interface LogisticFit {
  intercept: number;
  weights: number[];
  iterations: number;
  /** −2 log-likelihood at the optimum. */
  deviance: number;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Solves A·x = b (A symmetric positive definite) by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    if (Math.abs(m[col][col]) < 1e-300) throw new Error('singular information matrix');
    for (let r = col + 1; r < n; r++) {
      const f = m[r][col] / m[col][col];
      for (let c = col; c <= n; c++) m[r][c] -= f * m[col][c];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let c = r + 1; c < n; c++) s -= m[r][c] * x[c];
    x[r] = s / m[r][r];
  }
  return x;
}

function deviance(rows: number[][], y: number[], beta: number[]): number {
  let d = 0;
  rows.forEach((row, i) => {
    const p = sigmoid(beta[0] + row.reduce((s, v, j) => s + v * beta[j + 1], 0));
    d -= 2 * (y[i] ? Math.log(p) : Math.log(1 - p));
  });
  return d;
}

/** Fits y ~ rows; converges like glm: relative change in deviance below 1e-10. */
export function fitLogisticRegression(rows: number[][], y: number[], maxIterations = 50): LogisticFit {
  const k = rows[0].length + 1;
  let beta = new Array<number>(k).fill(0);
  let previous = deviance(rows, y, beta);
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const info = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    const score = new Array<number>(k).fill(0);
    rows.forEach((row, i) => {
      const x = [1, ...row];
      const p = sigmoid(x.reduce((s, v, j) => s + v * beta[j], 0));
      const w = p * (1 - p);
      for (let a = 0; a < k; a++) {
        score[a] += x[a] * (y[i] - p);
        for (let b = 0; b < k; b++) info[a][b] += w * x[a] * x[b];
      }
    });
    const step = solve(info, score);
    beta = beta.map((v, j) => v + step[j]);
    const current = deviance(rows, y, beta);
    if (Math.abs(current - previous) / (Math.abs(current) + 0.1) < 1e-10) {
      return { intercept: beta[0], weights: beta.slice(1), iterations: iteration, deviance: current };
    }
    previous = current;
  }
  throw new Error(`IRLS did not converge in ${maxIterations} iterations`);
}

export function predictProbability(fit: Pick<LogisticFit, 'intercept' | 'weights'>, row: number[]): number {
  return sigmoid(fit.intercept + row.reduce((s, v, j) => s + v * fit.weights[j], 0));
}

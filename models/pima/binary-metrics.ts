/** Held-out figures for a binary classifier: error rate at a threshold, AUROC, Brier score, log-loss. */
export interface BinaryMetrics {
  n: number;
  positives: number;
  errors: number;
  errorRate: number;
  auroc: number;
  brier: number;
  logLoss: number;
  sensitivity: number;
  specificity: number;
}

/** AUROC as the Mann–Whitney statistic: the chance a random positive outranks a random negative (ties count half). */
export function auroc(p: number[], y: number[]): number {
  const order = p.map((v, i) => i).sort((a, b) => p[a] - p[b]);
  const ranks = new Array<number>(p.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && p[order[j + 1]] === p[order[i]]) j++;
    for (let t = i; t <= j; t++) ranks[order[t]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  const pos = y.filter(Boolean).length;
  const neg = y.length - pos;
  const rankSum = ranks.reduce((s, r, i) => s + (y[i] ? r : 0), 0);
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function binaryMetrics(p: number[], y: number[], threshold = 0.5): BinaryMetrics {
  let errors = 0;
  let tp = 0;
  let tn = 0;
  let brier = 0;
  let logLoss = 0;
  p.forEach((pi, i) => {
    const predicted = pi > threshold ? 1 : 0;
    if (predicted !== y[i]) errors++;
    if (predicted === 1 && y[i] === 1) tp++;
    if (predicted === 0 && y[i] === 0) tn++;
    brier += (pi - y[i]) ** 2;
    logLoss -= y[i] ? Math.log(pi) : Math.log(1 - pi);
  });
  const positives = y.filter(Boolean).length;
  return {
    n: p.length,
    positives,
    errors,
    errorRate: errors / p.length,
    auroc: auroc(p, y),
    brier: brier / p.length,
    logLoss: logLoss / p.length,
    sensitivity: tp / positives,
    specificity: tn / (p.length - positives),
  };
}

/**
 * Trains the Pima diabetes logistic regression and writes pima.onnx plus the card's sha256,
 * coefficients, training means and held-out evaluation. Reproducible: same data, same bytes.
 *
 *   apt-get install -y r-cran-mass     # ships MASS/data/Rdata.rdb (R's binary data format)
 *   npx tsx models/pima/train.ts [path/to/MASS/data]
 *
 * Data: MASS::Pima.tr (200 rows) for training, MASS::Pima.te (332 rows) held out — the split of
 * Ripley (1996), whose logistic regression misclassifies 66/332 = 19.9 % of Pima.te.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from '../../server/risk/artifact-hash.ts';
import { OnnxGraphBuilder } from '../onnx-builder.ts';
import { binaryMetrics } from './binary-metrics.ts';
import { fitLogisticRegression, predictProbability, type LogisticFit } from './logistic-regression.ts';
import { dataFrameColumns, readLazyLoadObject } from './r-data-frame.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const PIMA_FEATURES = ['npreg', 'glu', 'bp', 'skin', 'bmi', 'ped', 'age'] as const;
const VERSION = '1.0.0';
/** Ripley (1996): logistic regression on Pima.tr misclassifies 66 of the 332 Pima.te women. */
const RIPLEY_ERRORS = 66;

const MASS_DATA_DIRS = ['/usr/lib/R/site-library/MASS/data', '/usr/lib/R/library/MASS/data'];

export function findMassData(explicit?: string): string | undefined {
  return [explicit, process.env.MASS_DATA_DIR, ...MASS_DATA_DIRS].find((d): d is string => !!d && existsSync(join(d, 'Rdata.rdb')));
}

export interface PimaSet {
  rows: number[][];
  y: number[];
}

export function loadPimaSet(dataDir: string, name: 'Pima.tr' | 'Pima.te'): PimaSet {
  const columns = dataFrameColumns(readLazyLoadObject(dataDir, name));
  const type = columns.get('type')!;
  const rows = type.map((_, i) => PIMA_FEATURES.map((f) => Number(columns.get(f)![i])));
  return { rows, y: type.map((t) => (t === 'Yes' ? 1 : 0)) };
}

export function buildPimaModel(fit: LogisticFit): Uint8Array {
  const g = new OnnxGraphBuilder('pima_logistic_regression');
  g.input('x', ['N', PIMA_FEATURES.length], `features: ${PIMA_FEATURES.join(', ')}`);
  g.floats('W', fit.weights, [PIMA_FEATURES.length, 1]);
  g.floats('B', [fit.intercept], [1]);
  g.node('MatMul', ['x', 'W'], ['xw']);
  g.node('Add', ['xw', 'B'], ['logit']);
  g.node('Sigmoid', ['logit'], ['probability']);
  g.output('logit', ['N', 1], 'log-odds of diabetes');
  g.output('probability', ['N', 1], 'probability of diabetes (0-1)');
  return g.build({
    producerVersion: VERSION,
    modelVersion: 1,
    docString: 'Logistic regression on MASS::Pima.tr. NOT FOR CLINICAL USE.',
    metadata: { model_id: 'pima-diabetes-lr', model_version: VERSION, features: PIMA_FEATURES.join(','), not_for_clinical_use: 'true' },
  });
}

const round = (v: number, d: number) => Number(v.toFixed(d));

export function trainPima(dataDir: string) {
  const train = loadPimaSet(dataDir, 'Pima.tr');
  const test = loadPimaSet(dataDir, 'Pima.te');
  const fit = fitLogisticRegression(train.rows, train.y);
  const means = PIMA_FEATURES.map((_, j) => train.rows.reduce((s, r) => s + r[j], 0) / train.rows.length);
  const trainMetrics = binaryMetrics(train.rows.map((r) => predictProbability(fit, r)), train.y);
  const testMetrics = binaryMetrics(test.rows.map((r) => predictProbability(fit, r)), test.y);
  return { fit, means, trainMetrics, testMetrics, train, test };
}

function metricsJson(m: ReturnType<typeof binaryMetrics>) {
  return {
    n: m.n,
    positives: m.positives,
    errors: m.errors,
    errorRate: round(m.errorRate, 4),
    auroc: round(m.auroc, 4),
    brier: round(m.brier, 4),
    logLoss: round(m.logLoss, 4),
    sensitivity: round(m.sensitivity, 4),
    specificity: round(m.specificity, 4),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dataDir = findMassData(process.argv[2]);
  if (!dataDir) {
    console.error('MASS data not found: apt-get install -y r-cran-mass, or pass the MASS/data directory');
    process.exit(1);
  }
  const { fit, means, trainMetrics, testMetrics } = trainPima(dataDir);
  const bytes = buildPimaModel(fit);
  writeFileSync(join(HERE, 'pima.onnx'), bytes);
  const cardPath = join(HERE, 'card.json');
  const card = JSON.parse(readFileSync(cardPath, 'utf8'));
  card.version = VERSION;
  card.file = 'pima.onnx';
  card.sha256 = sha256Hex(bytes);
  card.explanation = { method: 'linear-logit', weights: 'W', reference: means.map((m) => round(m, 4)) };
  card.parameters = {
    algorithm: 'unpenalised logistic regression, IRLS (as R glm binomial), float64; exported as float32',
    intercept: fit.intercept,
    coefficients: Object.fromEntries(PIMA_FEATURES.map((f, j) => [f, fit.weights[j]])),
    iterations: fit.iterations,
    residualDeviance: round(fit.deviance, 4),
    trainingMeans: Object.fromEntries(PIMA_FEATURES.map((f, j) => [f, round(means[j], 4)])),
  };
  card.evaluation = {
    data: `MASS 7.3-58 Pima.tr (training) and Pima.te (held out), read from ${dataDir}`,
    threshold: 0.5,
    training: metricsJson(trainMetrics),
    heldOut: metricsJson(testMetrics),
    ripley1996: { model: 'logistic regression, same split', errors: RIPLEY_ERRORS, n: 332, errorRate: round(RIPLEY_ERRORS / 332, 4) },
  };
  writeFileSync(cardPath, `${JSON.stringify(card, null, 2)}\n`);
  console.log(
    `pima.onnx ${bytes.length} bytes, sha256 ${card.sha256}\n` +
      `held-out error ${testMetrics.errors}/${testMetrics.n} = ${(100 * testMetrics.errorRate).toFixed(1)} % ` +
      `(Ripley: ${RIPLEY_ERRORS}/332 = ${((100 * RIPLEY_ERRORS) / 332).toFixed(1)} %), AUROC ${testMetrics.auroc.toFixed(3)}`,
  );
}

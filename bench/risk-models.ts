/**
 * Risk-model costs, with the plain-TypeScript chart oracle as the baseline in the same run.
 *
 *   npm run bench:risk -- [--runs 5] [--calls 5000] [--patients 200] [--batch 10000] [--batches 20]
 *
 * 1. Scoring cost per new Observation: a patient's last 24 h (hourly vitals, 7 inputs, 168
 *    Observations) plus the new reading → NEWS2 feature extraction → one single-row ONNX run
 *    (and, separately, the same plus building the score Observation and RiskAssessment).
 *    Baseline: the same extraction with the TypeScript oracle instead of ONNX. p50 / p99 per call.
 * 2. Batch NEWS2 rescoring: `--batches` batches of `--batch` feature rows through the ONNX session on
 *    the main thread and through the worker-thread rescorer (transfer included), against the oracle
 *    over the same rows. Patients per second.
 * Every figure is the median of `--runs` runs. Prints a table and writes bench/results/risk-models.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BatchRescorer } from '../server/risk/batch-rescorer.ts';
import { modelDeviceReference } from '../server/risk/model-device.ts';
import { loadModelRegistry } from '../server/risk/model-registry.ts';
import { ModelRuntime } from '../server/risk/model-runtime.ts';
import { buildNews2RiskAssessment } from '../server/risk/news2-assessment.ts';
import { NEWS2_FEATURE_COUNT, writeNews2Row, type News2Values } from '../server/risk/news2-features.ts';
import { extractNews2Inputs } from '../server/risk/news2-inputs.ts';
import { news2Oracle } from '../server/risk/news2-oracle.ts';
import { buildNews2ScoreObservation, news2ScoreFromOutputs } from '../server/risk/news2-score-observation.ts';
import type { FhirJson } from '../server/risk/observation-readings.ts';
import { seededIntegers } from './risk-random.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    calls: { type: 'string', default: '5000' },
    patients: { type: 'string', default: '200' },
    batch: { type: 'string', default: '10000' },
    batches: { type: 'string', default: '20' },
  },
});
const runs = Number(args.runs);
const calls = Number(args.calls);
const patientCount = Number(args.patients);
const batchRows = Number(args.batch);
const batchCount = Number(args.batches);
const here = path.dirname(fileURLToPath(import.meta.url));

const rand = seededIntegers();

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const START = Date.parse('2024-06-01T00:00:00Z');
const HOUR = 3600_000;

function obs(patient: number, id: string, code: string, time: number, value: FhirJson): FhirJson {
  return {
    resourceType: 'Observation',
    id,
    meta: { versionId: '1', lastUpdated: new Date(time).toISOString() },
    status: 'final',
    code: { coding: [{ system: LOINC, code }] },
    subject: { reference: `Patient/p${patient}` },
    effectiveDateTime: new Date(time).toISOString(),
    ...value,
  };
}
const qty = (value: number, unit: string) => ({ valueQuantity: { value, unit, system: UCUM, code: unit } });

/** 24 hourly vital-sign sets for one patient: 168 Observations. */
function patientHistory(p: number): FhirJson[] {
  const out: FhirJson[] = [];
  for (let h = 0; h < 24; h++) {
    const t = START + h * HOUR;
    const id = (k: string) => `p${p}-${k}-${h}`;
    out.push(
      obs(p, id('rr'), '9279-1', t, qty(rand(10, 26), '/min')),
      obs(p, id('spo2'), '59408-5', t, qty(rand(88, 100), '%')),
      obs(p, id('o2'), '3151-8', t, qty(rand(0, 3) === 0 ? 2 : 0, 'L/min')),
      obs(p, id('bp'), '85354-9', t, {
        component: [
          { code: { coding: [{ system: LOINC, code: '8480-6' }] }, ...qty(rand(85, 180), 'mm[Hg]') },
          { code: { coding: [{ system: LOINC, code: '8462-4' }] }, ...qty(rand(50, 100), 'mm[Hg]') },
        ],
      }),
      obs(p, id('hr'), '8867-4', t, qty(rand(45, 140), '/min')),
      obs(p, id('acvpu'), '67775-7', t, { valueCodeableConcept: { coding: [{ system: LOINC, code: rand(0, 9) === 0 ? 'LA6560-2' : 'LA9340-6' }] } }),
      obs(p, id('temp'), '8310-5', t, qty(rand(350, 395) / 10, 'Cel')),
    );
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (sorted: Float64Array, q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

const registry = loadModelRegistry({ extraDirs: [] });
const card = registry.require('news2').card;
const runtime = await ModelRuntime.create(registry);
const histories = Array.from({ length: patientCount }, (_, p) => patientHistory(p));

/** One "new Observation" per call: a new heart rate for patient i, scored at its time. */
function newReading(i: number): { resources: FhirJson[]; at: string } {
  const p = i % patientCount;
  const t = START + 24 * HOUR + (i % 60) * 1000;
  const reading = obs(p, `p${p}-hr-new-${i}`, '8867-4', t, qty(rand(45, 140), '/min'));
  return { resources: [...histories[p], reading], at: new Date(t).toISOString() };
}

type Variant = 'onnx' | 'onnx+resources' | 'oracle';

/** Wall-clock and CPU-time percentiles (µs): on a shared 2-core machine the wall-clock tail includes time spent descheduled. */
async function perObservation(variant: Variant): Promise<{ p50: number; p99: number; cpuP50: number; cpuP99: number }> {
  const times = new Float64Array(calls);
  const cpu = new Float64Array(calls);
  const warmup = Math.min(500, calls);
  for (let i = -warmup; i < calls; i++) {
    const { resources, at } = newReading(i + warmup);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const extraction = extractNews2Inputs(card, resources, at);
    if (!extraction.ok) throw new Error('bench data must be complete');
    if (variant === 'oracle') {
      news2Oracle(extraction.values);
    } else {
      const score = news2ScoreFromOutputs(await runtime.score('news2', extraction.features, 1));
      if (variant === 'onnx+resources') {
        buildNews2ScoreObservation({ subject: 'Patient/p', effectiveDateTime: at, extraction, score, device: modelDeviceReference(card) });
        buildNews2RiskAssessment({ card, subject: 'Patient/p', occurrenceDateTime: at, extraction, score, scoreObservation: 'urn:uuid:x' });
      }
    }
    if (i >= 0) {
      times[i] = (performance.now() - t0) * 1000;
      const c = process.cpuUsage(c0);
      cpu[i] = c.user + c.system;
    }
  }
  times.sort();
  cpu.sort();
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), cpuP50: percentile(cpu, 0.5), cpuP99: percentile(cpu, 0.99) };
}

/** Random feature rows over the chart's ranges, rounded as extraction rounds them. */
function batchRows_(n: number): { x: Float32Array; rows: News2Values[] } {
  const rows: News2Values[] = Array.from({ length: n }, () => ({
    rr: rand(4, 40),
    spo2: rand(75, 100),
    onOxygen: rand(0, 3) === 0,
    sbp: rand(70, 240),
    pulse: rand(30, 180),
    notAlert: rand(0, 9) === 0,
    temp: rand(340, 410) / 10,
    scale: rand(0, 9) === 0 ? 2 : 1,
  }));
  const x = new Float32Array(n * NEWS2_FEATURE_COUNT);
  rows.forEach((r, i) => writeNews2Row(x, i, r));
  return { x, rows };
}

const batches = Array.from({ length: batchCount }, () => batchRows_(batchRows));
const rescorer = await BatchRescorer.start(registry.require('news2'));

async function batchRate(kind: 'main' | 'worker' | 'oracle'): Promise<number> {
  const t0 = performance.now();
  let checksum = 0;
  for (const b of batches) {
    if (kind === 'oracle') for (const r of b.rows) checksum += news2Oracle(r).total;
    else {
      const out = kind === 'main' ? await runtime.score('news2', b.x, batchRows) : await rescorer.rescore(b.x.slice(), batchRows);
      checksum += out.total[0];
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  if (Number.isNaN(checksum)) throw new Error('NaN score');
  return (batchRows * batchCount) / seconds;
}

const samples: Record<string, number[]> = {};
const push = (k: string, v: number) => (samples[k] ??= []).push(v);
for (let run = 0; run < runs; run++) {
  for (const variant of ['oracle', 'onnx', 'onnx+resources'] as const) {
    const r = await perObservation(variant);
    push(`${variant}.p50`, r.p50);
    push(`${variant}.p99`, r.p99);
    push(`${variant}.cpuP50`, r.cpuP50);
    push(`${variant}.cpuP99`, r.cpuP99);
  }
  push('batch.main', await batchRate('main'));
  push('batch.worker', await batchRate('worker'));
  push('batch.oracle', await batchRate('oracle'));
}
await rescorer.close();
await runtime.close();

const m = (k: string) => median(samples[k]);
const figures = (v: Variant) => ({ p50: +m(`${v}.p50`).toFixed(1), p99: +m(`${v}.p99`).toFixed(1), cpuP50: +m(`${v}.cpuP50`).toFixed(1), cpuP99: +m(`${v}.cpuP99`).toFixed(1) });
const result = {
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadAverage1mAtEnd: +os.loadavg()[0].toFixed(2) },
  input: { runs, calls, patients: patientCount, observationsPerPatient: histories[0].length + 1, batchRows, batches: batchCount },
  perObservationMicroseconds: {
    onnx: figures('onnx'),
    onnxWithResources: figures('onnx+resources'),
    oracleBaseline: figures('oracle'),
    ratioP50OnnxToOracle: +(m('onnx.p50') / m('oracle.p50')).toFixed(2),
    targetP99: 2000,
  },
  batchPatientsPerSecond: {
    onnxMainThread: Math.round(m('batch.main')),
    onnxWorkerThread: Math.round(m('batch.worker')),
    oracleBaseline: Math.round(m('batch.oracle')),
    ratioWorkerToOracle: +(m('batch.worker') / m('batch.oracle')).toFixed(3),
    target: 100_000,
  },
  samples,
};

const row = (label: string, value: string) => process.stdout.write(`${label.padEnd(62)} ${value}\n`);
process.stdout.write(
  `\nrisk models — NEWS2, ${patientCount} patients × ${result.input.observationsPerPatient} Observations, median of ${runs} runs, load average ${result.machine.loadAverage1mAtEnd}\n\n`,
);
const po = result.perObservationMicroseconds;
const cell = (f: ReturnType<typeof figures>) => `${f.p50} / ${f.p99}   (CPU ${f.cpuP50} / ${f.cpuP99})`;
row('per new Observation, extraction + ONNX (µs p50 / p99)', cell(po.onnx));
row('  + score Observation and RiskAssessment built (µs p50 / p99)', cell(po.onnxWithResources));
row('  baseline: extraction + TypeScript oracle (µs p50 / p99)', cell(po.oracleBaseline));
row('  ratio p50 ONNX / oracle', `${po.ratioP50OnnxToOracle}× (target p99 ≤ 2,000 µs)`);
const bp = result.batchPatientsPerSecond;
row(`batch rescoring, ${batchRows.toLocaleString('en')}-row batches, main thread (patients/s)`, bp.onnxMainThread.toLocaleString('en'));
row('  worker thread, transfer included (patients/s)', bp.onnxWorkerThread.toLocaleString('en'));
row('  baseline: TypeScript oracle (patients/s)', bp.oracleBaseline.toLocaleString('en'));
row('  ratio worker / oracle', `${bp.ratioWorkerToOracle}× (target ≥ 100,000 patients/s)`);
await mkdir(path.join(here, 'results'), { recursive: true });
await writeFile(path.join(here, 'results', 'risk-models.json'), `${JSON.stringify(result, null, 2)}\n`);

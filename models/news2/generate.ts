/**
 * Generates models/news2/news2.onnx from RCP NEWS2 chart 1 and chart 4 and writes its sha256 into
 * card.json. Deterministic: running it twice gives the same bytes.
 *
 *   npx tsx models/news2/generate.ts
 *
 * Graph: x[N, 8] (layout in server/risk/news2-features.ts) → parts[N, 7], total[N, 1], band[N, 1].
 * Each banded parameter is a base score plus one step per chart boundary: the step adds its delta
 * when the value exceeds the boundary's midpoint (e.g. RR > 8.5). Midpoints keep float32
 * representation error away from the boundaries for inputs at chart resolution (whole numbers,
 * temperature to 0.1 °C), which the caller guarantees by rounding in float64 first.
 * Any NaN or infinite input turns every output of its row into NaN instead of a plausible score.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OnnxGraphBuilder } from '../onnx-builder.ts';
import { sha256Hex } from '../../server/risk/artifact-hash.ts';
import {
  F_CONSCIOUSNESS,
  F_ON_OXYGEN,
  F_PULSE,
  F_RR,
  F_SBP,
  F_SCALE,
  F_SPO2,
  F_TEMP,
  NEWS2_FEATURE_COUNT,
  NEWS2_FEATURES,
} from '../../server/risk/news2-features.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const VERSION = '1.0.0';

/** Raw score columns before the SpO2 scale is chosen. */
const RAW = { rr: 0, s1: 1, s2low: 2, s2high: 3, sbp: 4, pulse: 5, temp: 6 } as const;
const RAW_COUNT = 7;

interface Banded {
  raw: number;
  feature: number;
  /** Score at the lowest values. */
  base: number;
  /** [midpoint, delta]: above the midpoint the score changes by delta. */
  steps: Array<[number, number]>;
}

// Chart 1, row by row.
const BANDED: Banded[] = [
  // RR ≤8: 3 | 9–11: 1 | 12–20: 0 | 21–24: 2 | ≥25: 3
  { raw: RAW.rr, feature: F_RR, base: 3, steps: [[8.5, -2], [11.5, -1], [20.5, 2], [24.5, 1]] },
  // SpO2 scale 1 ≤91: 3 | 92–93: 2 | 94–95: 1 | ≥96: 0
  { raw: RAW.s1, feature: F_SPO2, base: 3, steps: [[91.5, -1], [93.5, -1], [95.5, -1]] },
  // SpO2 scale 2 ≤83: 3 | 84–85: 2 | 86–87: 1 | 88–92 (or ≥93 on air): 0
  { raw: RAW.s2low, feature: F_SPO2, base: 3, steps: [[83.5, -1], [85.5, -1], [87.5, -1]] },
  // SpO2 scale 2 on oxygen: 93–94: 1 | 95–96: 2 | ≥97: 3 (multiplied by on_oxygen below)
  { raw: RAW.s2high, feature: F_SPO2, base: 0, steps: [[92.5, 1], [94.5, 1], [96.5, 1]] },
  // SBP ≤90: 3 | 91–100: 2 | 101–110: 1 | 111–219: 0 | ≥220: 3
  { raw: RAW.sbp, feature: F_SBP, base: 3, steps: [[90.5, -1], [100.5, -1], [110.5, -1], [219.5, 3]] },
  // Pulse ≤40: 3 | 41–50: 1 | 51–90: 0 | 91–110: 1 | 111–130: 2 | ≥131: 3
  { raw: RAW.pulse, feature: F_PULSE, base: 3, steps: [[40.5, -2], [50.5, -1], [90.5, 1], [110.5, 1], [130.5, 1]] },
  // Temperature ≤35.0: 3 | 35.1–36.0: 1 | 36.1–38.0: 0 | 38.1–39.0: 1 | ≥39.1: 2
  { raw: RAW.temp, feature: F_TEMP, base: 3, steps: [[35.05, -2], [36.05, -1], [38.05, 1], [39.05, 1]] },
];

export function buildNews2Model(): Uint8Array {
  const g = new OnnxGraphBuilder('news2');
  const steps = BANDED.flatMap((b) => b.steps.map(([threshold, delta]) => ({ ...b, threshold, delta })));
  const delta = new Float32Array(steps.length * RAW_COUNT);
  steps.forEach((s, i) => (delta[i * RAW_COUNT + s.raw] = s.delta));
  const base = new Float32Array(RAW_COUNT);
  for (const b of BANDED) base[b.raw] = b.base;

  const x = g.input('x', ['N', NEWS2_FEATURE_COUNT], `features: ${NEWS2_FEATURES.join(', ')}`);
  g.int64s('step_columns', steps.map((s) => s.feature), [steps.length]);
  g.floats('step_thresholds', steps.map((s) => s.threshold), [steps.length]);
  g.floats('step_deltas', delta, [steps.length, RAW_COUNT]);
  g.floats('base_scores', base, [RAW_COUNT]);
  g.floats('zero', [0], [1]);
  g.floats('one', [1], [1]);
  g.floats('two', [2], [1]);
  g.floats('three', [3], [1]);
  g.floats('scale_2_above', [1.5], [1]);
  g.floats('high_above', [6.5], [1]);
  g.floats('medium_above', [4.5], [1]);
  g.floats('red_above', [2.5], [1]);
  g.int64s('axis_1', [1], [1]);

  g.node('Gather', [x, 'step_columns'], ['step_values'], { axis: { int: 1 } });
  g.node('Greater', ['step_values', 'step_thresholds'], ['step_passed']);
  g.node('Cast', ['step_passed'], ['step_passed_f'], { to: { int: 1 } });
  g.node('MatMul', ['step_passed_f', 'step_deltas'], ['step_sum']);
  g.node('Add', ['step_sum', 'base_scores'], ['raw']);

  const column = (source: string, index: number, name: string) => {
    g.int64s(`${name}_index`, [index], [1]);
    return g.node('Gather', [source, `${name}_index`], [name], { axis: { int: 1 } });
  };
  const rr = column('raw', RAW.rr, 'rr_points');
  const s1 = column('raw', RAW.s1, 'spo2_scale1_points');
  const s2low = column('raw', RAW.s2low, 'spo2_scale2_low_points');
  const s2high = column('raw', RAW.s2high, 'spo2_scale2_high_points');
  const sbp = column('raw', RAW.sbp, 'sbp_points');
  const pulse = column('raw', RAW.pulse, 'pulse_points');
  const temp = column('raw', RAW.temp, 'temp_points');
  const onO2 = column(x, F_ON_OXYGEN, 'on_oxygen');
  const notAlert = column(x, F_CONSCIOUSNESS, 'not_alert');
  const scale = column(x, F_SCALE, 'scale');

  g.node('Mul', [s2high, onO2], ['spo2_scale2_high_on_o2']);
  g.node('Add', [s2low, 'spo2_scale2_high_on_o2'], ['spo2_scale2_points']);
  g.node('Greater', [scale, 'scale_2_above'], ['is_scale_2']);
  const spo2 = g.node('Where', ['is_scale_2', 'spo2_scale2_points', s1], ['spo2_points']);
  const o2 = g.node('Mul', [onO2, 'two'], ['oxygen_points']);
  const cons = g.node('Mul', [notAlert, 'three'], ['consciousness_points']);
  g.node('Concat', [rr, spo2, o2, sbp, pulse, cons, temp], ['parts_unguarded'], { axis: { int: 1 } });

  // 0 for finite rows, NaN when any input is NaN or infinite.
  g.node('Mul', [x, 'zero'], ['x_times_zero']);
  g.node('ReduceSum', ['x_times_zero', 'axis_1'], ['nan_guard'], { keepdims: { int: 1 } });

  g.node('Add', ['parts_unguarded', 'nan_guard'], ['parts']);
  g.node('ReduceSum', ['parts', 'axis_1'], ['total'], { keepdims: { int: 1 } });
  g.node('ReduceMax', ['parts'], ['max_part'], { axes: { ints: [1] }, keepdims: { int: 1 } });
  g.node('Greater', ['total', 'high_above'], ['is_high']);
  g.node('Greater', ['total', 'medium_above'], ['is_medium']);
  g.node('Greater', ['max_part', 'red_above'], ['has_red']);
  g.node('Where', ['has_red', 'one', 'zero'], ['band_red']);
  g.node('Where', ['is_medium', 'two', 'band_red'], ['band_medium']);
  g.node('Where', ['is_high', 'three', 'band_medium'], ['band_unguarded']);
  g.node('Add', ['band_unguarded', 'nan_guard'], ['band']);

  g.output('parts', ['N', 7], 'points per parameter: rr, spo2, air_or_oxygen, sbp, pulse, consciousness, temp');
  g.output('total', ['N', 1], 'aggregate NEWS2 score 0-20');
  g.output('band', ['N', 1], 'clinical risk: 0 low, 1 low-medium, 2 medium, 3 high');

  return g.build({
    producerVersion: VERSION,
    modelVersion: 1,
    docString: 'National Early Warning Score 2 (Royal College of Physicians, 2017), chart 1 and chart 4. © RCP, reproduced unmodified.',
    metadata: {
      model_id: 'news2',
      model_version: VERSION,
      features: NEWS2_FEATURES.join(','),
      bands: 'low,low-medium,medium,high',
      input_resolution: 'integers; temperature rounded half-up to 0.1 Cel before conversion to float32',
    },
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bytes = buildNews2Model();
  writeFileSync(join(HERE, 'news2.onnx'), bytes);
  const cardPath = join(HERE, 'card.json');
  const card = JSON.parse(readFileSync(cardPath, 'utf8')) as Record<string, unknown>;
  card.version = VERSION;
  card.file = 'news2.onnx';
  card.sha256 = sha256Hex(bytes);
  writeFileSync(cardPath, `${JSON.stringify(card, null, 2)}\n`);
  console.log(`news2.onnx: ${bytes.length} bytes, sha256 ${card.sha256}`);
}

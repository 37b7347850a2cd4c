/**
 * The NEWS2 feature vector: the column layout of the `x[N, 8]` input of models/news2/news2.onnx,
 * shared by the graph generator, the feature extraction, the oracle and the batch rescorer.
 *
 * | column | feature        | unit / coding                                                       |
 * |--------|----------------|---------------------------------------------------------------------|
 * | 0      | rr             | respiratory rate, /min, integer                                     |
 * | 1      | spo2           | oxygen saturation, %, integer                                       |
 * | 2      | on_oxygen      | 1 = supplemental oxygen, 0 = air                                    |
 * | 3      | sbp            | systolic blood pressure, mm[Hg], integer                            |
 * | 4      | pulse          | heart rate, /min, integer                                           |
 * | 5      | consciousness  | 0 = alert, 1 = new confusion, voice, pain or unresponsive (CVPU)    |
 * | 6      | temp           | body temperature, Cel, one decimal                                  |
 * | 7      | scale          | SpO2 scale, 1 or 2                                                  |
 *
 * The chart scores whole numbers (and temperature to 0.1 °C), so values are rounded in float64
 * before they become float32 tensor entries; see roundNews2Features.
 */
export const NEWS2_FEATURES = ['rr', 'spo2', 'on_oxygen', 'sbp', 'pulse', 'consciousness', 'temp', 'scale'] as const;
export type News2Feature = (typeof NEWS2_FEATURES)[number];
export const NEWS2_FEATURE_COUNT = NEWS2_FEATURES.length;

export const F_RR = 0;
export const F_SPO2 = 1;
export const F_ON_OXYGEN = 2;
export const F_SBP = 3;
export const F_PULSE = 4;
export const F_CONSCIOUSNESS = 5;
export const F_TEMP = 6;
export const F_SCALE = 7;

/** The seven chart parameters, in the column order of the graph's `parts[N, 7]` output. */
export const NEWS2_PARAMETERS = ['rr', 'spo2', 'air_or_oxygen', 'sbp', 'pulse', 'consciousness', 'temp'] as const;
export type News2Parameter = (typeof NEWS2_PARAMETERS)[number];

/** Clinical risk bands of RCP chart 4, coded as the graph's `band` output. */
export const NEWS2_BANDS = ['low', 'low-medium', 'medium', 'high'] as const;
export type News2Band = (typeof NEWS2_BANDS)[number];

export interface News2Values {
  rr: number;
  spo2: number;
  onOxygen: boolean;
  sbp: number;
  pulse: number;
  /** true for new confusion, voice, pain or unresponsive. */
  notAlert: boolean;
  /** Cel */
  temp: number;
  scale: 1 | 2;
}

/**
 * Half-up rounding to a number of decimals, done on the decimal text so that 35.05 becomes 35.1
 * (Math.round(35.05 * 10) gives 350 because 35.05 * 10 is 350.49999... in binary).
 */
export function roundHalfUp(value: number, decimals: number): number {
  const text = String(value);
  // Exponent-form texts (1e-7, 1e+21) cannot take another exponent suffix; they are far from any
  // chart boundary, so plain scaling is exact enough for them.
  const shifted = text.includes('e') ? value * 10 ** decimals : Number(`${text}e${decimals}`);
  const rounded = Math.sign(shifted) * Math.round(Math.abs(shifted));
  return Number(`${rounded}e-${decimals}`);
}

/** Applies the chart's resolution: integers, temperature to 0.1 °C. */
export function roundNews2Values(v: News2Values): News2Values {
  return {
    rr: roundHalfUp(v.rr, 0),
    spo2: roundHalfUp(v.spo2, 0),
    onOxygen: v.onOxygen,
    sbp: roundHalfUp(v.sbp, 0),
    pulse: roundHalfUp(v.pulse, 0),
    notAlert: v.notAlert,
    temp: roundHalfUp(v.temp, 1),
    scale: v.scale,
  };
}

/** Writes one (already rounded) row into a feature matrix. */
export function writeNews2Row(target: Float32Array, row: number, v: News2Values): void {
  const o = row * NEWS2_FEATURE_COUNT;
  target[o + F_RR] = v.rr;
  target[o + F_SPO2] = v.spo2;
  target[o + F_ON_OXYGEN] = v.onOxygen ? 1 : 0;
  target[o + F_SBP] = v.sbp;
  target[o + F_PULSE] = v.pulse;
  target[o + F_CONSCIOUSNESS] = v.notAlert ? 1 : 0;
  target[o + F_TEMP] = v.temp;
  target[o + F_SCALE] = v.scale;
}

export function news2Row(v: News2Values): Float32Array {
  const row = new Float32Array(NEWS2_FEATURE_COUNT);
  writeNews2Row(row, 0, v);
  return row;
}

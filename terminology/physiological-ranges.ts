import { convertUcum } from './ucum.ts';

/**
 * Physiological limits per measurement, in the vital's preferred UCUM unit. `plausible` bounds a
 * value a clinician would expect from a living patient (outside → warning in $map, still stored);
 * `possible` bounds what a human body or a device can report at all (outside → the value is
 * absurd: an error, and $ingest rejects the payload). Rationale per entry:
 *
 * - heart rate: plausible 25–250/min covers trained athletes' bradycardia and infant tachycardia;
 *   0 is a real monitor reading (asystole); 480/min is the highest rate reported in case reports.
 * - respiratory rate: plausible 4–60/min (neonates up to ~60); beyond 150/min no breathing occurs.
 * - SpO2: a percentage cannot leave 0–100; below 50 % a pulse oximeter is no longer calibrated.
 * - body temperature: survived extremes are 13.7 °C and 46.5 °C; a reading outside 10–50 °C is a
 *   unit or sensor error; plausible 30–43 °C.
 * - height: 20–300 cm bounds premature newborns to the tallest recorded human (272 cm).
 * - weight: 0.2–700 kg bounds extreme-premature newborns to the heaviest recorded human (635 kg).
 * - BMI: 5–250 kg/m² from the same extremes; plausible 10–80.
 * - blood pressure: the highest recorded transient systolic pressure is ~370 mm[Hg] (weight
 *   lifting); above 400 / below 0 is absurd. Plausible systolic 50–260, diastolic 20–150.
 * - glucose: highest survived level reported 2656 mg/dL; meters saturate at ~600 ("HI").
 * - steps: a negative count is absurd; no upper physiological bound per interval is asserted.
 * - HRV SDNN: 0–500 ms plausible; 5000 ms would be a pause, not variability.
 */
export interface PhysiologicalRange {
  unit: string;
  possible: [number, number];
  plausible: [number, number];
}

const RANGES: Record<string, PhysiologicalRange> = {
  'heart-rate': { unit: '/min', possible: [0, 480], plausible: [25, 250] },
  'resting-heart-rate': { unit: '/min', possible: [0, 480], plausible: [25, 200] },
  'respiratory-rate': { unit: '/min', possible: [0, 150], plausible: [4, 60] },
  'oxygen-saturation': { unit: '%', possible: [0, 100], plausible: [50, 100] },
  'body-temperature': { unit: 'Cel', possible: [10, 50], plausible: [30, 43] },
  'body-height': { unit: 'cm', possible: [20, 300], plausible: [40, 250] },
  'head-circumference': { unit: 'cm', possible: [15, 80], plausible: [25, 65] },
  'body-weight': { unit: 'kg', possible: [0.2, 700], plausible: [0.5, 350] },
  bmi: { unit: 'kg/m2', possible: [5, 250], plausible: [10, 80] },
  'blood-pressure.systolic': { unit: 'mm[Hg]', possible: [0, 400], plausible: [50, 260] },
  'blood-pressure.diastolic': { unit: 'mm[Hg]', possible: [0, 400], plausible: [20, 150] },
  'blood-pressure.mean': { unit: 'mm[Hg]', possible: [0, 400], plausible: [30, 200] },
  'blood-glucose': { unit: 'mg/dL', possible: [0, 3000], plausible: [20, 600] },
  'blood-glucose-capillary': { unit: 'mg/dL', possible: [0, 3000], plausible: [20, 600] },
  'cgm-glucose': { unit: 'mg/dL', possible: [0, 3000], plausible: [20, 600] },
  'step-count': { unit: '{steps}', possible: [0, Number.MAX_SAFE_INTEGER], plausible: [0, 200_000] },
  'hrv-sdnn': { unit: 'ms', possible: [0, 5000], plausible: [0, 500] },
};

export function physiologicalRange(vital: string, component?: string): PhysiologicalRange | undefined {
  return RANGES[component ? `${vital}.${component}` : vital];
}

export type RangeVerdict = 'ok' | 'implausible' | 'impossible' | 'unknown';

/** Classifies a value given in `unit` against the vital's range; 'unknown' when no range or no conversion applies. */
export function checkRange(vital: string, component: string | undefined, value: number, unit: string): RangeVerdict {
  const range = physiologicalRange(vital, component);
  if (!range) return 'unknown';
  const inRangeUnit = unit === range.unit ? value : convertUcum(value, unit, range.unit);
  if (inRangeUnit === undefined || !Number.isFinite(inRangeUnit)) return 'unknown';
  if (inRangeUnit < range.possible[0] || inRangeUnit > range.possible[1]) return 'impossible';
  if (inRangeUnit < range.plausible[0] || inRangeUnit > range.plausible[1]) return 'implausible';
  return 'ok';
}

/**
 * NEWS2 written straight from Royal College of Physicians chart 1 and chart 4 (National Early
 * Warning Score (NEWS) 2, London: RCP, 2017). It is the test oracle for models/news2/news2.onnx and
 * the plain-TypeScript baseline in bench/risk-models.ts, so it deliberately shares no threshold
 * table with the graph generator: each branch below is one cell of the chart.
 *
 * Inputs must already be at the chart's resolution (roundNews2Values): whole numbers, temperature
 * to 0.1 °C. Missing inputs never reach this function — a missing value means no score.
 */
import type { News2Band, News2Values } from './news2-features.ts';

export interface News2Result {
  /** Points per chart parameter, in NEWS2_PARAMETERS order. */
  parts: [rr: number, spo2: number, airOrOxygen: number, sbp: number, pulse: number, consciousness: number, temp: number];
  total: number;
  band: News2Band;
}

export function respirationPoints(rr: number): number {
  if (rr <= 8) return 3;
  if (rr <= 11) return 1; // 9–11
  if (rr <= 20) return 0; // 12–20
  if (rr <= 24) return 2; // 21–24
  return 3; // ≥25
}

export function spo2Scale1Points(spo2: number): number {
  if (spo2 <= 91) return 3;
  if (spo2 <= 93) return 2; // 92–93
  if (spo2 <= 95) return 1; // 94–95
  return 0; // ≥96
}

/** Scale 2 (confirmed hypercapnic respiratory failure): above 92 % only oxygen-driven saturation scores. */
export function spo2Scale2Points(spo2: number, onOxygen: boolean): number {
  if (spo2 <= 83) return 3;
  if (spo2 <= 85) return 2; // 84–85
  if (spo2 <= 87) return 1; // 86–87
  if (spo2 <= 92) return 0; // 88–92
  if (!onOxygen) return 0; // ≥93 on air
  if (spo2 <= 94) return 1; // 93–94 on O2
  if (spo2 <= 96) return 2; // 95–96 on O2
  return 3; // ≥97 on O2
}

export function airOrOxygenPoints(onOxygen: boolean): number {
  return onOxygen ? 2 : 0;
}

export function systolicPoints(sbp: number): number {
  if (sbp <= 90) return 3;
  if (sbp <= 100) return 2; // 91–100
  if (sbp <= 110) return 1; // 101–110
  if (sbp <= 219) return 0; // 111–219
  return 3; // ≥220
}

export function pulsePoints(pulse: number): number {
  if (pulse <= 40) return 3;
  if (pulse <= 50) return 1; // 41–50
  if (pulse <= 90) return 0; // 51–90
  if (pulse <= 110) return 1; // 91–110
  if (pulse <= 130) return 2; // 111–130
  return 3; // ≥131
}

export function consciousnessPoints(notAlert: boolean): number {
  return notAlert ? 3 : 0;
}

export function temperaturePoints(temp: number): number {
  if (temp <= 35.0) return 3;
  if (temp <= 36.0) return 1; // 35.1–36.0
  if (temp <= 38.0) return 0; // 36.1–38.0
  if (temp <= 39.0) return 1; // 38.1–39.0
  return 2; // ≥39.1
}

/** Chart 4: aggregate 7+ high, 5–6 medium, a 3 in any single parameter low–medium, else low. */
export function news2Band(total: number, parts: readonly number[]): News2Band {
  if (total >= 7) return 'high';
  if (total >= 5) return 'medium';
  if (parts.some((p) => p === 3)) return 'low-medium';
  return 'low';
}

export function news2Oracle(v: News2Values): News2Result {
  const parts: News2Result['parts'] = [
    respirationPoints(v.rr),
    v.scale === 2 ? spo2Scale2Points(v.spo2, v.onOxygen) : spo2Scale1Points(v.spo2),
    airOrOxygenPoints(v.onOxygen),
    systolicPoints(v.sbp),
    pulsePoints(v.pulse),
    consciousnessPoints(v.notAlert),
    temperaturePoints(v.temp),
  ];
  const total = parts[0] + parts[1] + parts[2] + parts[3] + parts[4] + parts[5] + parts[6];
  return { parts, total, band: news2Band(total, parts) };
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNews2Model } from '../../models/news2/generate.ts';
import { sha256Hex } from '../../server/risk/artifact-hash.ts';
import { NEWS2_BANDS, NEWS2_FEATURE_COUNT, writeNews2Row, type News2Values } from '../../server/risk/news2-features.ts';
import { news2Oracle } from '../../server/risk/news2-oracle.ts';
import { BUILTIN_MODELS_DIR, loadModelRegistry } from '../../server/risk/model-registry.ts';
import { ModelRuntime } from '../../server/risk/model-runtime.ts';

let runtime: ModelRuntime;

beforeAll(async () => {
  runtime = await ModelRuntime.create(loadModelRegistry({ extraDirs: [] }));
});
afterAll(async () => runtime.close());

const NORMAL: News2Values = { rr: 16, spo2: 97, onOxygen: false, sbp: 125, pulse: 72, notAlert: false, temp: 37.0, scale: 1 };

/** Runs every row through the ONNX graph in one batch and returns the rows that disagree with the oracle. */
async function mismatches(rows: News2Values[]): Promise<Array<{ row: News2Values; onnx: unknown; oracle: unknown }>> {
  const x = new Float32Array(rows.length * NEWS2_FEATURE_COUNT);
  rows.forEach((r, i) => writeNews2Row(x, i, r));
  const out = await runtime.score('news2', x, rows.length);
  const bad: Array<{ row: News2Values; onnx: unknown; oracle: unknown }> = [];
  rows.forEach((row, i) => {
    const expected = news2Oracle(row);
    const parts = Array.from(out.parts.subarray(i * 7, i * 7 + 7));
    const same =
      out.total[i] === expected.total && NEWS2_BANDS[out.band[i]] === expected.band && parts.every((p, k) => p === expected.parts[k]);
    if (!same) bad.push({ row, onnx: { parts, total: out.total[i], band: out.band[i] }, oracle: expected });
  });
  return bad;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** 30.0 … 45.0 °C in 0.1 steps, built from integer tenths so every value is the nearest double to its decimal. */
const temperatures = range(300, 450).map((t) => t / 10);

describe('NEWS2 ONNX graph against the chart oracle', () => {
  it('regenerates byte-identical to the committed file, whose sha256 the card declares', () => {
    const committed = readFileSync(join(BUILTIN_MODELS_DIR, 'news2', 'news2.onnx'));
    const card = JSON.parse(readFileSync(join(BUILTIN_MODELS_DIR, 'news2', 'card.json'), 'utf8'));
    const rebuilt = buildNews2Model();
    expect(Buffer.from(rebuilt).equals(committed)).toBe(true);
    expect(card.sha256).toBe(sha256Hex(committed));
  });

  it('scores hand-checked chart cases', async () => {
    const cases: Array<[Partial<News2Values>, number, (typeof NEWS2_BANDS)[number]]> = [
      [{}, 0, 'low'],
      [{ notAlert: true }, 3, 'low-medium'],
      [{ rr: 22, pulse: 95 }, 3, 'low'],
      [{ rr: 22, pulse: 95, temp: 38.5, onOxygen: true }, 6, 'medium'],
      [{ scale: 2, spo2: 97, onOxygen: true }, 5, 'medium'],
      [{ scale: 2, spo2: 97 }, 0, 'low'],
      [{ scale: 2, spo2: 90 }, 0, 'low'],
      [{ rr: 26, sbp: 88, pulse: 132 }, 9, 'high'],
      [{ rr: 8, spo2: 91, onOxygen: true, sbp: 90, pulse: 40, notAlert: true, temp: 35.0 }, 20, 'high'],
    ];
    const rows = cases.map(([delta]) => ({ ...NORMAL, ...delta }));
    const x = new Float32Array(rows.length * NEWS2_FEATURE_COUNT);
    rows.forEach((r, i) => writeNews2Row(x, i, r));
    const out = await runtime.score('news2', x, rows.length);
    expect(Array.from(out.total)).toEqual(cases.map((c) => c[1]));
    expect(Array.from(out.band).map((b) => NEWS2_BANDS[b])).toEqual(cases.map((c) => c[2]));
    expect(await mismatches(rows)).toEqual([]);
  });

  it('agrees on every value of each parameter over its whole range', async () => {
    const rows: News2Values[] = [];
    for (const rr of range(0, 60)) rows.push({ ...NORMAL, rr });
    for (const spo2 of range(50, 100))
      for (const onOxygen of [false, true]) for (const scale of [1, 2] as const) rows.push({ ...NORMAL, spo2, onOxygen, scale });
    for (const sbp of range(40, 300)) rows.push({ ...NORMAL, sbp });
    for (const pulse of range(0, 250)) rows.push({ ...NORMAL, pulse });
    for (const temp of temperatures) rows.push({ ...NORMAL, temp });
    for (const notAlert of [false, true]) for (const onOxygen of [false, true]) rows.push({ ...NORMAL, notAlert, onOxygen });
    expect(rows.length).toBe(61 + 51 * 4 + 261 + 251 + 151 + 4);
    expect(await mismatches(rows)).toEqual([]);
  });

  it('agrees on every combination of chart boundary values, both sides of each boundary', async () => {
    // Chart 1 boundaries, last value of one cell and first of the next.
    const rrs = [8, 9, 11, 12, 20, 21, 24, 25];
    const spo2s = [83, 84, 85, 86, 87, 88, 91, 92, 93, 94, 95, 96, 97];
    const sbps = [90, 91, 100, 101, 110, 111, 219, 220];
    const pulses = [40, 41, 50, 51, 90, 91, 110, 111, 130, 131];
    const temps = [35.0, 35.1, 36.0, 36.1, 38.0, 38.1, 39.0, 39.1];
    const rows: News2Values[] = [];
    for (const rr of rrs)
      for (const spo2 of spo2s)
        for (const onOxygen of [false, true])
          for (const sbp of sbps)
            for (const pulse of pulses)
              for (const notAlert of [false, true])
                for (const temp of temps) for (const scale of [1, 2] as const) rows.push({ rr, spo2, onOxygen, sbp, pulse, notAlert, temp, scale });
    expect(rows.length).toBe(532_480);
    expect(await mismatches(rows)).toEqual([]);
  });

  it('agrees on random full combinations (fast-check)', async () => {
    const row = fc.record({
      rr: fc.integer({ min: 0, max: 60 }),
      spo2: fc.integer({ min: 50, max: 100 }),
      onOxygen: fc.boolean(),
      sbp: fc.integer({ min: 40, max: 300 }),
      pulse: fc.integer({ min: 0, max: 250 }),
      notAlert: fc.boolean(),
      temp: fc.integer({ min: 300, max: 450 }).map((t) => t / 10),
      scale: fc.constantFrom(1 as const, 2 as const),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 2_000 }), async (rows) => (await mismatches(rows)).length === 0),
      { numRuns: 30 },
    );
  });

  it('turns a NaN or infinite input into NaN outputs instead of a plausible score', async () => {
    const x = new Float32Array(3 * NEWS2_FEATURE_COUNT);
    writeNews2Row(x, 0, { ...NORMAL, rr: Number.NaN });
    writeNews2Row(x, 1, { ...NORMAL, temp: Number.POSITIVE_INFINITY });
    writeNews2Row(x, 2, NORMAL);
    const out = await runtime.score('news2', x, 3);
    expect(Number.isNaN(out.total[0])).toBe(true);
    expect(Number.isNaN(out.band[0])).toBe(true);
    expect(Array.from(out.parts.subarray(0, 7)).every(Number.isNaN)).toBe(true);
    expect(Number.isNaN(out.total[1])).toBe(true);
    expect(out.total[2]).toBe(0);
  });
});

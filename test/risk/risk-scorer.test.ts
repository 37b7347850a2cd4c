import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelRegistry, type ModelRegistry } from '../../server/risk/model-registry.ts';
import { ModelRuntime } from '../../server/risk/model-runtime.ts';
import { news2Oracle } from '../../server/risk/news2-oracle.ts';
import { RiskScorer, WORKER_ROWS } from '../../server/risk/risk-scorer.ts';
import { bpPanel, codedObs, quantityObs } from './observation-fixtures.ts';

type Json = Record<string, any>;

let registry: ModelRegistry;
let runtime: ModelRuntime;
let scorer: RiskScorer;
beforeAll(async () => {
  registry = loadModelRegistry({ extraDirs: [] });
  runtime = await ModelRuntime.create(registry);
  scorer = new RiskScorer(runtime);
});
afterAll(async () => {
  await scorer.close();
  await runtime.close();
});

const T = '2024-03-01T10:00:00Z';

/** A complete NEWS2 set whose values walk through the chart's ranges with i. */
function vitals(i: number): Json[] {
  const o = { version: '1' };
  return [
    quantityObs('9279-1', 6 + (i % 25), '/min', T, { ...o, id: `rr-${i}` }),
    quantityObs('59408-5', 84 + (i % 17), '%', T, { ...o, id: `spo2-${i}` }),
    quantityObs('3151-8', i % 3 === 0 ? 2 : 0, 'L/min', T, { ...o, id: `o2-${i}` }),
    bpPanel(80 + ((i * 7) % 150), 70, T, { ...o, id: `bp-${i}` }),
    quantityObs('8867-4', 35 + ((i * 3) % 110), '/min', T, { ...o, id: `hr-${i}` }),
    codedObs('67775-7', i % 11 === 0 ? 'LA6560-2' : 'LA9340-6', T, { ...o, id: `acvpu-${i}` }),
    quantityObs('8310-5', 34.5 + (i % 50) / 10, 'Cel', T, { ...o, id: `temp-${i}` }),
  ];
}

describe('RiskScorer', () => {
  it(`scores a large batch (≥ ${WORKER_ROWS} patients) in the worker thread exactly as the chart oracle does`, async () => {
    const news2 = registry.require('news2');
    const requests = Array.from({ length: WORKER_ROWS + 44 }, (_, i) => ({ patient: `p${i}`, at: Date.parse(T), resources: vitals(i), models: [news2] }));
    const { scores, incomplete } = await scorer.score(requests);
    expect(incomplete).toEqual([]);
    expect(scores).toHaveLength(requests.length);
    for (const score of scores) {
      if (score.kind !== 'news2') throw new Error('expected NEWS2');
      expect(score.result).toEqual(news2Oracle(score.extraction.values));
      expect(score.occurrence).toBe('2024-03-01T10:00:00.000Z');
    }
    expect((scorer as unknown as { rescorers: Map<string, unknown> }).rescorers.has('news2')).toBe(true);
  });

  it('reports what is missing instead of scoring an incomplete patient', async () => {
    const news2 = registry.require('news2');
    const partial = vitals(1).filter((o) => o.id !== 'temp-1' && o.id !== 'hr-1');
    const { scores, incomplete } = await scorer.score([{ patient: 'p', at: Date.parse(T), resources: partial, models: [news2] }]);
    expect(scores).toEqual([]);
    expect(incomplete.map((i) => i.missing)).toEqual([['pulse', 'temp']]);
  });
});

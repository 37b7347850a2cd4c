import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchRescorer } from '../../server/risk/batch-rescorer.ts';
import { loadModelRegistry } from '../../server/risk/model-registry.ts';
import { NEWS2_BANDS, NEWS2_FEATURE_COUNT, writeNews2Row, type News2Values } from '../../server/risk/news2-features.ts';
import { news2Oracle } from '../../server/risk/news2-oracle.ts';

const registry = loadModelRegistry({ extraDirs: [] });
let rescorer: BatchRescorer;
beforeAll(async () => {
  rescorer = await BatchRescorer.start(registry.require('news2'));
});
afterAll(async () => rescorer.close());

/** Deterministic pseudo-random rows over the chart's ranges (xorshift32). */
function rows(n: number, seed: number): News2Values[] {
  let s = seed;
  const next = (lo: number, hi: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return lo + ((s >>> 0) % (hi - lo + 1));
  };
  return Array.from({ length: n }, () => ({
    rr: next(0, 60),
    spo2: next(50, 100),
    onOxygen: next(0, 1) === 1,
    sbp: next(40, 300),
    pulse: next(0, 250),
    notAlert: next(0, 4) === 0,
    temp: next(300, 450) / 10,
    scale: next(1, 2) as 1 | 2,
  }));
}

describe('batch NEWS2 rescoring in a worker thread', () => {
  it('rescores a 50,000-patient batch exactly as the chart oracle', async () => {
    const batch = rows(50_000, 42);
    const x = new Float32Array(batch.length * NEWS2_FEATURE_COUNT);
    batch.forEach((r, i) => writeNews2Row(x, i, r));
    const out = await rescorer.rescore(x, batch.length);
    expect(x.length).toBe(0); // transferred to the worker, not copied
    let mismatches = 0;
    batch.forEach((r, i) => {
      const o = news2Oracle(r);
      if (out.total[i] !== o.total || NEWS2_BANDS[out.band[i]] !== o.band) mismatches++;
    });
    expect(mismatches).toBe(0);
  });

  it('serves concurrent batches, each with its own answer', async () => {
    const a = rows(1_000, 7);
    const b = rows(3_000, 9);
    const matrix = (rs: News2Values[]) => {
      const x = new Float32Array(rs.length * NEWS2_FEATURE_COUNT);
      rs.forEach((r, i) => writeNews2Row(x, i, r));
      return x;
    };
    const [oa, ob] = await Promise.all([rescorer.rescore(matrix(a), a.length), rescorer.rescore(matrix(b), b.length)]);
    expect(Array.from(oa.total)).toEqual(a.map((r) => news2Oracle(r).total));
    expect(Array.from(ob.total)).toEqual(b.map((r) => news2Oracle(r).total));
  });

  it('rejects a malformed batch without losing the worker', async () => {
    await expect(rescorer.rescore(new Float32Array(5), 1)).rejects.toThrow(/expected 1 × 8 features/);
    const one = new Float32Array(NEWS2_FEATURE_COUNT);
    writeNews2Row(one, 0, rows(1, 3)[0]);
    expect((await rescorer.rescore(one, 1)).total).toHaveLength(1);
  });

  it('works in processes started by tsx and by node --import tsx (Node 20 does not apply --import to a worker entry; the worker registers tsx itself)', () => {
    const sample = rows(20, 11);
    const matrix = sample.map((r) => {
      const x = new Float32Array(NEWS2_FEATURE_COUNT);
      writeNews2Row(x, 0, r);
      return Array.from(x);
    });
    const script = join(fileURLToPath(new URL('.', import.meta.url)), 'batch-rescorer-child.ts');
    const tsxCli = join(createRequire(import.meta.url).resolve('tsx'), '..', 'cli.mjs');
    for (const argv of [[tsxCli, script], ['--import', 'tsx', script]]) {
      const stdout = execFileSync(process.execPath, [...argv, JSON.stringify(matrix)], { encoding: 'utf8', timeout: 30_000 });
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
      expect(result.execArgv.join(' ')).toContain('tsx');
      expect(result.total).toEqual(sample.map((r) => news2Oracle(r).total));
      expect(result.band.map((b: number) => NEWS2_BANDS[b])).toEqual(sample.map((r) => news2Oracle(r).band));
    }
  });
});

import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateResource } from '../../conformance/validate.ts';
import { sha256Hex } from '../../server/risk/artifact-hash.ts';
import { extractCardInputs } from '../../server/risk/card-inputs.ts';
import { buildModelRiskAssessment, type CardSuccess } from '../../server/risk/model-assessment.ts';
import { BUILTIN_MODELS_DIR, loadModelRegistry } from '../../server/risk/model-registry.ts';
import { ModelRuntime } from '../../server/risk/model-runtime.ts';
import { quantityObs } from './observation-fixtures.ts';
import { writeUserModel } from './user-model.ts';

type Json = Record<string, any>;
const scratch = mkdtempSync(join(tmpdir(), 'risk-models-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const issues = (resource: unknown) => validateResource(resource).map((i) => `${i.severity}: ${i.diagnostics}`);

describe('model registry', () => {
  it('loads the built-in models, each with a valid Device carrying its sha256', () => {
    const registry = loadModelRegistry({ extraDirs: [] });
    expect(registry.refused).toEqual([]);
    expect(registry.list().map((m) => m.card.id).sort()).toEqual(['news2', 'personal-baseline', 'pima-diabetes-lr']);
    const news2 = registry.require('news2');
    expect(news2.sha256).toBe(sha256Hex(readFileSync(join(BUILTIN_MODELS_DIR, 'news2', 'news2.onnx'))));
    expect(news2.device).toMatchObject({
      resourceType: 'Device',
      id: 'model-news2-1.0.0',
      identifier: [
        { system: 'http://vitalchain.dev/fhir/sid/model-sha256', value: news2.sha256 },
        { system: 'http://vitalchain.dev/fhir/sid/model-id', value: 'news2@1.0.0' },
      ],
      type: { coding: [{ system: 'http://snomed.info/sct', code: '706689003' }] },
      version: [{ value: '1.0.0' }],
    });
    // A TypeScript model has no artifact: its card (all its parameters) is what the hash pins.
    const baseline = registry.require('personal-baseline');
    expect(baseline.sha256).toBe(sha256Hex(readFileSync(join(BUILTIN_MODELS_DIR, 'baseline', 'card.json'))));
    for (const m of registry.list()) expect(issues(m.device)).toEqual([]);
  });

  it('refuses a model whose file does not match the sha256 in its card', () => {
    const dir = join(scratch, 'tampered', 'pima');
    cpSync(join(BUILTIN_MODELS_DIR, 'pima'), dir, { recursive: true });
    const onnx = readFileSync(join(dir, 'pima.onnx'));
    onnx[onnx.length - 5] ^= 1;
    writeFileSync(join(dir, 'pima.onnx'), onnx);
    const registry = loadModelRegistry({ builtinDir: join(scratch, 'tampered') });
    expect(registry.get('pima-diabetes-lr')).toBeUndefined();
    expect(registry.refused).toHaveLength(1);
    expect(registry.refused[0].reason).toMatch(/sha256 [0-9a-f]{64} does not match the card's [0-9a-f]{64}; refusing to load/);
  });

  it('refuses invalid cards, duplicate ids and missing directories, and keeps the rest', () => {
    const bad = join(scratch, 'bad-card');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'card.json'), JSON.stringify({ id: 'Bad Id', version: 'one' }));
    const duplicate = join(scratch, 'dup');
    cpSync(join(BUILTIN_MODELS_DIR, 'news2'), duplicate, { recursive: true });
    const registry = loadModelRegistry({ extraDirs: [bad, duplicate, join(scratch, 'nowhere')] });
    expect(registry.list()).toHaveLength(3);
    const reasons = registry.refused.map((r) => r.reason);
    expect(reasons).toContain('directory does not exist');
    expect(reasons.some((r) => r.includes('invalid model card') && r.includes('id:') && r.includes('version:'))).toBe(true);
    expect(reasons.some((r) => r.includes('model id news2 is already loaded'))).toBe(true);
  });

  it('loads and scores a user-supplied ONNX model with a card, without code changes', async () => {
    const dir = join(scratch, 'user', 'tachy');
    writeUserModel(dir);
    const registry = loadModelRegistry({ extraDirs: [join(scratch, 'user')] });
    const model = registry.require('user-tachy');
    expect(Array.from(model.explanationWeights!)).toEqual([Math.fround(0.05), Math.fround(0.1)]);
    const runtime = await ModelRuntime.create(registry);
    try {
      const t = '2024-01-01T12:00:00Z';
      const resources = [quantityObs('8867-4', 120, '/min', t, { id: 'hr' }), quantityObs('9279-1', 24, '/min', t, { id: 'rr' })];
      const extraction = extractCardInputs(model.card, resources, '2024-01-01T13:00:00Z') as CardSuccess;
      expect(extraction.ok).toBe(true);
      const outputs = await runtime.score('user-tachy', extraction.features, 1);
      const ra: Json = buildModelRiskAssessment({ model, subject: 'Patient/p1', occurrenceDateTime: '2024-01-01T13:00:00Z', extraction, outputs });
      const expected = 1 / (1 + Math.exp(-(0.05 * (120 - 80) + 0.1 * (24 - 16))));
      expect(ra.prediction[0].probabilityDecimal).toBeCloseTo(expected, 6);
      expect(ra.prediction[0].qualitativeRisk.coding[0].code).toBe('high');
      expect(ra.method.coding[0]).toEqual({ system: 'https://example.org/models', code: 'user-tachy' });
      expect(ra.prediction[0].whenPeriod.end).toBe('2024-01-02T01:00:00.000Z');
      expect(issues(ra)).toEqual([]);
      await expect(runtime.score('user-tachy', new Float32Array(3), 1)).rejects.toThrow(/expected 1 × 2 features/);
    } finally {
      await runtime.close();
    }
  });
});

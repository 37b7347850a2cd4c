import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { describe, expect, it } from 'vitest';
import { exampleFileNames, readDefinitionFile } from '../../conformance/definition-package.ts';
import { parseJson, withPlainNumbers } from '../../server/fhir/json/index.ts';
import { searchParameters } from '../../server/fhir/search/definitions/search-parameters.ts';
import { compileExtractor } from '../../server/fhir/search/definitions/compile-extractor.ts';
import { extractIndexRows } from '../../server/fhir/search/index/extract-index.ts';

describe('compiled search-parameter extractors', () => {
  it('yield exactly what fhirpath.js yields, on every R4 example and every parameter', () => {
    const registry = searchParameters();
    let compared = 0;
    const differences: string[] = [];
    const resources: any[] = [];
    for (const file of exampleFileNames()) {
      const resource = parseJson(readDefinitionFile(file)) as any;
      resources.push(resource);
      if (resource.resourceType === 'Bundle') for (const entry of resource.entry ?? []) if (entry.resource) resources.push(entry.resource);
    }
    for (const resource of resources) {
      if (!registry.resourceTypes().includes(resource.resourceType)) continue;
      for (const param of registry.paramsFor(resource.resourceType).values()) {
        // resolve() needs a server; fhirpath.js cannot answer it offline.
        if (!param.extract || !param.expression || param.expression.includes('resolve()')) continue;
        const ours = param.extract(resource).map((node) => JSON.stringify(withPlainNumbers(node.value)));
        let reference: string[];
        try {
          reference = (fhirpath.evaluate(withPlainNumbers(resource), param.expression, {}, r4Model as any) as unknown[]).map((v) => JSON.stringify(v));
        } catch {
          // fhirpath.js refuses `(x as T)` on a collection; servers (and we) apply it per item.
          continue;
        }
        compared++;
        if (JSON.stringify(ours) !== JSON.stringify(reference)) differences.push(`${resource.resourceType}/${resource.id} ${param.code}: ${JSON.stringify(ours).slice(0, 120)} vs ${JSON.stringify(reference).slice(0, 120)}`);
      }
    }
    expect(compared).toBeGreaterThan(10_000);
    expect(differences).toEqual([]);
  });

  it('filters references by target type for where(resolve() is T)', () => {
    const patient = compileExtractor('Observation', ['Observation.subject.where(resolve() is Patient)']);
    expect(patient({ resourceType: 'Observation', subject: { reference: 'Patient/1' } })).toHaveLength(1);
    expect(patient({ resourceType: 'Observation', subject: { reference: 'Group/1' } })).toHaveLength(0);
    expect(patient({ resourceType: 'Observation', subject: { reference: 'http://other.org/fhir/Patient/9' } })).toHaveLength(1);
  });

  it('answers parameters that repeat others from their rows instead of indexing twice', () => {
    const registry = searchParameters();
    expect(registry.param('Observation', 'patient')!.aliasOf).toEqual({ codes: ['subject'], targetType: 'Patient' });
    expect(registry.param('Observation', 'combo-code')!.aliasOf!.codes.sort()).toEqual(['code', 'component-code']);
    expect(registry.param('Observation', 'combo-code-value-quantity')!.aliasOf!.codes.sort()).toEqual(['code-value-quantity', 'component-code-value-quantity']);
    expect(registry.param('Observation', 'code')!.aliasOf).toBeUndefined();
    expect(registry.param('Observation', 'patient')!.extract).toBeUndefined();
  });

  it('gives CodeableConcept.text a token row only when no coding display already says it', () => {
    const registry = searchParameters();
    const codeRows = (code: Record<string, unknown>) => {
      const rows = extractIndexRows({ resourceType: 'Observation', status: 'final', code }, registry.paramsFor('Observation').values(), { baseUrl: 'http://x/fhir', pidOf: () => 7 });
      return rows.token.filter(([, system, value]) => system !== 'http://hl7.org/fhir/observation-status' && value !== 'final');
    };
    const loinc = { system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' };
    expect(codeRows({ coding: [loinc], text: 'heart  RATE' })).toEqual([[7, 'http://loinc.org', '8867-4', 'heart rate']]);
    expect(codeRows({ coding: [loinc], text: 'Pulse' })).toEqual([[7, 'http://loinc.org', '8867-4', 'heart rate'], [7, null, null, 'pulse']]);
    expect(codeRows({ text: 'Mood' })).toEqual([[7, null, null, 'mood']]);
  });
});

import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleFileNames, readDefinitionFile } from '../../conformance/definition-package.ts';
import { compileSubset, type SubsetContext } from '../../conformance/fhirpath-subset.ts';
import { auditInvariants } from '../../conformance/invariants.ts';
import { validateResource } from '../../conformance/validate.ts';
import { parseJson } from '../../server/fhir/json/index.ts';

const model = r4 as unknown as Parameters<typeof fhirpath.evaluate>[3];

/** Both engines on the same node: the compiled subset must give fhirpath.js's answer. */
function both(expression: string, context: SubsetContext, node: unknown, resource: unknown) {
  const compiled = compileSubset(expression, context);
  if (!compiled) throw new Error(`not in the subset: ${expression}`);
  const env = { resource: resource as Record<string, unknown>, rootResource: resource as Record<string, unknown> };
  const reference = fhirpath.evaluate(structuredClone(node), { base: context.path, expression }, env, model);
  return { subset: compiled(node, env), reference };
}

const observation = {
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }, { system: 'http://snomed.info/sct', code: '75367002' }] },
  valueQuantity: { value: 72, code: 'mm[Hg]', system: 'http://unitsofmeasure.org' },
  component: [
    { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 120 } },
    { code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] }, valueString: 'x' },
  ],
  effectivePeriod: { start: '2024-06-01T10:00:00+02:00', end: '2024-06-01T09:00:00Z' },
  _status: { id: 's' },
  note: [{ text: 'a' }, { text: 'b' }],
};
const OBS: SubsetContext = { type: 'Observation', path: 'Observation', primitive: false, resourceType: 'Observation' };

describe('compiled FHIRPath subset agrees with fhirpath.js', () => {
  const cases = [
    'value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()',
    'dataAbsentReason.empty() or value.empty()',
    'value.exists() and status.exists() and (component.count() = 2)',
    "status = 'final' implies effective.exists()",
    "status in ('final' | 'amended')",
    "code.coding.where(system = 'http://loinc.org').code.first() = '85354-9'",
    "component.all(code.coding.exists())",
    "component.select(code.coding.code).isDistinct()",
    'component.value.ofType(Quantity).value > 100',
    "value.ofType(Quantity).code.matches('^mm')",
    "note.text.first() & '-' & note.text.last().empty().not().toString()",
    'note.count() + component.count() = 4',
    'effective.ofType(Period).start <= effective.ofType(Period).end',
    "(status.exists() xor dataAbsentReason.exists()) and status.hasValue()",
    "code.coding.code.first().startsWith('85').not()",
    'Observation.component.where(value is string).exists()',
    "iif(value.exists(), 'has', 'none') = 'has'",
  ];
  for (const expression of cases) {
    it(expression, () => {
      const { subset, reference } = both(expression, OBS, observation, observation);
      expect(subset).toEqual(reference);
    });
  }

  it('refuses expressions outside the subset, leaving them to fhirpath.js', () => {
    for (const expression of ['descendants().exists()', 'subject.resolve().exists()', "value ~ 'x'", 'conformsTo(%resource)']) {
      expect(compileSubset(expression, OBS)).toBeUndefined();
    }
  });
});

describe('compiled FHIRPath subset on every example instance', () => {
  // Each invariant key is compared on its first 40 evaluations and then on every 25th, so every
  // expression is covered without re-running fhirpath.js 800,000 times.
  const seen = new Map<string, number>();
  const mismatches: string[] = [];
  let compared = 0;
  auditInvariants(({ key, expression, holds, reference }) => {
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    if (count > 40 && count % 25 !== 0) return;
    compared++;
    const expected = reference();
    if (expected !== holds) mismatches.push(`${key}: subset ${holds}, fhirpath.js ${expected} — ${expression}`);
  });
  afterAll(() => auditInvariants(undefined));

  it('gives the same verdict as fhirpath.js', () => {
    for (const name of exampleFileNames()) validateResource(parseJson(readDefinitionFile(name)));
    expect(compared).toBeGreaterThan(10_000);
    expect(seen.size).toBeGreaterThan(150);
    expect(mismatches).toEqual([]);
  });
});

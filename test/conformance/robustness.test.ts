import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readDefinitionFile } from '../../conformance/definition-package.ts';
import { validateResource } from '../../conformance/validate.ts';
import { parseJson } from '../../server/fhir/json/index.ts';

/** Every [container, key] in a JSON tree, so a mutation can target any node. */
function slots(root: unknown): [Record<string, unknown> | unknown[], string | number][] {
  const out: [Record<string, unknown> | unknown[], string | number][] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        out.push([value, index]);
        visit(item);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        out.push([value as Record<string, unknown>, key]);
        visit((value as Record<string, unknown>)[key]);
      }
    }
  };
  visit(root);
  return out;
}

const SOURCES = ['Observation-blood-pressure.json', 'Patient-example.json', 'Bundle-bundle-transaction.json', 'Questionnaire-f201.json'];

describe('validation never throws on malformed input (client mistakes are never a 500)', () => {
  const bases = SOURCES.map((name) => readDefinitionFile(name));

  it('survives random replacements, deletions and wrappings anywhere in real resources', () => {
    fc.assert(
      fc.property(
        fc.nat(bases.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.constant('wrap'))), { minLength: 1, maxLength: 4 }),
        (which, mutations) => {
          const resource = parseJson(bases[which]);
          for (const [position, replacement] of mutations) {
            const all = slots(resource);
            if (all.length === 0) break;
            const [container, key] = all[position % all.length];
            const current = (container as Record<string | number, unknown>)[key];
            if (replacement === undefined && !Array.isArray(container)) delete (container as Record<string, unknown>)[key as string];
            else (container as Record<string | number, unknown>)[key] = replacement === 'wrap' ? [current] : replacement;
          }
          const issues = validateResource(resource);
          expect(Array.isArray(issues)).toBe(true);
          for (const issue of issues) expect(typeof issue.diagnostics).toBe('string');
        },
      ),
      { numRuns: 400, seed: 20240601 },
    );
  });

  it('survives arbitrary JSON values with a resourceType', () => {
    fc.assert(
      fc.property(fc.constantFrom('Observation', 'Patient', 'Bundle', 'Questionnaire', 'Parameters'), fc.dictionary(fc.string(), fc.jsonValue()), (resourceType, body) => {
        const issues = validateResource({ ...body, resourceType });
        expect(Array.isArray(issues)).toBe(true);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});

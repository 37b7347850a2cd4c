import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exampleFileNames, readDefinitionFile } from '../../conformance/definition-package.ts';
import { validateResource, type ValidationIssue } from '../../conformance/validate.ts';
import { parseJson } from '../../server/fhir/json/index.ts';
import { errors } from './issues.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** File names listed in the first column of the exceptions table (`name.json`). */
function documentedExceptions(): string[] {
  const markdown = fs.readFileSync(path.join(repoRoot, 'conformance', 'EXAMPLE-EXCEPTIONS.md'), 'utf8');
  const table = markdown.slice(0, markdown.indexOf('## Passing with warnings only'));
  return [...table.matchAll(/^\| `([^`]+\.json)` \|/gm)].map((match) => match[1]).sort();
}

describe('acceptance: every example instance of hl7.fhir.r4.examples', () => {
  const failures = new Map<string, ValidationIssue[]>();
  const names = exampleFileNames();
  const unknownClaims = new Set<string>();
  let resourcesChecked = 0;

  it('validates the examples (Bundles with their entries)', () => {
    for (const name of names) {
      const resource = parseJson(readDefinitionFile(name)) as { entry?: unknown[] };
      resourcesChecked += 1 + (Array.isArray(resource.entry) ? resource.entry.length : 0);
      const issues = validateResource(resource);
      for (const issue of issues) if (issue.severity === 'information') unknownClaims.add(issue.diagnostics.split(' ').find((word) => word.startsWith('http'))!);
      const found = errors(issues);
      if (found.length > 0) failures.set(name, found);
    }
    expect(names.length).toBeGreaterThan(700);
    expect(resourcesChecked).toBeGreaterThan(14_000);
  });

  it('enforces the profiles the examples claim, where known (vitalsigns, shareable*)', () => {
    for (const name of ['vitalsigns', 'shareablevalueset', 'shareablecodesystem']) {
      expect(unknownClaims.has(`http://hl7.org/fhir/StructureDefinition/${name}`)).toBe(false);
    }
    expect(unknownClaims.has('http://hl7.org/fhir/us/sdc/StructureDefinition/sdc-valueset')).toBe(true);
  });

  it('passes at least 99 %', () => {
    const passRate = (names.length - failures.size) / names.length;
    expect(passRate).toBeGreaterThanOrEqual(0.99);
  });

  it('fails exactly the examples listed, with their reasons, in conformance/EXAMPLE-EXCEPTIONS.md', () => {
    expect([...failures.keys()].sort()).toEqual(documentedExceptions());
  });

  it('fails them for the documented reasons', () => {
    const at = (name: string) => failures.get(name)!.map((issue) => issue.expression?.[0]);
    expect(at('DeviceMetric-example.json')).toEqual(['DeviceMetric.parent.reference']);
    expect(at('DeviceUseStatement-example.json')).toEqual(['DeviceUseStatement.reasonReference[0].reference']);
    expect(at('MedicationRequest-medrx0301.json')).toEqual(['MedicationRequest.dispenseRequest.performer.reference']);
    expect(at('Observation-clinical-gender.json')).toEqual(['Observation.performer[0].reference']);
    expect(at('Bundle-dataelements.json')).toEqual(['Bundle']);
    expect(failures.get('Bundle-dataelements.json')![0].diagnostics).toContain('bdl-7');
    expect(at('Questionnaire-qs1.json')).toHaveLength(32);
    expect(at('Questionnaire-qs1.json').every((expression) => expression?.endsWith('.linkId'))).toBe(true);
    expect(at('ig-r4.json').sort()).toEqual([
      'ImplementationGuide.manifest.resource[11904].reference.reference',
      'ImplementationGuide.name',
      'ImplementationGuide.status',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { typeModel } from '../../conformance/type-model.ts';
import { failureStatus, prepareValidation, validateResource } from '../../conformance/validate.ts';
import { errorAt, errors, observation, patient, validateText } from './issues.ts';

describe('compilation', () => {
  it('compiles the validators of every R4 resource type ahead of time', () => {
    expect(() => prepareValidation()).not.toThrow();
    expect(typeModel().resourceTypes).toHaveLength(146);
    // An empty resource of every concrete type has no structure errors besides missing required elements.
    for (const resourceType of typeModel().resourceTypes) {
      const structure = errors(validateResource({ resourceType })).filter((issue) => issue.kind === 'structure');
      expect([resourceType, structure.filter((issue) => issue.code !== 'required')]).toEqual([resourceType, []]);
    }
  });
});

describe('resource shape and type', () => {
  it('accepts a minimal valid Observation and Patient without errors', () => {
    expect(errors(validateResource(observation()))).toEqual([]);
    expect(errors(validateResource(patient()))).toEqual([]);
  });

  it('rejects a value that is not a JSON object', () => {
    for (const value of [null, 42, 'Patient', [patient()]]) {
      const issues = validateResource(value);
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ severity: 'error', code: 'structure', kind: 'structure' });
    }
  });

  it('requires resourceType', () => {
    const issue = errorAt(validateResource({ id: 'x' }), 'Resource');
    expect(issue).toMatchObject({ code: 'required', kind: 'structure' });
    expect(issue.diagnostics).toContain('no resourceType');
  });

  it('reports an unknown resource type with a specific issue', () => {
    const issue = errorAt(validateResource({ resourceType: 'Patientt' }), 'Resource');
    expect(issue).toMatchObject({ code: 'not-supported', kind: 'structure' });
    expect(issue.diagnostics).toContain('"Patientt" is not a known FHIR R4 resource type');
    // Data types are not resources either.
    expect(errorAt(validateResource({ resourceType: 'Quantity' }), 'Resource').code).toBe('not-supported');
  });

  it('rejects the abstract types Resource and DomainResource', () => {
    for (const resourceType of ['Resource', 'DomainResource']) {
      const issue = errors(validateResource({ resourceType }))[0];
      expect(issue).toMatchObject({ code: 'structure', kind: 'structure' });
      expect(issue.diagnostics).toContain('abstract');
    }
  });

  it('checks the format of the resource id', () => {
    expect(errorAt(validateResource(patient({ id: 'has space' })), 'Patient.id')).toMatchObject({ code: 'value', kind: 'structure' });
    expect(errorAt(validateResource(patient({ id: 'x'.repeat(65) })), 'Patient.id').code).toBe('value');
    expect(errors(validateResource(patient({ id: 'A-1.b' })))).toEqual([]);
  });
});

describe('unknown elements', () => {
  it('reports an unknown property with its exact path', () => {
    const issue = errorAt(validateResource(patient({ name: [{ family: 'Doe' }, { given: ['Jo'], nickname: 'J' }] })), 'Patient.name[1].nickname');
    expect(issue).toMatchObject({ code: 'structure', kind: 'structure' });
    expect(issue.diagnostics).toContain('"nickname"');
  });

  it('reports an unknown choice type and an unknown primitive extension key', () => {
    errorAt(validateResource(observation({ valueDuration: { value: 1 } })), 'Observation.valueDuration');
    errorAt(validateResource(patient({ _nickname: { extension: [] } })), 'Patient._nickname');
  });

  it('does not allow resourceType inside data types', () => {
    errorAt(validateResource(patient({ name: [{ resourceType: 'HumanName', family: 'Doe' }] })), 'Patient.name[0].resourceType');
  });
});

describe('JSON shape and cardinality', () => {
  it('requires arrays for repeating elements and single values otherwise', () => {
    const notArray = errorAt(validateResource(patient({ name: { family: 'Doe' } })), 'Patient.name');
    expect(notArray).toMatchObject({ code: 'structure', kind: 'structure' });
    expect(notArray.diagnostics).toContain('must be a JSON array');
    const array = errorAt(validateResource(patient({ gender: ['female'] })), 'Patient.gender');
    expect(array.diagnostics).toContain('not an array');
  });

  it('rejects empty objects, empty arrays and nulls (ele-1)', () => {
    expect(errorAt(validateResource(patient({ maritalStatus: {} })), 'Patient.maritalStatus').diagnostics).toContain('ele-1');
    expect(errorAt(validateResource(patient({ name: [] })), 'Patient.name').diagnostics).toContain('cannot be empty');
    errorAt(validateResource(patient({ name: [null] })), 'Patient.name[0]');
    errorAt(validateResource(patient({ gender: null })), 'Patient.gender');
    // An element with only an id has no value or children either.
    errorAt(validateResource(patient({ maritalStatus: { id: 'a' } })), 'Patient.maritalStatus');
  });

  it('reports missing required elements as structure errors at the element', () => {
    const issues = validateResource({ resourceType: 'Observation', code: { text: 'x' } });
    expect(errorAt(issues, 'Observation.status')).toMatchObject({ code: 'required', kind: 'structure' });
    // A required choice element is named with [x].
    const dosage = validateResource({ resourceType: 'MedicationAdministration', status: 'completed', subject: { reference: 'Patient/p' } });
    expect(errorAt(dosage, 'MedicationAdministration.medication[x]').code).toBe('required');
    expect(errorAt(dosage, 'MedicationAdministration.effective[x]').code).toBe('required');
  });

  it('counts an extension-only primitive as present', () => {
    const issues = validateResource({
      resourceType: 'Observation',
      _status: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] },
      code: { text: 'x' },
    });
    expect(errors(issues).filter((i) => i.expression?.[0] === 'Observation.status')).toEqual([]);
  });

  it('rejects two types for one choice element', () => {
    const issues = validateResource(observation({ valueQuantity: { value: 1 }, valueString: 'x' }));
    const issue = errors(issues).find((i) => i.diagnostics.includes('only one type'));
    expect(issue).toMatchObject({ code: 'structure', kind: 'structure' });
  });

  it('validates choice elements by type, with FHIRPath ofType() paths', () => {
    const issue = errorAt(validateResource(observation({ valueQuantity: { value: 'seventy' } })), 'Observation.value.ofType(Quantity).value');
    expect(issue.diagnostics).toContain('must be a JSON number');
    errorAt(validateResource(observation({ effectiveDateTime: '2020-13-01' })), 'Observation.effective.ofType(dateTime)');
  });

  it('validates backbone elements and nested data types', () => {
    const issues = validateResource(
      observation({ component: [{ code: { text: 'a' } }, { code: { coding: [{ system: 'http://loinc.org', code: 1 }] } }] }),
    );
    errorAt(issues, 'Observation.component[1].code.coding[0].code');
    const missing = validateResource(observation({ component: [{ valueString: 'x' }] }));
    expect(errorAt(missing, 'Observation.component[0].code').code).toBe('required');
  });

  it('validates extensions: url required, value or nested extensions but not both (ext-1)', () => {
    const noUrl = validateResource(patient({ extension: [{ valueString: 'x' }] }));
    expect(errorAt(noUrl, 'Patient.extension[0].url').code).toBe('required');
    const both = validateResource(patient({ extension: [{ url: 'http://e.org/x', valueString: 'x', extension: [{ url: 'a', valueCode: 'b' }] }] }));
    expect(errorAt(both, 'Patient.extension[0]')).toMatchObject({ code: 'invariant', kind: 'rule' });
    const neither = validateResource(patient({ extension: [{ url: 'http://e.org/x' }] }));
    expect(errorAt(neither, 'Patient.extension[0]').diagnostics).toContain('ext-1');
    errorAt(validateResource(patient({ extension: [{ url: 'http://e.org/x', valueFoo: 1 }] })), 'Patient.extension[0].valueFoo');
  });
});

describe('contained resources and Bundles', () => {
  it('validates contained resources with paths through the container', () => {
    const issues = validateResource(
      observation({
        contained: [{ resourceType: 'Patient', id: 'p', gender: 'woman' }],
        subject: { reference: '#p' },
      }),
    );
    const issue = errorAt(issues, 'Observation.contained[0].gender');
    expect(issue).toMatchObject({ code: 'code-invalid', kind: 'rule' });
  });

  it("validates a Bundle's entry resources with Bundle.entry[n].resource paths", () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { fullUrl: 'http://x.org/fhir/Patient/a', resource: patient({ id: 'a' }) },
        { fullUrl: 'http://x.org/fhir/Patient/b', resource: patient({ id: 'b', name: [{ given: ['A', 5] }] }) },
        { fullUrl: 'http://x.org/fhir/Foo/c', resource: { resourceType: 'Foo' } },
      ],
    };
    const issues = validateResource(bundle);
    errorAt(issues, 'Bundle.entry[1].resource.name[0].given[1]');
    expect(errorAt(issues, 'Bundle.entry[2].resource').code).toBe('not-supported');
  });

  it('lets structure errors decide the status over rule errors', () => {
    const ruleOnly = validateResource(patient({ gender: 'woman' }));
    expect(failureStatus(ruleOnly)).toBe(422);
    const both = validateResource(patient({ gender: 'woman', nickname: 'x' }));
    expect(failureStatus(both)).toBe(400);
    expect(failureStatus(validateResource(patient()))).toBeUndefined();
  });
});

describe('text from the parser', () => {
  it('validates what parseJson produces, including duplicate-free objects and decimals', () => {
    expect(errors(validateText('{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":72.0}}'))).toEqual([]);
  });
});

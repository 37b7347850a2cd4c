import { describe, expect, it } from 'vitest';
import { validateResource } from '../../conformance/validate.ts';
import { expandValueSet } from '../../conformance/value-set-expansion.ts';
import { errorAt, errors, observation, patient } from './issues.ts';

describe('value set expansion from the package', () => {
  it('expands value sets that include whole code systems of the package', () => {
    const genders = expandValueSet('http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1');
    expect([...genders!.codes].sort()).toEqual(['female', 'male', 'other', 'unknown']);
    expect(genders!.bySystem.get('http://hl7.org/fhir/administrative-gender')?.has('female')).toBe(true);
  });

  it('expands is-a filters over code system hierarchies', () => {
    const accountTypes = expandValueSet('http://hl7.org/fhir/ValueSet/account-type')!;
    const codes = accountTypes.bySystem.get('http://terminology.hl7.org/CodeSystem/v3-ActCode')!;
    expect(codes.has('PBILLACCT')).toBe(true);
    expect(codes.has('_ActAccountCode')).toBe(true);
    // A code of the same system outside the hierarchy is not included.
    expect(codes.has('AMB')).toBe(false);
  });

  it('returns nothing for value sets that need external terminologies', () => {
    expect(expandValueSet('http://hl7.org/fhir/ValueSet/observation-codes')).toBeUndefined(); // all of LOINC
    expect(expandValueSet('http://hl7.org/fhir/ValueSet/mimetypes')).toBeUndefined(); // urn:ietf:bcp:13
    expect(expandValueSet('http://hl7.org/fhir/ValueSet/no-such-value-set')).toBeUndefined();
  });

  it('expands enumerated concepts of external systems (UCUM vital-sign units)', () => {
    const units = expandValueSet('http://hl7.org/fhir/ValueSet/ucum-vitals-common')!;
    expect(units.bySystem.get('http://unitsofmeasure.org')?.has('/min')).toBe(true);
  });
});

describe('required bindings', () => {
  it('rejects a code outside the required value set (code element)', () => {
    const issue = errorAt(validateResource(patient({ gender: 'woman' })), 'Patient.gender');
    expect(issue).toMatchObject({ severity: 'error', code: 'code-invalid', kind: 'rule' });
    expect(issue.diagnostics).toContain('http://hl7.org/fhir/ValueSet/administrative-gender');
    errorAt(validateResource(observation({ status: 'done' })), 'Observation.status');
    errorAt(validateResource(observation({ valueQuantity: { value: 1, comparator: '=' } })), 'Observation.value.ofType(Quantity).comparator');
  });

  it('checks required bindings on CodeableConcept by system and code', () => {
    const condition = (clinicalStatus: unknown) => ({
      resourceType: 'Condition',
      subject: { reference: 'Patient/p' },
      code: { text: 'x' },
      clinicalStatus,
    });
    const system = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
    expect(errors(validateResource(condition({ coding: [{ system, code: 'active' }] })))).toEqual([]);
    // One matching coding is enough.
    expect(errors(validateResource(condition({ coding: [{ system: 'http://snomed.info/sct', code: '55561003' }, { system, code: 'active' }] })))).toEqual([]);
    errorAt(validateResource(condition({ coding: [{ system, code: 'ongoing' }] })), 'Condition.clinicalStatus');
    // The right code from another system is not the code.
    errorAt(validateResource(condition({ coding: [{ system: 'http://example.org/status', code: 'active' }] })), 'Condition.clinicalStatus');
    errorAt(validateResource(condition({ text: 'active' })), 'Condition.clinicalStatus');
  });

  it('skips required bindings to value sets it cannot expand (no error)', () => {
    // Attachment.contentType is bound (required) to all MIME types (urn:ietf:bcp:13).
    expect(errors(validateResource(patient({ photo: [{ contentType: 'application/x-whatever', url: 'http://x.org/p' }] })))).toEqual([]);
  });

  it('leaves weaker bindings alone', () => {
    // Observation.interpretation is extensible, Observation.code is an example binding.
    const issues = validateResource(observation({ interpretation: [{ coding: [{ system: 'http://example.org', code: 'odd' }] }] }));
    expect(errors(issues)).toEqual([]);
  });
});

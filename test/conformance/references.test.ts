import { describe, expect, it } from 'vitest';
import { validateResource } from '../../conformance/validate.ts';
import { errorAt, errors, observation } from './issues.ts';

const withSubject = (reference: string, extra: Record<string, unknown> = {}) => observation({ subject: { reference }, ...extra });

describe('reference formats', () => {
  it('accepts relative, versioned, absolute and logical references', () => {
    for (const reference of ['Patient/p1', 'Patient/p1/_history/3', 'https://fhir.example.org/r4/Patient/p1', 'http://x.org/some/other/thing']) {
      expect(errors(validateResource(withSubject(reference)))).toEqual([]);
    }
    expect(errors(validateResource(observation({ subject: { identifier: { system: 'urn:oid:1.2.3', value: '42' } } })))).toEqual([]);
  });

  it('rejects malformed references with the path of Reference.reference', () => {
    for (const reference of ['Patient/', 'Patient p1', 'patient/p1', 'Patient/' + 'x'.repeat(65), 'Patient/p1/_history/']) {
      const issue = errorAt(validateResource(withSubject(reference)), 'Observation.subject.reference');
      expect(issue).toMatchObject({ code: 'value', kind: 'structure' });
    }
  });

  it('rejects unknown resource types in references', () => {
    expect(errorAt(validateResource(withSubject('Patientt/p1')), 'Observation.subject.reference').diagnostics).toContain('not a resource type');
  });

  it('accepts urn:uuid:, urn:oid: and conditional references only inside a Bundle', () => {
    const uuid = 'urn:uuid:8e2a6b5c-1f4d-4c3b-9a7e-2d1f0c9b8a76';
    expect(errorAt(validateResource(withSubject(uuid)), 'Observation.subject.reference').diagnostics).toContain('inside a Bundle');
    expect(errors(validateResource(withSubject(uuid), { inBundle: true }))).toEqual([]);
    errorAt(validateResource(withSubject('urn:uuid:not-a-uuid'), { inBundle: true }), 'Observation.subject.reference');
    errorAt(validateResource(withSubject('Patient?identifier=x|1')), 'Observation.subject.reference');
    expect(errors(validateResource(withSubject('Patient?identifier=x|1'), { inBundle: true }))).toEqual([]);
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: uuid, resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { fullUrl: 'urn:uuid:1e2a6b5c-1f4d-4c3b-9a7e-2d1f0c9b8a76', resource: withSubject(uuid), request: { method: 'POST', url: 'Observation' } },
      ],
    };
    expect(errors(validateResource(bundle))).toEqual([]);
  });
});

describe('reference targets', () => {
  it('rejects a reference to a type the element does not allow (targetProfile)', () => {
    const issue = errorAt(validateResource(withSubject('Practitioner/d1')), 'Observation.subject.reference');
    expect(issue).toMatchObject({ code: 'structure', kind: 'structure' });
    expect(issue.diagnostics).toContain('a reference to Practitioner is not allowed here');
    expect(issue.diagnostics).toContain('Patient');
  });

  it('checks the type of absolute FHIR URLs too, and allows any type for Reference(Any)', () => {
    errorAt(validateResource(withSubject('https://fhir.example.org/Medication/m1')), 'Observation.subject.reference');
    expect(errors(validateResource(observation({ focus: [{ reference: 'Medication/m1' }] })))).toEqual([]);
  });
});

describe('local references (#id) and ref-1', () => {
  const contained = [{ resourceType: 'Patient', id: 'p' }];

  it('resolves #id against the contained resources', () => {
    expect(errors(validateResource(withSubject('#p', { contained })))).toEqual([]);
    const missing = errorAt(validateResource(withSubject('#nobody', { contained })), 'Observation.subject.reference');
    expect(missing).toMatchObject({ code: 'invariant', kind: 'rule' });
    expect(missing.diagnostics).toContain('ref-1');
  });

  it('checks the type of the contained target', () => {
    const issue = errorAt(validateResource(withSubject('#m', { contained: [{ resourceType: 'Medication', id: 'm' }] })), 'Observation.subject.reference');
    expect(issue.diagnostics).toContain('a reference to Medication is not allowed');
    // Observation.subject allows Patient | Group | Device | Location.
    expect(errors(validateResource(withSubject('#d', { contained: [{ resourceType: 'Device', id: 'd' }] })))).toEqual([]);
  });

  it('allows "#" (the container) only inside a contained resource', () => {
    errorAt(validateResource(withSubject('#')), 'Observation.subject.reference');
    const backReference = observation({
      contained: [{ resourceType: 'Provenance', id: 'prov', target: [{ reference: '#' }], recorded: '2024-01-01T00:00:00Z', agent: [{ who: { display: 'x' } }] }],
    });
    expect(errors(validateResource(backReference))).toEqual([]);
  });
});

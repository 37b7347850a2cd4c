import { describe, expect, it } from 'vitest';
import { validateResource } from '../../conformance/validate.ts';
import { errorAt, errors, observation, patient, validateText } from './issues.ts';

/** Errors for Patient.birthDate = value (a date), Observation.valueX or another single element. */
function patientErrors(extra: Record<string, unknown>) {
  return errors(validateResource(patient(extra)));
}

describe('strings', () => {
  it('rejects empty, whitespace-only and control-character strings', () => {
    expect(errorAt(validateResource(patient({ name: [{ family: '' }] })), 'Patient.name[0].family').diagnostics).toContain('cannot be empty');
    expect(errorAt(validateResource(patient({ name: [{ family: ' \t ' }] })), 'Patient.name[0].family').diagnostics).toContain('only whitespace');
    expect(errorAt(validateResource(patient({ name: [{ family: 'Do\u0007e' }] })), 'Patient.name[0].family')).toMatchObject({ code: 'value', kind: 'structure' });
  });

  it('accepts tabs, line breaks, leading spaces and no-break spaces (content, not whitespace, in FHIR regexes)', () => {
    expect(patientErrors({ name: [{ text: ' Jane\tDoe\r\n' }] })).toEqual([]);
    expect(patientErrors({ name: [{ family: 'Doe\u00a0' }] })).toEqual([]);
  });

  it('does not echo long values in diagnostics', () => {
    const issue = errorAt(validateResource(patient({ birthDate: 'x'.repeat(500) })), 'Patient.birthDate');
    expect(issue.diagnostics.length).toBeLessThan(150);
  });

  it('checks code, id, uri, url, canonical, oid, uuid and markdown formats', () => {
    errorAt(validateResource(patient({ gender: 'fe male' + ' ' })), 'Patient.gender');
    errorAt(validateResource(patient({ language: 'en  US' })), 'Patient.language');
    errorAt(validateResource(patient({ implicitRules: 'http://x.org/a b' })), 'Patient.implicitRules');
    errorAt(validateResource(patient({ identifier: [{ system: 'urn:oid:1.2.0x' }] })), 'Patient.identifier[0].system');
    errorAt(validateResource(patient({ identifier: [{ system: 'urn:uuid:1234' }] })), 'Patient.identifier[0].system');
    expect(patientErrors({ identifier: [{ system: 'urn:oid:2.16.840.1.113883.4.1', value: '1' }] })).toEqual([]);
    // UUIDs in a uri are case-insensitive (RFC 4122); the uuid type itself is lower case only.
    expect(patientErrors({ identifier: [{ system: 'urn:uuid:A1B2C3D4-0000-4000-8000-000000000001' }] })).toEqual([]);
    const doc = { resourceType: 'DocumentManifest', status: 'current', content: [{ reference: 'DocumentReference/d' }], masterIdentifier: { system: 'urn:ietf:rfc:3986', value: 'x' } };
    expect(errors(validateResource(doc))).toEqual([]);
    const contract = validateResource({ resourceType: 'ValueSet', status: 'draft', url: 'http://x.org/vs', description: '' });
    errorAt(contract, 'ValueSet.description');
  });

  it('checks base64Binary by hand (alphabet, padding, length)', () => {
    const attachment = (data: string) => patient({ photo: [{ contentType: 'image/png', data }] });
    expect(errors(validateResource(attachment('aGVsbG8=')))).toEqual([]);
    expect(errors(validateResource(attachment('aGVs\nbG8=')))).toEqual([]);
    errorAt(validateResource(attachment('aGVsbG8')), 'Patient.photo[0].data');
    errorAt(validateResource(attachment('aG=sbG8=')), 'Patient.photo[0].data');
    errorAt(validateResource(attachment('aGVs!G8=')), 'Patient.photo[0].data');
  });
});

describe('dates and times', () => {
  it('accepts partial dates and rejects impossible ones', () => {
    for (const birthDate of ['1970', '1970-02', '1970-02-28', '2000-02-29']) expect(patientErrors({ birthDate })).toEqual([]);
    for (const birthDate of ['1970-2-1', '1970-13', '1970-02-30', '1900-02-29', '1970-04-31', '70-01-01', '1970-01-01T10:00:00Z']) {
      expect(errorAt(validateResource(patient({ birthDate })), 'Patient.birthDate')).toMatchObject({ code: 'value', kind: 'structure' });
    }
  });

  it('requires a time zone on dateTimes with a time, and full instants', () => {
    const at = (effectiveDateTime: string) => errors(validateResource(observation({ effectiveDateTime })));
    expect(at('2024-06-01T10:15:00Z')).toEqual([]);
    expect(at('2024-06-01T10:15:00.123+02:00')).toEqual([]);
    expect(at('2024-06')).toEqual([]);
    expect(at('2024-06-01T10:15:00')).toHaveLength(1);
    expect(at('2024-06-01T10:15Z')).toHaveLength(1);
    expect(at('2024-06-01T25:00:00Z')).toHaveLength(1);
    expect(errors(validateResource(observation({ issued: '2024-06-01T10:15:00Z' })))).toEqual([]);
    errorAt(validateResource(observation({ issued: '2024-06-01' })), 'Observation.issued');
  });

  it('checks time values', () => {
    expect(errors(validateResource(observation({ valueTime: '23:59:60' })))).toEqual([]);
    errorAt(validateResource(observation({ valueTime: '24:00:00' })), 'Observation.value.ofType(time)');
    errorAt(validateResource(observation({ valueTime: '10:00' })), 'Observation.value.ofType(time)');
  });
});

describe('numbers (FhirDecimal from parseJson)', () => {
  const quantity = (value: string) => `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":${value}}}`;
  const integer = (value: string) => `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueInteger":${value}}`;

  it('accepts decimals with significant precision and exponents', () => {
    for (const value of ['72', '72.0', '72.50', '-0.001', '1e3', '1.5E-7', '123456789012345678901234567890']) {
      expect(errors(validateText(quantity(value)))).toEqual([]);
    }
  });

  it('rejects decimals written as strings or booleans', () => {
    errorAt(validateText(quantity('"72"')), 'Observation.value.ofType(Quantity).value');
    errorAt(validateText(quantity('true')), 'Observation.value.ofType(Quantity).value');
  });

  it('accepts 32-bit integers only, and not integers written as decimals', () => {
    for (const value of ['0', '-2147483648', '2147483647']) expect(errors(validateText(integer(value)))).toEqual([]);
    for (const value of ['2147483648', '-2147483649', '1.0', '1e2', '1.5', '9007199254740993']) {
      const issue = errorAt(validateText(integer(value)), 'Observation.value.ofType(integer)');
      expect(issue).toMatchObject({ code: 'value', kind: 'structure' });
    }
  });

  it('checks positiveInt and unsignedInt ranges', () => {
    const repeat = (count: number) => ({
      resourceType: 'MedicationRequest', status: 'active', intent: 'order', medicationCodeableConcept: { text: 'x' }, subject: { reference: 'Patient/p' },
      dosageInstruction: [{ sequence: 1, timing: { repeat: { count, frequency: 1 } } }],
    });
    expect(errors(validateResource(repeat(1)))).toEqual([]);
    errorAt(validateResource(repeat(0)), 'MedicationRequest.dosageInstruction[0].timing.repeat.count');
    const rank = (value: number) => patient({ telecom: [{ system: 'phone', value: '1', rank: value }] });
    expect(errors(validateResource(rank(1)))).toEqual([]);
    errorAt(validateResource(rank(0)), 'Patient.telecom[0].rank');
    const size = (value: number) => patient({ photo: [{ url: 'http://x.org/a.png', size: value }] });
    expect(errors(validateResource(size(0)))).toEqual([]);
    errorAt(validateResource(size(-1)), 'Patient.photo[0].size');
  });

  it('rejects non-finite plain numbers', () => {
    errorAt(validateResource(observation({ valueQuantity: { value: Number.NaN } })), 'Observation.value.ofType(Quantity).value');
  });
});

describe('booleans', () => {
  it('requires JSON booleans', () => {
    expect(patientErrors({ active: true })).toEqual([]);
    expect(errorAt(validateResource(patient({ active: 'true' })), 'Patient.active').diagnostics).toContain('must be a JSON boolean');
  });
});

describe('primitive extensions (_name)', () => {
  const ext = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] };

  it('accepts an extension next to or instead of a value', () => {
    expect(patientErrors({ birthDate: '1970', _birthDate: ext })).toEqual([]);
    expect(patientErrors({ _birthDate: ext })).toEqual([]);
  });

  it('validates arrays of primitives with nulls aligned to their extensions', () => {
    expect(patientErrors({ name: [{ given: ['Jo', null], _given: [null, ext] }] })).toEqual([]);
    errorAt(validateResource(patient({ name: [{ given: ['Jo', null], _given: [null, null] }] })), 'Patient.name[0].given[1]');
    errorAt(validateResource(patient({ name: [{ given: ['Jo', null] }] })), 'Patient.name[0].given[1]');
    const lengths = validateResource(patient({ name: [{ given: ['Jo', 'Al'], _given: [ext] }] }));
    expect(errorAt(lengths, 'Patient.name[0].given').diagnostics).toContain('same length');
  });

  it('validates the content of the extension part', () => {
    errorAt(validateResource(patient({ _birthDate: { extension: [{ valueCode: 'x' }] } })), 'Patient.birthDate.extension[0].url');
    errorAt(validateResource(patient({ birthDate: '1970', _birthDate: { foo: 1 } })), 'Patient.birthDate.foo');
    errorAt(validateResource(patient({ _birthDate: {} })), 'Patient.birthDate');
    // Without a value, an id alone is not enough (ele-1).
    errorAt(validateResource(patient({ _birthDate: { id: 'a' } })), 'Patient.birthDate');
    errorAt(validateResource(patient({ birthDate: '1970', _birthDate: 'x' })), 'Patient.birthDate');
  });

  it('allows no _name part on XML attributes and narrative XHTML', () => {
    errorAt(validateResource(patient({ name: [{ id: 'n1', _id: { extension: [] }, family: 'Doe' }] })), 'Patient.name[0]._id');
    errorAt(validateResource(patient({ extension: [{ url: 'http://x.org/e', _url: { id: 'u' }, valueString: 'x' }] })), 'Patient.extension[0]._url');
    const text = { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>', _div: { id: 'd' } };
    errorAt(validateResource(patient({ text })), 'Patient.text._div');
  });
});

import { describe, expect, it } from 'vitest';
import { isKnownProfile, knownProfiles } from '../../conformance/profiles.ts';
import { validateResource } from '../../conformance/validate.ts';
import { errors } from './issues.ts';

const SD = 'http://hl7.org/fhir/StructureDefinition/';
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const vitalSigns = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }];

function heartRate(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">72/min</div>' },
    status: 'final',
    category: vitalSigns,
    code: { coding: [{ system: LOINC, code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: '2024-06-01T10:15:00Z',
    valueQuantity: { value: 72, unit: 'beats/minute', system: UCUM, code: '/min' },
    ...extra,
  };
}

function bloodPressure(components: unknown[]): Record<string, unknown> {
  const { valueQuantity, ...rest } = heartRate({ code: { coding: [{ system: LOINC, code: '85354-9' }] } });
  expect(valueQuantity).toBeDefined();
  return { ...rest, component: components };
}

const systolic = { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: 120, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } };
const diastolic = { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 80, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } };

function profileErrors(resource: unknown, profile: string) {
  return errors(validateResource(resource, { profiles: [SD + profile] }));
}

describe('known profiles', () => {
  it('offers the R4 vital-signs family', () => {
    const known = knownProfiles();
    for (const name of ['vitalsigns', 'heartrate', 'bp', 'oxygensat', 'resprate', 'bodytemp', 'bodyweight', 'bodyheight', 'bmi']) {
      expect(known).toContain(SD + name);
      expect(isKnownProfile(SD + name)).toBe(true);
    }
    expect(isKnownProfile(`${SD}heartrate|4.0.1`)).toBe(true);
    expect(isKnownProfile('http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient')).toBe(false);
  });

  it('offers the other package profiles it enforces completely, and not those it cannot', () => {
    const known = knownProfiles();
    for (const name of ['devicemetricobservation', 'shareablevalueset', 'provenance-relevant-history', 'cholesterol']) expect(known).toContain(SD + name);
    // Extension slices (observation-genetics) and ordered slicing (lipidprofile) are not implemented.
    for (const name of ['observation-genetics', 'lipidprofile']) expect(known).not.toContain(SD + name);
  });
});

describe('other package profiles', () => {
  it('shareablevalueset requires the publication metadata', () => {
    const valueSet = { resourceType: 'ValueSet', url: 'http://example.org/vs', status: 'draft', text: heartRate().text };
    const issues = profileErrors(valueSet, 'shareablevalueset');
    expect(issues.map((i) => i.expression?.[0]).sort()).toEqual(
      ['ValueSet.description', 'ValueSet.experimental', 'ValueSet.name', 'ValueSet.publisher', 'ValueSet.version'],
    );
    const complete = { ...valueSet, version: '1', name: 'Example', experimental: true, publisher: 'me', description: 'x' };
    expect(profileErrors(complete, 'shareablevalueset')).toEqual([]);
  });

  it('provenance-relevant-history slices agents by a pattern on their type', () => {
    const author = { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'AUT' }] }, who: { reference: 'Practitioner/a' } };
    const provenance = {
      resourceType: 'Provenance',
      text: heartRate().text,
      target: [{ reference: 'Observation/o1' }],
      occurredDateTime: '2024-06-01T10:00:00Z',
      recorded: '2024-06-01T10:00:01Z',
      activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'CREATE' }] },
      agent: [author],
    };
    expect(profileErrors(provenance, 'provenance-relevant-history')).toEqual([]);
    const twoAuthors = profileErrors({ ...provenance, agent: [author, author] }, 'provenance-relevant-history');
    expect(twoAuthors.map((i) => i.diagnostics)).toEqual([expect.stringContaining('slice Author')]);
    expect(twoAuthors[0].diagnostics).toContain('maximum allowed = 1');
  });

  it('devicemetricobservation requires the device and narrows its target to DeviceMetric', () => {
    const reading = heartRate();
    const missing = profileErrors(reading, 'devicemetricobservation');
    expect(missing.map((i) => i.expression?.[0])).toEqual(['Observation.device']);
    expect(profileErrors({ ...reading, device: { reference: 'DeviceMetric/m1' } }, 'devicemetricobservation')).toEqual([]);
    const device = profileErrors({ ...reading, device: { reference: 'Device/d1' } }, 'devicemetricobservation');
    expect(device.map((i) => i.expression?.[0])).toEqual(['Observation.device.reference']);
  });
});

describe('heart rate profile', () => {
  it('accepts a valid heart-rate Observation', () => {
    expect(profileErrors(heartRate(), 'heartrate')).toEqual([]);
  });

  it('rejects a wrong LOINC code with a message naming the slice and the expected code', () => {
    const issues = profileErrors(heartRate({ code: { coding: [{ system: LOINC, code: '8310-5' }] } }), 'heartrate');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'required', kind: 'rule', expression: ['Observation.code.coding'] });
    expect(issues[0].diagnostics).toContain('HeartRateCode');
    expect(issues[0].diagnostics).toContain('8867-4');
    expect(issues[0].diagnostics).toContain('profile heartrate');
  });

  it('rejects a wrong unit with the fixed value and the value found', () => {
    const issues = profileErrors(heartRate({ valueQuantity: { value: 72, unit: 'bpm', system: UCUM, code: 'bpm' } }), 'heartrate');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'value', kind: 'rule', expression: ['Observation.value.ofType(Quantity).code'] });
    expect(issues[0].diagnostics).toContain('"/min"');
    expect(issues[0].diagnostics).toContain('"bpm"');
  });

  it('requires the vital-signs category, subject, effective time and a Quantity value', () => {
    const { category, subject, effectiveDateTime, ...bare } = heartRate({ valueString: '72' });
    expect([category, subject, effectiveDateTime].every(Boolean)).toBe(true);
    delete (bare as Record<string, unknown>).valueQuantity;
    const issues = profileErrors(bare, 'heartrate');
    const at = issues.map((i) => i.expression?.[0]);
    expect(at).toContain('Observation.category');
    expect(at).toContain('Observation.subject');
    expect(at).toContain('Observation.effective[x]');
    expect(at).toContain('Observation.value.ofType(string)');
    expect(issues.every((i) => i.kind === 'rule')).toBe(true);
  });

  it('checks the profile-narrowed reference target (subject must be a Patient)', () => {
    const issues = profileErrors(heartRate({ subject: { reference: 'Group/g1' } }), 'heartrate');
    expect(issues.map((i) => i.expression?.[0])).toEqual(['Observation.subject.reference']);
    // The base definition allows Group, so only the profile objects.
    expect(errors(validateResource(heartRate({ subject: { reference: 'Group/g1' } })))).toEqual([]);
  });

  it('evaluates the invariants the profile adds (vs-1: at least a day precision)', () => {
    const issues = profileErrors(heartRate({ effectiveDateTime: '2024' }), 'heartrate');
    expect(issues).toHaveLength(1);
    expect(issues[0].diagnostics).toContain('vs-1');
    expect(issues[0].expression).toEqual(['Observation.effective.ofType(dateTime)']);
  });

  it('is applied when the resource claims it in meta.profile, without being asked', () => {
    const claimed = heartRate({ meta: { profile: [`${SD}heartrate`] }, valueQuantity: { value: 72, unit: '%', system: UCUM, code: '%' } });
    const issues = errors(validateResource(claimed));
    expect(issues.map((i) => i.expression?.[0])).toEqual(['Observation.value.ofType(Quantity).code']);
  });

  it('notes claims of unknown profiles as information only', () => {
    const issues = validateResource(heartRate({ meta: { profile: ['http://example.org/StructureDefinition/mine'] } }));
    expect(errors(issues)).toEqual([]);
    expect(issues.filter((i) => i.severity === 'information')).toEqual([
      expect.objectContaining({ code: 'not-supported', expression: ['Observation.meta.profile[0]'] }),
    ]);
  });

  it('reports a profile for another resource type', () => {
    const issues = profileErrors({ resourceType: 'Patient' }, 'heartrate');
    expect(issues).toHaveLength(1);
    expect(issues[0].diagnostics).toContain('applies to Observation');
  });
});

describe('blood pressure profile', () => {
  it('accepts systolic and diastolic components', () => {
    expect(profileErrors(bloodPressure([systolic, diastolic]), 'bp')).toEqual([]);
  });

  it('rejects a blood pressure without components', () => {
    const { component, ...none } = bloodPressure([]);
    expect(component).toEqual([]);
    const issues = profileErrors(none, 'bp');
    const messages = issues.map((i) => i.diagnostics).join('\n');
    expect(messages).toContain('Observation.component: minimum required = 2, but only found 0');
    expect(messages).toContain('slice SystolicBP');
    expect(messages).toContain('slice DiastolicBP');
    expect(issues.every((i) => i.kind === 'rule')).toBe(true);
  });

  it('rejects a missing diastolic component and a wrong component unit', () => {
    const wrongUnit = { ...systolic, valueQuantity: { ...systolic.valueQuantity, code: 'kPa' } };
    const issues = profileErrors(bloodPressure([wrongUnit]), 'bp');
    const at = issues.map((i) => `${i.expression?.[0]} ${i.diagnostics}`);
    expect(at.some((line) => line.startsWith('Observation.component[0].value.ofType(Quantity).code') && line.includes('"mm[Hg]"'))).toBe(true);
    expect(at.some((line) => line.includes('slice DiastolicBP') && line.includes('minimum required = 1'))).toBe(true);
  });

  it('does not allow a value on the panel itself', () => {
    const issues = profileErrors({ ...bloodPressure([systolic, diastolic]), valueQuantity: systolic.valueQuantity }, 'bp');
    expect(issues).toHaveLength(1);
    expect(issues[0].diagnostics).toContain('maximum allowed = 0');
  });
});

describe('other vital signs', () => {
  it('checks profile-required bindings (body weight units)', () => {
    const weight = heartRate({ code: { coding: [{ system: LOINC, code: '29463-7' }] }, valueQuantity: { value: 70, unit: 'kg', system: UCUM, code: 'kg' } });
    expect(profileErrors(weight, 'bodyweight')).toEqual([]);
    const stones = { ...weight, valueQuantity: { value: 11, unit: 'st', system: UCUM, code: '[stone_av]' } };
    const issues = profileErrors(stones, 'bodyweight');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'code-invalid', kind: 'rule' });
    expect(issues[0].diagnostics).toContain('ucum-bodyweight');
  });

  it('treats mustSupport as documentation, not as a requirement', () => {
    // valueQuantity.comparator is not mustSupport-required; interpretation etc. are optional.
    expect(profileErrors(heartRate({ interpretation: [{ text: 'normal' }] }), 'heartrate')).toEqual([]);
  });

  it('validates the vital-sign examples of the specification against their own profile', async () => {
    const { readDefinitionFile } = await import('../../conformance/definition-package.ts');
    const { parseJson } = await import('../../server/fhir/json/index.ts');
    const cases: Record<string, string> = {
      'Observation-heart-rate.json': 'heartrate',
      'Observation-blood-pressure.json': 'bp',
      'Observation-satO2.json': 'oxygensat',
      'Observation-respiratory-rate.json': 'resprate',
      'Observation-body-temperature.json': 'bodytemp',
      'Observation-body-height.json': 'bodyheight',
      'Observation-bmi.json': 'bmi',
      'Observation-head-circumference.json': 'headcircum',
      'Observation-vitals-panel.json': 'vitalspanel',
    };
    for (const [file, profile] of Object.entries(cases)) {
      expect([file, profileErrors(parseJson(readDefinitionFile(file)), profile)]).toEqual([file, []]);
    }
    // And a heart rate is not a body temperature.
    expect(profileErrors(parseJson(readDefinitionFile('Observation-heart-rate.json')), 'bodytemp').length).toBeGreaterThan(0);
  });
});

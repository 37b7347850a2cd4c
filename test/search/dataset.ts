import type { TestServer } from '../helpers/test-server.ts';

/**
 * A small, hand-built data set for search tests: every expected result in the tests is written
 * by hand from what is below, not computed by the server.
 */
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const vital = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }];

const resources: Array<Record<string, any>> = [
  { resourceType: 'Organization', id: 'org1', name: 'Mount Auburn Hospital', identifier: [{ system: 'urn:org', value: 'MAH' }] },
  { resourceType: 'Practitioner', id: 'pr1', name: [{ family: 'House', given: ['Gregory'] }] },
  {
    resourceType: 'Patient', id: 'p1', gender: 'male', birthDate: '1974-12-25', active: true,
    name: [{ use: 'official', family: 'Chalmers', given: ['Peter', 'James'] }],
    identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'urn:mrn', value: '12345' }],
    address: [{ city: 'PleasantVille', state: 'Vic', postalCode: '3999' }],
    telecom: [{ system: 'phone', value: '555-0101' }],
    managingOrganization: { reference: 'Organization/org1' },
    meta: { tag: [{ system: 'urn:tags', code: 'study-a' }], profile: ['http://example.org/StructureDefinition/my-patient'], security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }], source: 'urn:source:device-gateway' },
  },
  { resourceType: 'Patient', id: 'p2', gender: 'female', birthDate: '1980-06-15', name: [{ family: 'Müller', given: ['Ana'] }], identifier: [{ system: 'urn:mrn', value: '67890' }], managingOrganization: { reference: 'Organization/org1' } },
  { resourceType: 'Patient', id: 'p3', gender: 'female', birthDate: '2001', deceasedBoolean: true, name: [{ family: 'Chalmers', given: ['Jane'] }] },
  { resourceType: 'Encounter', id: 'e1', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: 'Patient/p1' }, serviceProvider: { reference: 'Organization/org1' }, period: { start: '2024-01-01T09:00:00Z', end: '2024-01-01T11:00:00Z' } },
  { resourceType: 'Encounter', id: 'e2', status: 'in-progress', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER' }, subject: { reference: 'Patient/p2' }, period: { start: '2024-02-01T00:00:00Z' } },
  { resourceType: 'Encounter', id: 'e3', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'ACUTE' }, subject: { reference: 'Patient/p3' } },
  {
    resourceType: 'Observation', id: 'hr1', status: 'final', category: vital, code: { coding: [{ system: LOINC, code: '8867-4', display: 'Heart rate' }], text: 'Heart rate' },
    subject: { reference: 'Patient/p1' }, encounter: { reference: 'Encounter/e1' }, performer: [{ reference: 'Practitioner/pr1' }],
    effectiveDateTime: '2024-01-01T10:00:00Z', valueQuantity: { value: 72, unit: '/min', system: UCUM, code: '/min' },
  },
  {
    resourceType: 'Observation', id: 'hr2', status: 'final', category: vital, code: { coding: [{ system: LOINC, code: '8867-4' }, { system: 'urn:iso:std:iso:11073:10101', code: '147842' }] },
    subject: { reference: 'Patient/p1' }, effectiveDateTime: '2024-01-02T10:00:00Z', valueQuantity: { value: 120, unit: '/min', system: UCUM, code: '/min' },
  },
  {
    resourceType: 'Observation', id: 'hr3', status: 'preliminary', category: vital, code: { coding: [{ system: LOINC, code: '8867-4' }] },
    subject: { reference: 'Patient/p2' }, effectiveDateTime: '2024-02-01T08:30:00Z', valueQuantity: { value: 88, unit: '/min', system: UCUM, code: '/min' },
  },
  {
    resourceType: 'Observation', id: 'temp1', status: 'final', category: vital, code: { coding: [{ system: LOINC, code: '8310-5' }] },
    subject: { reference: 'Patient/p1' }, effectiveDateTime: '2024-01-01', valueQuantity: { value: 37.5, unit: 'C', system: UCUM, code: 'Cel' },
  },
  {
    resourceType: 'Observation', id: 'temp2', status: 'final', category: vital, code: { coding: [{ system: LOINC, code: '8310-5' }] },
    subject: { reference: 'Patient/p2' }, effectiveDateTime: '2024-02-01T12:00:00Z', valueQuantity: { value: 99.5, unit: 'F', system: UCUM, code: '[degF]' },
  },
  {
    resourceType: 'Observation', id: 'bp1', status: 'final', category: vital, code: { coding: [{ system: LOINC, code: '85354-9' }] },
    subject: { reference: 'Patient/p1' }, effectivePeriod: { start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z' },
    component: [
      { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: 140, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
      { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 90, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
    ],
  },
  {
    resourceType: 'Observation', id: 'bp2', status: 'final', category: vital, code: { coding: [{ system: LOINC, code: '85354-9' }] },
    subject: { reference: 'Patient/p2' }, effectiveDateTime: '2024-02-01T08:00:00Z',
    component: [
      { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: 16, unit: 'kPa', system: UCUM, code: 'kPa' } },
      { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 140, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
    ],
  },
  {
    resourceType: 'Observation', id: 'lab1', status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    code: { coding: [{ system: LOINC, code: '2339-0' }], text: 'Glucose' }, subject: { reference: 'Patient/p3' }, effectiveDateTime: '2023-06',
    valueQuantity: { value: 1.50, unit: 'g/L', system: UCUM, code: 'g/L' },
  },
  { resourceType: 'Observation', id: 'note1', status: 'final', code: { text: 'Mood' }, subject: { reference: 'Patient/p3' }, valueString: 'Feeling fine' },
  { resourceType: 'Condition', id: 'c1', subject: { reference: 'Patient/p1' }, code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertension' }] }, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] } },
  { resourceType: 'RiskAssessment', id: 'ra1', status: 'final', subject: { reference: 'Patient/p1' }, prediction: [{ probabilityDecimal: 0.25 }] },
  { resourceType: 'RiskAssessment', id: 'ra2', status: 'final', subject: { reference: 'Patient/p2' }, prediction: [{ probabilityDecimal: 0.8 }] },
  { resourceType: 'List', id: 'l1', status: 'current', mode: 'working', entry: [{ item: { reference: 'Patient/p1' } }, { item: { reference: 'Patient/p3' } }] },
  {
    resourceType: 'ValueSet', id: 'vs-hr-temp', url: 'http://example.org/ValueSet/hr-and-temp', status: 'active',
    compose: { include: [{ system: LOINC, concept: [{ code: '8867-4' }, { code: '8310-5' }] }] },
  },
];

export const SEARCH_DATASET = {
  resourceType: 'Bundle',
  type: 'transaction',
  entry: resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
};

export async function loadSearchDataset(server: TestServer): Promise<void> {
  const reply = await server.fhir('POST', '', SEARCH_DATASET);
  if (reply.status !== 200) throw new Error(`could not load the search dataset: ${reply.text.slice(0, 500)}`);
}

/** Ids of a search result's matches, sorted (for order-insensitive comparison). */
export function ids(reply: { json: any }): string[] {
  return (reply.json?.entry ?? []).filter((e: any) => e.search?.mode === 'match').map((e: any) => e.resource.id).sort();
}

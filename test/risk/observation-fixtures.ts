/** Small builders for the FHIR resources the risk tests feed to feature extraction. */
type Json = Record<string, unknown>;

let counter = 0;

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';

export interface ObsOptions {
  id?: string;
  version?: string;
  status?: string;
  extra?: Json;
}

function base(code: string | string[], time: string, o: ObsOptions): Json {
  const codes = Array.isArray(code) ? code : [code];
  return {
    resourceType: 'Observation',
    id: o.id ?? `obs-${++counter}`,
    meta: { versionId: o.version ?? '1', lastUpdated: time },
    status: o.status ?? 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: codes.map((c) => ({ system: LOINC, code: c })) },
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: time,
    ...o.extra,
  };
}

export function quantityObs(code: string | string[], value: number, unit: string, time: string, o: ObsOptions = {}): Json {
  return { ...base(code, time, o), valueQuantity: { value, unit, system: UCUM, code: unit } };
}

export function codedObs(code: string, answer: string, time: string, o: ObsOptions = {}): Json {
  return { ...base(code, time, o), valueCodeableConcept: { coding: [{ system: LOINC, code: answer }] } };
}

export function bpPanel(systolic: number, diastolic: number, time: string, o: ObsOptions = {}): Json {
  return {
    ...base('85354-9', time, o),
    component: [
      { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: systolic, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' } },
      { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: diastolic, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' } },
    ],
  };
}

/** A complete, normal NEWS2 set (score 0) at `time`, on air. */
export function normalVitals(time: string): Json[] {
  return [
    quantityObs('9279-1', 16, '/min', time, { id: 'rr' }),
    quantityObs(['2708-6', '59408-5'], 97, '%', time, { id: 'spo2' }),
    quantityObs('3151-8', 0, 'L/min', time, { id: 'o2' }),
    bpPanel(125, 80, time, { id: 'bp' }),
    quantityObs('8867-4', 72, '/min', time, { id: 'hr' }),
    codedObs('67775-7', 'LA9340-6', time, { id: 'acvpu' }),
    quantityObs('8310-5', 37, 'Cel', time, { id: 'temp' }),
  ];
}

export function patient(gender: 'female' | 'male' | 'other', birthDate: string): Json {
  return { resourceType: 'Patient', id: 'p1', meta: { versionId: '3' }, gender, birthDate };
}

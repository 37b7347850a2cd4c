/** Vital-sign Observations as a client would PUT them, for the server-level risk tests. */
type Json = Record<string, any>;

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const VITAL = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }];

function vital(id: string, patient: string, code: string, time: string, value: Json): Json {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    category: VITAL,
    code: { coding: [{ system: LOINC, code }] },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: time,
    ...value,
  };
}

const qty = (value: number, unit: string) => ({ valueQuantity: { value, unit, system: UCUM, code: unit } });

export interface VitalValues {
  rr: number;
  spo2: number;
  o2: number;
  sbp: number;
  hr: number;
  acvpu: string;
  temp: number;
}

export const NORMAL: VitalValues = { rr: 16, spo2: 97, o2: 0, sbp: 125, hr: 72, acvpu: 'LA9340-6', temp: 37 };

/** The seven NEWS2 inputs for `patient` at `time`, ids `<prefix>-<input>`. */
export function vitalSet(patient: string, prefix: string, time: string, v: VitalValues = NORMAL): Json[] {
  return [
    vital(`${prefix}-rr`, patient, '9279-1', time, qty(v.rr, '/min')),
    vital(`${prefix}-spo2`, patient, '59408-5', time, qty(v.spo2, '%')),
    vital(`${prefix}-o2`, patient, '3151-8', time, qty(v.o2, 'L/min')),
    {
      ...vital(`${prefix}-bp`, patient, '85354-9', time, {}),
      component: [
        { code: { coding: [{ system: LOINC, code: '8480-6' }] }, ...qty(v.sbp, 'mm[Hg]') },
        { code: { coding: [{ system: LOINC, code: '8462-4' }] }, ...qty(80, 'mm[Hg]') },
      ],
    },
    vital(`${prefix}-hr`, patient, '8867-4', time, qty(v.hr, '/min')),
    vital(`${prefix}-acvpu`, patient, '67775-7', time, { valueCodeableConcept: { coding: [{ system: LOINC, code: v.acvpu }] } }),
    vital(`${prefix}-temp`, patient, '8310-5', time, qty(v.temp, 'Cel')),
  ];
}

export function heartRate(id: string, patient: string, time: string, bpm: number): Json {
  return vital(id, patient, '8867-4', time, qty(bpm, '/min'));
}

/** A transaction bundle that PUTs each resource at its id. */
export function putBundle(resources: Json[]): Json {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
  };
}

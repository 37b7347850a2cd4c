import { createRequire } from 'node:module';

/** IEEE 11073-10101 nomenclature subset (codes, reference ids, LOINC vital and UCUM unit mappings); see mdc-subset.json. */
export const MDC_SYSTEM = 'urn:iso:std:iso:11073:10101';

export interface MdcObservationCode {
  code: string;
  refid: string;
  /** Key of the LOINC vital-sign entry (terminology/loinc.ts) this code maps to. */
  vital?: string;
  /** For blood-pressure parts: systolic | diastolic | mean. */
  component?: string;
}

export interface MdcUnit {
  code: string;
  refid: string;
  ucum: string;
}

const require = createRequire(import.meta.url);
const data = require('./mdc-subset.json') as { observations: MdcObservationCode[]; devices: MdcObservationCode[]; units: MdcUnit[] };

const observations = new Map<string, MdcObservationCode>();
for (const entry of [...data.observations, ...data.devices]) {
  observations.set(entry.code, entry);
  observations.set(entry.refid, entry);
}
const units = new Map<string, MdcUnit>();
for (const unit of data.units) {
  units.set(unit.code, unit);
  units.set(unit.refid, unit);
}

/** Looks a code up by its decimal 32-bit value or its reference id (MDC_…). */
export function mdcCode(codeOrRefid: string): MdcObservationCode | undefined {
  return observations.get(codeOrRefid);
}

export function mdcUnit(codeOrRefid: string): MdcUnit | undefined {
  return units.get(codeOrRefid);
}

/** The MDC observation code for a vital (and BP component), preferring the first listed. */
export function mdcForVital(vital: string, component?: string): MdcObservationCode | undefined {
  return data.observations.find((entry) => entry.vital === vital && entry.component === component);
}

/** 32-bit MDC code from partition and 16-bit term code (nomenclature codes on the wire are 16-bit). */
export function mdcFromPartition(partition: number, term: number): string {
  return String(partition * 65536 + term);
}

export function mdcCoding(entry: MdcObservationCode) {
  return { system: MDC_SYSTEM, code: entry.code, display: entry.refid };
}

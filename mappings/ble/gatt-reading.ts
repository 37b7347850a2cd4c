import { mdcCode, mdcCoding } from '../../terminology/mdc.ts';
import type { Coding, MeasurementValue } from '../measurement.ts';
import type { IeeeFloat } from './ieee-float.ts';
import type { GattDateTime } from './gatt-reader.ts';

/** One reading decoded from a characteristic value, before timestamps and identity are applied. */
export interface GattReading {
  /** Vital-sign key (terminology/loinc.ts). */
  type: string;
  values: MeasurementValue[];
  codes?: Coding[];
  /** Device wall-clock time carried in the value (no offset on the wire). */
  time?: GattDateTime;
  /** Glucose: minutes to add to the base time. */
  timeOffsetMinutes?: number;
  /** Device says its clock was not set: its time cannot be trusted. */
  clockNotSet?: boolean;
  flags?: string[];
  bodySite?: string;
  note?: string;
  testData?: boolean;
}

export function mdc(refid: string): Coding[] {
  const entry = mdcCode(refid);
  if (!entry) throw new Error(`MDC code ${refid} missing from terminology/mdc-subset.json`);
  return [mdcCoding(entry)];
}

/** Measurement value from a decoded SFLOAT/FLOAT: the number with its precision, or a data-absent reason. */
export function floatValue(name: string, decoded: IeeeFloat, unit: string, path: string, codes?: Coding[]): MeasurementValue {
  const value: MeasurementValue = 'absent' in decoded ? { name, absent: decoded.absent, unit, path } : { name, value: decoded.value, unit, path };
  if (codes) value.codes = codes;
  return value;
}

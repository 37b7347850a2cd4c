import { decimalFromMantissa } from '../decimal-text.ts';
import type { MeasurementValue } from '../measurement.ts';
import type { GattReader } from './gatt-reader.ts';
import { mdc, type GattReading } from './gatt-reading.ts';

const SAMPLE_TYPES: Record<number, string> = {
  1: 'Capillary Whole blood',
  2: 'Capillary Plasma',
  3: 'Venous Whole blood',
  4: 'Venous Plasma',
  5: 'Arterial Whole blood',
  6: 'Arterial Plasma',
  7: 'Undetermined Whole blood',
  8: 'Undetermined Plasma',
  9: 'Interstitial Fluid (ISF)',
  10: 'Control Solution',
};

const SAMPLE_LOCATIONS: Record<number, string> = { 1: 'Finger', 2: 'Alternate Site Test (AST)', 3: 'Earlobe', 4: 'Control solution' };

/**
 * 0x2A18 Glucose Measurement. Flags: bit 0 time offset, 1 concentration + type/location, 2 mol/L
 * (else kg/L), 3 sensor status annunciation, 4 context follows. Fields: sequence uint16, base
 * Date_Time, [time offset sint16 minutes], [concentration SFLOAT, type (low nibble) / location
 * (high nibble)], [status uint16]. kg/L × 10⁵ = mg/dL and mol/L × 10³ = mmol/L are applied to the
 * exponent, so the device's precision survives. Capillary whole blood maps to LOINC 41653-7
 * (glucometer) with MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD; ISF to the CGM code; control solution is
 * flagged as test data.
 */
export function decodeGlucoseMeasurement(reader: GattReader): GattReading[] {
  const flags = reader.uint8('flags');
  const sequence = reader.uint16('sequence number');
  const time = reader.dateTime('base time');
  const reading: GattReading = { type: 'blood-glucose', time, values: [] };
  if (flags & 0x01) reading.timeOffsetMinutes = reader.sint16('time offset');
  if (flags & 0x02) {
    const at = reader.position;
    const concentration = reader.sfloat('glucose concentration');
    const path = reader.range(at);
    const molar = (flags & 0x04) !== 0;
    const typeLocation = reader.uint8('type-sample location');
    const type = typeLocation & 0x0f;
    const location = typeLocation >> 4;
    let value: MeasurementValue;
    if ('absent' in concentration) value = { name: 'value', absent: concentration.absent, unit: molar ? 'mmol/L' : 'mg/dL', path };
    else value = { name: 'value', value: decimalFromMantissa(concentration.mantissa, concentration.exponent + (molar ? 3 : 5)), unit: molar ? 'mmol/L' : 'mg/dL', path };
    reading.values.push(value);
    if (type === 1) {
      reading.type = 'blood-glucose-capillary';
      reading.codes = mdc('MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD');
    } else if (type === 8) reading.codes = mdc('MDC_CONC_GLU_UNDETERMINED_PLASMA');
    else if (type === 9) reading.type = 'cgm-glucose';
    if (type === 10) {
      reading.testData = true;
      reading.flags = ['test-data'];
    }
    const parts = [SAMPLE_TYPES[type], SAMPLE_LOCATIONS[location]].filter(Boolean);
    if (parts.length > 0) reading.note = `Sample: ${parts.join(', ')}`;
  }
  if (flags & 0x08) {
    const status = reader.uint16('sensor status annunciation');
    if (status !== 0) reading.flags = [...(reading.flags ?? []), 'questionable'];
  }
  reading.values.push({ name: 'sequenceNumber', value: sequence });
  return reading.values.some((value) => value.name === 'value') ? [reading] : [];
}

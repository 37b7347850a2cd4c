import type { GattReader } from './gatt-reader.ts';
import { floatValue, mdc, type GattReading } from './gatt-reading.ts';

/** Temperature Type characteristic values (GATT 0x2A1D), used as body-site text. */
const TEMPERATURE_TYPES: Record<number, string> = {
  1: 'Armpit',
  2: 'Body (general)',
  3: 'Ear (usually earlobe)',
  4: 'Finger',
  5: 'Gastro-intestinal tract',
  6: 'Mouth',
  7: 'Rectum',
  8: 'Toe (usually)',
  9: 'Tympanum (ear drum)',
};

/**
 * 0x2A1C Temperature Measurement. Flags: bit 0 Fahrenheit (else Celsius), 1 time stamp, 2
 * temperature type. Fields: FLOAT, [Date_Time], [type uint8].
 */
export function decodeTemperatureMeasurement(reader: GattReader): GattReading[] {
  const flags = reader.uint8('flags');
  const at = reader.position;
  const unit = flags & 0x01 ? '[degF]' : 'Cel';
  const reading: GattReading = { type: 'body-temperature', codes: mdc('MDC_TEMP_BODY'), values: [floatValue('value', reader.float('temperature'), unit, reader.range(at))] };
  if (flags & 0x02) reading.time = reader.dateTime('time stamp');
  if (flags & 0x04) {
    const type = reader.uint8('temperature type');
    const site = TEMPERATURE_TYPES[type];
    if (site) reading.bodySite = site;
  }
  return [reading];
}

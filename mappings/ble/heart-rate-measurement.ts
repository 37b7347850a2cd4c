import type { GattReader } from './gatt-reader.ts';
import { mdc, type GattReading } from './gatt-reading.ts';

/**
 * 0x2A37 Heart Rate Measurement. Flags: bit 0 HR as uint16 (else uint8); bits 1–2 sensor contact
 * (2 = supported but no contact, 3 = contact); bit 3 Energy Expended (uint16 kJ) present; bit 4
 * RR-intervals (uint16, 1/1024 s) fill the rest. No timestamp on the wire. The MDC code is
 * MDC_ECG_HEART_RATE: the Heart Rate Service is specified for electrode (ECG) sensors.
 */
export function decodeHeartRateMeasurement(reader: GattReader): GattReading[] {
  const flags = reader.uint8('flags');
  const start = reader.position;
  const heartRate = flags & 0x01 ? reader.uint16('heart rate (uint16)') : reader.uint8('heart rate (uint8)');
  const reading: GattReading = { type: 'heart-rate', codes: mdc('MDC_ECG_HEART_RATE'), values: [{ name: 'value', value: heartRate, unit: '/min', path: reader.range(start) }] };
  const contact = (flags >> 1) & 0x03;
  if (contact === 2) {
    reading.flags = ['questionable'];
    reading.note = 'Sensor contact not detected';
  }
  if (flags & 0x08) {
    const at = reader.position;
    reading.values.push({ name: 'energyExpended', value: reader.uint16('energy expended'), unit: 'kJ', path: reader.range(at) });
  }
  if (flags & 0x10) {
    const at = reader.position;
    const intervals: number[] = [];
    if (reader.remaining < 2) reader.uint16('RR-interval');
    while (reader.remaining >= 2) intervals.push(reader.uint16('RR-interval'));
    reading.values.push({ name: 'rrIntervals1024', value: intervals.join(' '), unit: '1/1024 s', path: reader.range(at) });
  }
  return [reading];
}

import type { GattReader } from './gatt-reader.ts';
import { floatValue, mdc, type GattReading } from './gatt-reading.ts';

const STATUS_TEXT: [number, string][] = [
  [0x0001, 'Body movement during measurement'],
  [0x0002, 'Cuff too loose'],
  [0x0004, 'Irregular pulse detected'],
  [0x0020, 'Improper measurement position'],
];

/**
 * 0x2A35 Blood Pressure Measurement. Flags: bit 0 kPa (else mmHg), 1 time stamp, 2 pulse rate,
 * 3 user id, 4 measurement status. Fields: systolic, diastolic, MAP (SFLOAT), [Date_Time],
 * [pulse SFLOAT], [user uint8, 0xFF unknown], [status uint16]. The pulse becomes its own heart-rate
 * reading (MDC_PULS_RATE_NON_INV); status bits make the reading questionable with a note.
 */
export function decodeBloodPressureMeasurement(reader: GattReader): GattReading[] {
  const flags = reader.uint8('flags');
  const unit = flags & 0x01 ? 'kPa' : 'mm[Hg]';
  let at = reader.position;
  const systolic = floatValue('systolic', reader.sfloat('systolic'), unit, reader.range(at), mdc('MDC_PRESS_BLD_NONINV_SYS'));
  at = reader.position;
  const diastolic = floatValue('diastolic', reader.sfloat('diastolic'), unit, reader.range(at), mdc('MDC_PRESS_BLD_NONINV_DIA'));
  at = reader.position;
  const mean = floatValue('mean', reader.sfloat('mean arterial pressure'), unit, reader.range(at), mdc('MDC_PRESS_BLD_NONINV_MEAN'));
  const bp: GattReading = { type: 'blood-pressure', codes: mdc('MDC_PRESS_BLD_NONINV'), values: [systolic, diastolic, mean] };
  const readings = [bp];
  if (flags & 0x02) bp.time = reader.dateTime('time stamp');
  if (flags & 0x04) {
    at = reader.position;
    readings.push({ type: 'heart-rate', codes: mdc('MDC_PULS_RATE_NON_INV'), values: [floatValue('value', reader.sfloat('pulse rate'), '/min', reader.range(at))], time: bp.time });
  }
  if (flags & 0x08) {
    const user = reader.uint8('user id');
    if (user !== 0xff) bp.values.push({ name: 'userId', value: user });
  }
  if (flags & 0x10) {
    const status = reader.uint16('measurement status');
    const notes = STATUS_TEXT.filter(([bit]) => status & bit).map(([, text]) => text);
    const pulseRange = (status >> 3) & 0x03;
    if (pulseRange === 1) notes.push('Pulse rate exceeds upper limit');
    if (pulseRange === 2) notes.push('Pulse rate is less than lower limit');
    if (notes.length > 0) {
      for (const reading of readings) {
        reading.flags = ['questionable'];
        reading.note = notes.join('; ');
      }
    }
  }
  return readings;
}

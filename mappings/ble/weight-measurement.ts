import { decimalFromMantissa } from '../decimal-text.ts';
import type { GattReader } from './gatt-reader.ts';
import { mdc, type GattReading } from './gatt-reading.ts';

/**
 * 0x2A9D Weight Measurement. Flags: bit 0 imperial, 1 time stamp, 2 user id, 3 BMI *and* height
 * (one flag for both, as in the current GATT specification and bluetooth-sig-python; older code
 * used separate bits). Weight is uint16 at the fixed resolution 0.005 kg / 0.01 lb — we follow
 * the field definition, not the Weight Scale Feature resolution SpeziBluetooth applies. Height is
 * uint16 at 0.001 m / 0.1 in, written in cm / [in_i] (the units the vital-signs profile allows).
 * 0xFFFF weight means "measurement unsuccessful".
 */
export function decodeWeightMeasurement(reader: GattReader): GattReading[] {
  const flags = reader.uint8('flags');
  const imperial = (flags & 0x01) !== 0;
  let at = reader.position;
  const raw = reader.uint16('weight');
  const weightPath = reader.range(at);
  const weight: GattReading = {
    type: 'body-weight',
    codes: mdc('MDC_MASS_BODY_ACTUAL'),
    values: [
      raw === 0xffff
        ? { name: 'value', absent: 'error', unit: imperial ? '[lb_av]' : 'kg', path: weightPath }
        : { name: 'value', value: imperial ? decimalFromMantissa(raw, -2) : decimalFromMantissa(raw * 5, -3), unit: imperial ? '[lb_av]' : 'kg', path: weightPath },
    ],
  };
  const readings = [weight];
  if (flags & 0x02) weight.time = reader.dateTime('time stamp');
  if (flags & 0x04) {
    const user = reader.uint8('user id');
    if (user !== 0xff) weight.values.push({ name: 'userId', value: user });
  }
  if (flags & 0x08) {
    at = reader.position;
    const bmi = reader.uint16('BMI');
    readings.push({ type: 'bmi', codes: mdc('MDC_RATIO_MASS_BODY_LEN_SQ'), time: weight.time, values: [{ name: 'value', value: decimalFromMantissa(bmi, -1), unit: 'kg/m2', path: reader.range(at) }] });
    at = reader.position;
    const height = reader.uint16('height');
    readings.push({
      type: 'body-height',
      codes: mdc('MDC_LEN_BODY_ACTUAL'),
      time: weight.time,
      // 0.001 m steps are 0.1 cm steps; 0.1 in steps stay inches.
      values: [{ name: 'value', value: decimalFromMantissa(height, -1), unit: imperial ? '[in_i]' : 'cm', path: reader.range(at) }],
    });
  }
  return readings;
}

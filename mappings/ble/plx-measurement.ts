import type { GattReader } from './gatt-reader.ts';
import { floatValue, mdc, type GattReading } from './gatt-reading.ts';

/** PLX Measurement Status bits → PHD/PoCD measurement-status codes. */
const STATUS_FLAGS: [number, string][] = [
  [1 << 5, 'msmt-ongoing'],
  [1 << 6, 'early-indication'],
  [1 << 7, 'validated-data'],
  [1 << 10, 'demo-data'],
  [1 << 11, 'test-data'],
  [1 << 12, 'calibration-ongoing'],
  [1 << 13, 'not-available'],
  [1 << 14, 'questionable'],
  [1 << 15, 'invalid'],
];

function applyStatus(readings: GattReading[], status: number): void {
  const flags = STATUS_FLAGS.filter(([bit]) => status & bit).map(([, code]) => code);
  if (flags.length === 0) return;
  for (const reading of readings) {
    reading.flags = flags;
    if (status & ((1 << 10) | (1 << 11))) reading.testData = true;
  }
}

function pair(reader: GattReader, label: string): GattReading[] {
  let at = reader.position;
  const spo2 = floatValue('value', reader.sfloat(`${label} SpO2`), '%', reader.range(at));
  at = reader.position;
  const pulse = floatValue('value', reader.sfloat(`${label} pulse rate`), '/min', reader.range(at));
  return [
    { type: 'oxygen-saturation', codes: mdc('MDC_PULS_OXIM_SAT_O2'), values: [spo2] },
    { type: 'heart-rate', codes: mdc('MDC_PULS_OXIM_PULS_RATE'), values: [pulse] },
  ];
}

/**
 * 0x2A5E PLX Spot-check Measurement. Flags: bit 0 time stamp, 1 measurement status, 2 device and
 * sensor status, 3 pulse amplitude index, 4 device clock not set. Fields: SpO2, PR (SFLOAT),
 * [Date_Time], [status uint16], [device status uint24], [PAI SFLOAT].
 */
export function decodePlxSpotCheck(reader: GattReader): GattReading[] {
  const flags = reader.uint8('flags');
  const readings = pair(reader, 'spot-check');
  if (flags & 0x01) {
    const time = reader.dateTime('time stamp');
    for (const reading of readings) reading.time = time;
  }
  if (flags & 0x02) applyStatus(readings, reader.uint16('measurement status'));
  if (flags & 0x04) reader.uint24('device and sensor status');
  if (flags & 0x08) {
    const at = reader.position;
    readings[0]!.values.push(floatValue('pulseAmplitudeIndex', reader.sfloat('pulse amplitude index'), '%', reader.range(at)));
  }
  if (flags & 0x10) for (const reading of readings) reading.clockNotSet = true;
  return readings;
}

/**
 * 0x2A5F PLX Continuous Measurement. Flags: bit 0 SpO2PR-Fast, 1 SpO2PR-Slow, 2 measurement
 * status, 3 device and sensor status, 4 pulse amplitude index. Fields: SpO2PR-Normal, [Fast],
 * [Slow], [status uint16], [device status uint24], [PAI]. The normal pair becomes Observations;
 * fast and slow averages are kept as extra measurement values. No time stamp on the wire.
 */
export function decodePlxContinuous(reader: GattReader): GattReading[] {
  const flags = reader.uint8('flags');
  const readings = pair(reader, 'normal');
  for (const [bit, label] of [[0x01, 'fast'], [0x02, 'slow']] as const) {
    if (!(flags & bit)) continue;
    const [spo2, pulse] = pair(reader, label);
    readings[0]!.values.push({ ...spo2!.values[0]!, name: `${label}Value` });
    readings[1]!.values.push({ ...pulse!.values[0]!, name: `${label}Value` });
  }
  if (flags & 0x04) applyStatus(readings, reader.uint16('measurement status'));
  if (flags & 0x08) reader.uint24('device and sensor status');
  if (flags & 0x10) {
    const at = reader.position;
    readings[0]!.values.push(floatValue('pulseAmplitudeIndex', reader.sfloat('pulse amplitude index'), '%', reader.range(at)));
  }
  return readings;
}

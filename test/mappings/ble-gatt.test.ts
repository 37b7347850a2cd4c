import { describe, expect, it } from 'vitest';
import { decodeFloat, decodeSfloat } from '../../mappings/ble/ieee-float.ts';
import { bleGattMapping, characteristicNumber } from '../../mappings/builtin/ble-gatt.ts';
import { mapPayload, type MappedPayload } from '../../mappings/map-payloads.ts';
import { FhirDecimal, stringifyJson } from '../../server/fhir/json/index.ts';
import { FIXTURES, PHD_EXAMPLES, readFixtureJson } from './fixture-paths.ts';

type Json = Record<string, any>;

const vectors = readFixtureJson(FIXTURES, 'derived/ble-gatt-test-vectors.json');

function hex(...bytes: number[]): string {
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
}

function map(characteristic: string, value: string, extra: Json = {}): MappedPayload {
  return mapPayload(bleGattMapping, { index: 0, format: 'json', body: { characteristic, value, deviceId: 'C0:FF:EE:00:00:01', timestamp: '2024-05-01T10:00:00+02:00', ...extra } });
}

function errors(result: MappedPayload) {
  return result.issues.filter((issue) => issue.severity === 'error');
}

function byCode(result: MappedPayload, loinc: string): Json | undefined {
  return result.observations.find((o: Json) => o.code.coding.some((c: Json) => c.code === loinc)) as Json | undefined;
}

/** Numeric value as written in JSON (precision included). */
function written(value: unknown): string {
  return value instanceof FhirDecimal ? value.text : stringifyJson(value);
}

describe('IEEE 11073 SFLOAT / FLOAT', () => {
  it('decodes the PHD IG vectors with their precision', () => {
    for (const vector of vectors.sfloat16 as Json[]) {
      const decoded = decodeSfloat(parseInt(vector.raw16, 16));
      if (vector.special) expect(decoded, vector.raw16).toMatchObject({ absent: vector.dataAbsentReason });
      else expect(written((decoded as Json).value), vector.raw16).toBe(vector.fhirValue);
    }
    for (const vector of vectors.float32 as Json[]) {
      const decoded = decodeFloat(parseInt(vector.raw32, 16));
      if (vector.special) expect(decoded, vector.raw32).toMatchObject({ absent: vector.dataAbsentReason });
      else expect(written((decoded as Json).value), vector.raw32).toBe(vector.fhirValue);
    }
  });

  it('keeps one decimal for 0xF16E (36.6) and trailing zeros as FhirDecimal', () => {
    // 0xF16E: exponent 0xF = -1, mantissa 0x16E = 366.
    const value = (decodeSfloat(0xf16e) as Json).value;
    expect(value).toBe(36.6);
    const twoZeros = (decodeSfloat(0xe0c8) as Json).value;
    expect(twoZeros).toBeInstanceOf(FhirDecimal);
    expect(stringifyJson({ value: twoZeros })).toBe('{"value":2.00}');
    // 0x0072: exponent 0, mantissa 114.
    expect((decodeSfloat(0x0072) as Json).value).toBe(114);
  });
});

describe('characteristic ids', () => {
  it('accepts 16-bit, 0x-prefixed and 128-bit base UUID forms', () => {
    expect(characteristicNumber('2A35')).toBe(0x2a35);
    expect(characteristicNumber('0x2a35')).toBe(0x2a35);
    expect(characteristicNumber('00002A35-0000-1000-8000-00805F9B34FB')).toBe(0x2a35);
    expect(characteristicNumber('12345678-0000-1000-8000-00805f9b34fb')).toBeUndefined();
  });
});

describe('0x2A37 Heart Rate Measurement, every flag combination', () => {
  for (let flags = 0; flags < 32; flags++) {
    it(`flags 0x${flags.toString(16).padStart(2, '0')}`, () => {
      const bytes = [flags, ...(flags & 0x01 ? [0x48, 0x00] : [0x48])];
      if (flags & 0x08) bytes.push(0x02, 0x01); // energy expended 258 kJ
      if (flags & 0x10) bytes.push(0x00, 0x04, 0x00, 0x02); // RR 1024/1024 s and 512/1024 s
      const result = map('2A37', hex(...bytes));
      expect(errors(result)).toEqual([]);
      const hr = byCode(result, '8867-4')!;
      expect(hr.valueQuantity).toEqual({ value: 72, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' });
      expect(hr.code.coding.map((c: Json) => c.code)).toEqual(['8867-4', '147842']);
      const values = Object.fromEntries(result.measurements[0]!.values.map((v) => [v.name, v.value]));
      expect(values.energyExpended).toBe(flags & 0x08 ? 258 : undefined);
      expect(values.rrIntervals1024).toBe(flags & 0x10 ? '1024 512' : undefined);
      const noContact = ((flags >> 1) & 0x03) === 2;
      expect(hr.interpretation?.[0].coding[0].code).toBe(noContact ? 'questionable' : undefined);
    });
  }

  it('decodes the Nordic reference vectors', () => {
    const result = map('2A37', '1F 01 01 32 01 01 00 02 01 FF FF');
    expect(byCode(result, '8867-4')!.valueQuantity.value).toBe(257);
    const values = Object.fromEntries(result.measurements[0]!.values.map((v) => [v.name, v.value]));
    expect(values.energyExpended).toBe(306);
    expect(values.rrIntervals1024).toBe('1 258 65535');
  });

  it('rejects a value whose flags announce more than it carries (Nordic onInvalidDataReceived)', () => {
    // 0x17: uint16 heart rate (01 01) and RR-intervals announced (bit 4), but no RR bytes follow.
    const result = map('2A37', '17 01 01');
    expect(result.observations).toEqual([]);
    expect(errors(result)[0]!.diagnostics).toMatch(/RR-interval expected at bytes 3\.\.4/);
    expect(errors(result)[0]!.location).toMatchObject({ source: 'payload', payloadIndex: 0, path: '$.value[3..4]' });
  });
});

describe('0x2A35 Blood Pressure Measurement, every flag combination', () => {
  for (let flags = 0; flags < 32; flags++) {
    it(`flags 0x${flags.toString(16).padStart(2, '0')}`, () => {
      const kPa = (flags & 0x01) !== 0;
      // mmHg 120 / 80 / 93 (exponent 0); kPa 16.0 / 10.7 / 12.4 (exponent -1: 0xF0A0, 0xF06B, 0xF07C).
      const bytes = [flags, ...(kPa ? [0xa0, 0xf0, 0x6b, 0xf0, 0x7c, 0xf0] : [0x78, 0x00, 0x50, 0x00, 0x5d, 0x00])];
      if (flags & 0x02) bytes.push(0xe8, 0x07, 0x03, 0x05, 0x06, 0x07, 0x08); // 2024-03-05 06:07:08
      if (flags & 0x04) bytes.push(0x48, 0x00); // pulse 72
      if (flags & 0x08) bytes.push(0x01); // user 1
      if (flags & 0x10) bytes.push(0x01, 0x00); // body movement
      const result = map('2A35', hex(...bytes));
      expect(errors(result)).toEqual([]);
      const bp = byCode(result, '85354-9')!;
      const component = (loinc: string) => bp.component.find((c: Json) => c.code.coding.some((k: Json) => k.code === loinc));
      // 16.0 kPa = 120.0 mm[Hg], 10.7 kPa = 80.3, 12.4 kPa = 93.0 (× 7.50062, one decimal as sent).
      expect(written(component('8480-6').valueQuantity.value)).toBe(kPa ? '120.0' : '120');
      expect(written(component('8462-4').valueQuantity.value)).toBe(kPa ? '80.3' : '80');
      expect(written(bp.component[2].valueQuantity.value)).toBe(kPa ? '93.0' : '93');
      expect(component('8480-6').valueQuantity.code).toBe('mm[Hg]');
      expect(bp.code.coding.map((c: Json) => c.code)).toEqual(['85354-9', '150020']);
      expect(bp.effectiveDateTime).toBe(flags & 0x02 ? '2024-03-05T06:07:08+02:00' : '2024-05-01T10:00:00+02:00');
      const pulse = byCode(result, '8867-4');
      expect(pulse?.valueQuantity.value).toBe(flags & 0x04 ? 72 : undefined);
      if (pulse) expect(pulse.code.coding[1].code).toBe('149546');
      expect(bp.interpretation?.[0].coding[0].code).toBe(flags & 0x10 ? 'questionable' : undefined);
      expect(bp.note?.[0].text).toBe(flags & 0x10 ? 'Body movement during measurement' : undefined);
    });
  }

  it('decodes the Nordic "full" vector (unknown year → gateway time) and its status bits', () => {
    const result = map('2A35', '1E 8A 00 58 00 78 00 00 00 04 11 14 29 3B 3C 00 01 27 00');
    const bp = byCode(result, '85354-9')!;
    expect(bp.component.map((c: Json) => c.valueQuantity.value)).toEqual([138, 88, 120]);
    expect(bp.effectiveDateTime).toBe('2024-05-01T10:00:00+02:00');
    expect(bp.note[0].text).toBe('Body movement during measurement; Cuff too loose; Irregular pulse detected; Improper measurement position');
    expect(result.issues.some((issue) => issue.severity === 'warning' && /device time unknown/.test(issue.diagnostics))).toBe(true);
  });

  it('turns special values into data-absent reasons like the PHD IG NaN example', () => {
    const result = map('2A35', hex(0x00, 0xff, 0x07, 0x00, 0x08, 0xfe, 0x07));
    const bp = byCode(result, '85354-9')!;
    const phd = readFixtureJson(PHD_EXAMPLES, 'numeric-observation-not-a-number.json');
    expect(bp.component[0].dataAbsentReason).toEqual(phd.dataAbsentReason);
    expect(bp.component[1].dataAbsentReason.coding[0].code).toBe('error');
    expect(bp.component[2].dataAbsentReason.coding[0].code).toBe('positive-infinity');
    expect(bp.component[0].valueQuantity).toBeUndefined();
  });

  it('codes the panel exactly like the PHD IG compound blood-pressure example', () => {
    const phd = readFixtureJson(PHD_EXAMPLES, 'compound-numeric-blood-pressure.json');
    const bp = byCode(map('2A35', hex(0x00, 0x74, 0x00, 0x47, 0x00, 0x56, 0x00)), '85354-9')!;
    const codes = (concept: Json) => new Set(concept.coding.map((c: Json) => `${c.system}|${c.code}`));
    expect(codes(bp.code)).toEqual(codes(phd.code));
    bp.component.forEach((component: Json, index: number) => {
      expect(codes(component.code)).toEqual(codes(phd.component[index].code));
      expect(component.valueQuantity.value).toBe(phd.component[index].valueQuantity.value);
      expect(component.valueQuantity.code).toBe(phd.component[index].valueQuantity.code);
    });
    expect(bp.category[0]).toMatchObject({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] });
  });
});

describe('0x2A1C Temperature Measurement, every flag combination', () => {
  for (let flags = 0; flags < 8; flags++) {
    it(`flags 0x${flags.toString(16).padStart(2, '0')}`, () => {
      const fahrenheit = (flags & 0x01) !== 0;
      // 36.6 °C = 366 × 10⁻¹ → 6E 01 00 FF; 97.9 °F = 979 × 10⁻¹ → D3 03 00 FF.
      const bytes = [flags, ...(fahrenheit ? [0xd3, 0x03, 0x00, 0xff] : [0x6e, 0x01, 0x00, 0xff])];
      if (flags & 0x02) bytes.push(0xe8, 0x07, 0x0c, 0x1f, 0x17, 0x3b, 0x3b); // 2024-12-31 23:59:59
      if (flags & 0x04) bytes.push(0x02); // body (general)
      const result = map('2A1C', hex(...bytes), { timestamp: undefined, receivedAt: undefined });
      expect(errors(result).map((e) => e.diagnostics)).toEqual(flags & 0x02 ? [] : ["Temperature Measurement carries no time stamp; 'timestamp' is required"]);
      if (!(flags & 0x02)) return;
      const temperature = byCode(result, '8310-5')!;
      expect(temperature.valueQuantity).toEqual(fahrenheit ? { value: 97.9, unit: '[degF]', system: 'http://unitsofmeasure.org', code: '[degF]' } : { value: 36.6, unit: 'C', system: 'http://unitsofmeasure.org', code: 'Cel' });
      expect(temperature.effectiveDateTime).toBe('2024-12-31T23:59:59Z');
      expect(temperature.bodySite?.text).toBe(flags & 0x04 ? 'Body (general)' : undefined);
    });
  }

  it('decodes the Nordic vector as 37.60 Cel at the finger, placed in the given time zone', () => {
    const result = mapPayload(bleGattMapping, { index: 0, format: 'json', body: { characteristic: '2A1C', value: '06 B0 0E 00 FE DC 07 0C 05 0B 32 1B 04', deviceId: 'thermo-7' }, context: { timeZone: 'Europe/Berlin' } });
    const temperature = byCode(result, '8310-5')!;
    expect(stringifyJson(temperature.valueQuantity)).toBe('{"value":37.60,"unit":"C","system":"http://unitsofmeasure.org","code":"Cel"}');
    expect(temperature.effectiveDateTime).toBe('2012-12-05T11:50:27+01:00');
    expect(temperature.bodySite.text).toBe('Finger');
    expect(temperature.device.identifier).toEqual({ system: 'urn:vitalchain:device-id', value: 'thermo-7' });
    const phd = readFixtureJson(PHD_EXAMPLES, 'temperature-observation.json');
    expect(temperature.code.coding.map((c: Json) => c.code)).toEqual(phd.code.coding.map((c: Json) => c.code).reverse());
  });
});

describe('0x2A9D Weight Measurement, every flag combination', () => {
  for (let flags = 0; flags < 16; flags++) {
    it(`flags 0x${flags.toString(16).padStart(2, '0')}`, () => {
      const imperial = (flags & 0x01) !== 0;
      // 14000 × 0.005 kg = 70.000 kg; 15432 × 0.01 lb = 154.32 lb.
      const bytes = [flags, ...(imperial ? [0x48, 0x3c] : [0xb0, 0x36])];
      if (flags & 0x02) bytes.push(0xe8, 0x07, 0x01, 0x02, 0x03, 0x04, 0x05);
      if (flags & 0x04) bytes.push(0x02);
      // BMI 241 × 0.1 = 24.1; height 1712 × 0.001 m = 171.2 cm, or 684 × 0.1 in = 68.4 in.
      if (flags & 0x08) bytes.push(0xf1, 0x00, ...(imperial ? [0xac, 0x02] : [0xb0, 0x06]));
      const result = map('2A9D', hex(...bytes));
      expect(errors(result)).toEqual([]);
      const weight = byCode(result, '29463-7')!;
      expect(written(weight.valueQuantity.value)).toBe(imperial ? '154.32' : '70.000');
      expect(weight.valueQuantity.code).toBe(imperial ? '[lb_av]' : 'kg');
      expect(byCode(result, '39156-5')?.valueQuantity.value).toBe(flags & 0x08 ? 24.1 : undefined);
      const height = byCode(result, '8302-2');
      expect(height?.valueQuantity.value).toBe(flags & 0x08 ? (imperial ? 68.4 : 171.2) : undefined);
      if (height) expect(height.valueQuantity.code).toBe(imperial ? '[in_i]' : 'cm');
      expect(weight.effectiveDateTime).toBe(flags & 0x02 ? '2024-01-02T03:04:05+02:00' : '2024-05-01T10:00:00+02:00');
    });
  }

  it('reads the bluetooth-sig-python vector 00 B0 36 as 70 kg at the fixed 0.005 kg resolution', () => {
    expect(byCode(map('2A9D', '00 B0 36'), '29463-7')!.valueQuantity.value.valueOf()).toBe(70);
  });
});

describe('0x2A18 Glucose Measurement, every flag combination', () => {
  for (let flags = 0; flags < 32; flags++) {
    it(`flags 0x${flags.toString(16).padStart(2, '0')}`, () => {
      const molar = (flags & 0x04) !== 0;
      const bytes = [flags, 0x01, 0x00, 0xe8, 0x07, 0x06, 0x0f, 0x08, 0x00, 0x00]; // seq 1, 2024-06-15 08:00:00
      if (flags & 0x01) bytes.push(0x0f, 0x00); // +15 minutes
      // 95 mg/dL = 95 × 10⁻⁵ kg/L → 0xB05F; 5.3 mmol/L = 53 × 10⁻⁴ mol/L → 0xC035; type 1 (capillary whole blood), location 1 (finger).
      if (flags & 0x02) bytes.push(...(molar ? [0x35, 0xc0] : [0x5f, 0xb0]), 0x11);
      if (flags & 0x08) bytes.push(0x01, 0x00);
      const result = map('2A18', hex(...bytes));
      expect(errors(result)).toEqual([]);
      if (!(flags & 0x02)) {
        expect(result.observations).toEqual([]);
        return;
      }
      const glucose = byCode(result, '41653-7')!;
      // 5.3 mmol/L × 18.0156 = 95.48 mg/dL, kept at the source's precision → 95.
      expect(glucose.valueQuantity).toEqual({ value: 95, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' });
      expect(glucose.code.coding.map((c: Json) => c.code)).toEqual(['41653-7', '160184']);
      expect(glucose.category[0].coding[0].code).toBe('laboratory');
      expect(glucose.effectiveDateTime).toBe(flags & 0x01 ? '2024-06-15T08:15:00+02:00' : '2024-06-15T08:00:00+02:00');
      expect(glucose.interpretation?.[0].coding[0].code).toBe(flags & 0x08 ? 'questionable' : undefined);
      expect(glucose.note[0].text).toBe('Sample: Capillary Whole blood, Finger');
    });
  }
});

describe('0x2A5E PLX Spot-check and 0x2A5F Continuous, every flag combination', () => {
  for (let flags = 0; flags < 32; flags++) {
    it(`spot-check flags 0x${flags.toString(16).padStart(2, '0')}`, () => {
      // SpO2 97 %, PR 64 /min (exponent 0).
      const bytes = [flags, 0x61, 0x00, 0x40, 0x00];
      if (flags & 0x01) bytes.push(0xe8, 0x07, 0x02, 0x1d, 0x0c, 0x00, 0x00); // 2024-02-29 12:00:00
      if (flags & 0x02) bytes.push(0x00, 0x40); // bit 14: questionable
      if (flags & 0x04) bytes.push(0x00, 0x00, 0x00);
      if (flags & 0x08) bytes.push(0x57, 0xf0); // PAI 8.7
      const result = map('2A5E', hex(...bytes));
      expect(errors(result)).toEqual([]);
      const spo2 = byCode(result, '2708-6')!;
      expect(spo2.valueQuantity.value).toBe(97);
      expect(spo2.code.coding.map((c: Json) => c.code)).toEqual(['2708-6', '59408-5', '150456']);
      expect(byCode(result, '8867-4')!.code.coding[1].code).toBe('149530');
      const deviceTime = (flags & 0x01) && !(flags & 0x10);
      expect(spo2.effectiveDateTime).toBe(deviceTime ? '2024-02-29T12:00:00+02:00' : '2024-05-01T10:00:00+02:00');
      expect(spo2.interpretation?.[0].coding[0].code).toBe(flags & 0x02 ? 'questionable' : undefined);
      const pai = result.measurements[0]!.values.find((v) => v.name === 'pulseAmplitudeIndex');
      expect(pai?.value).toBe(flags & 0x08 ? 8.7 : undefined);
    });

    it(`continuous flags 0x${flags.toString(16).padStart(2, '0')}`, () => {
      const bytes = [flags, 0x61, 0x00, 0x40, 0x00];
      if (flags & 0x01) bytes.push(0x60, 0x00, 0x41, 0x00); // fast 96 / 65
      if (flags & 0x02) bytes.push(0x62, 0x00, 0x3f, 0x00); // slow 98 / 63
      if (flags & 0x04) bytes.push(0x00, 0x10); // bit 12: calibration ongoing
      if (flags & 0x08) bytes.push(0x00, 0x00, 0x00);
      if (flags & 0x10) bytes.push(0x57, 0xf0);
      const result = map('2A5F', hex(...bytes));
      expect(errors(result)).toEqual([]);
      expect(byCode(result, '2708-6')!.valueQuantity.value).toBe(97);
      expect(byCode(result, '8867-4')!.valueQuantity.value).toBe(64);
      const values = Object.fromEntries(result.measurements[0]!.values.map((v) => [v.name, v.value]));
      expect(values.fastValue).toBe(flags & 0x01 ? 96 : undefined);
      expect(values.slowValue).toBe(flags & 0x02 ? 98 : undefined);
      expect(byCode(result, '2708-6')!.interpretation?.[0].coding[0].code).toBe(flags & 0x04 ? 'calibration-ongoing' : undefined);
    });
  }

  it('decodes the SpeziBluetooth spot-check vector (94.0 %, 147.0 /min, PAI 8.70)', () => {
    const result = map('2A5E', '0F AC F3 BE F5 E8 07 0B 1D 17 08 39 20 40 22 00 00 66 E3', { timestamp: '2024-11-29T23:08:57Z' });
    expect(written(byCode(result, '2708-6')!.valueQuantity.value)).toBe('94.0');
    expect(written(byCode(result, '8867-4')!.valueQuantity.value)).toBe('147.0');
    expect(written(result.measurements[0]!.values.find((v) => v.name === 'pulseAmplitudeIndex')!.value)).toBe('8.70');
    expect(byCode(result, '2708-6')!.effectiveDateTime).toBe('2024-11-29T23:08:57Z');
  });
});

describe('bad BLE input', () => {
  it('names the location of malformed hex, base64, characteristic and timestamp', () => {
    const cases: [Json, string, string][] = [
      [{ characteristic: '2A37', value: '0G 55' }, '$.value', 'invalid'],
      [{ characteristic: '2A37', value: '005' }, '$.value', 'invalid'],
      [{ characteristic: '2A37', valueBase64: '***' }, '$.valueBase64', 'invalid'],
      [{ characteristic: '2A99', value: '00 55' }, '$.characteristic', 'not-supported'],
      [{ characteristic: '2A37', value: '00 55', timestamp: '2024-13-45T99:00:00Z' }, '$.timestamp', 'value'],
      [{ characteristic: '2A37', value: '00 55', deviceId: undefined }, '$.deviceId', 'required'],
    ];
    for (const [body, path, code] of cases) {
      const result = mapPayload(bleGattMapping, { index: 4, format: 'json', body: { deviceId: 'dev', timestamp: '2024-05-01T10:00:00Z', ...body } });
      expect(result.observations, path).toEqual([]);
      expect(errors(result)[0], path).toMatchObject({ code, location: { source: 'payload', payloadIndex: 4, path } });
    }
  });

  it('rejects a humanly impossible value as an error and warns on an implausible one', () => {
    const absurd = map('2A37', hex(0x01, 0xe8, 0x03)); // 1000 /min
    expect(errors(absurd)[0]!.diagnostics).toMatch(/heart-rate value 1000 \/min is outside the humanly possible range/);
    const high = map('2A37', hex(0x00, 0xff)); // 255 /min
    expect(errors(high)).toEqual([]);
    expect(high.issues.some((issue) => issue.severity === 'warning' && /outside the physiological range/.test(issue.diagnostics))).toBe(true);
  });

  it('accepts base64 values', () => {
    const result = map('2A37', undefined as unknown as string, { value: undefined, valueBase64: Buffer.from([0x00, 0x55]).toString('base64') });
    expect(byCode(result, '8867-4')!.valueQuantity.value).toBe(85);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ihePcd01Mapping } from '../../mappings/builtin/ihe-pcd01.ts';
import { openMHealthMapping } from '../../mappings/builtin/openmhealth.ts';
import { mapPayload, mapPayloadsSync } from '../../mappings/map-payloads.ts';
import { splitBodySync } from '../../mappings/split/split-body.ts';
import { parseJson, stringifyJson } from '../../server/fhir/json/index.ts';
import { IPF, OMH_TEST_DATA, readFixture } from './fixture-paths.ts';

type Json = Record<string, any>;

const MAPPED_SCHEMAS = ['heart-rate', 'blood-pressure', 'body-temperature', 'oxygen-saturation', 'blood-glucose', 'body-weight', 'body-height', 'body-mass-index', 'respiratory-rate', 'step-count'];
const context = { device: { system: 'urn:example:device', value: 'omh-1' } };

function omh(body: unknown) {
  return mapPayload(openMHealthMapping, { index: 0, format: 'json', body, context });
}

function files(schema: string, verdict: 'shouldPass' | 'shouldFail'): string[] {
  const root = path.join(OMH_TEST_DATA, schema);
  return fs.readdirSync(root).flatMap((version) => {
    const dir = path.join(root, version, verdict);
    return fs.existsSync(dir) ? fs.readdirSync(dir).map((name) => path.join(dir, name)) : [];
  });
}

describe('Open mHealth', () => {
  it('maps every passing body of the ten schemas that has a time frame, without errors', () => {
    let mapped = 0;
    for (const schema of MAPPED_SCHEMAS) {
      for (const file of files(schema, 'shouldPass')) {
        const body = parseJson(fs.readFileSync(file, 'utf8')) as Json;
        const result = omh(body);
        if (!body.effective_time_frame) {
          expect(result.issues.find((i) => i.severity === 'error')?.location?.path, file).toBe('$.body.effective_time_frame');
          continue;
        }
        expect(result.issues.filter((i) => i.severity === 'error'), file).toEqual([]);
        expect(result.observations.length, file).toBe(1);
        mapped++;
      }
    }
    expect(mapped).toBeGreaterThan(50);
  });

  it('refuses failing bodies about values, units and time frames', () => {
    const relevant = /^(empty-document|invalid-unit|missing-body-weight-(unit|value)|missing-(effective-)?time-frame|invalid-time-(frame|interval)|invalid-descriptive-statistic)\.json$/;
    let checked = 0;
    for (const schema of MAPPED_SCHEMAS) {
      for (const file of files(schema, 'shouldFail').filter((name) => relevant.test(path.basename(name)))) {
        const result = omh(parseJson(fs.readFileSync(file, 'utf8')));
        const error = result.issues.find((i) => i.severity === 'error');
        expect(error, file).toBeDefined();
        expect(error!.location?.path ?? '', file).toMatch(/^\$(\.body)?/);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('keeps decimal precision, converts units and maps a full data point', () => {
    const point = {
      header: { id: 'a1', creation_date_time: '2020-02-05T08:00:00Z', schema_id: { namespace: 'omh', name: 'heart-rate', version: '2.0' }, acquisition_provenance: { source_name: 'Acme HR' }, user_id: 'Patient/42' },
      body: parseJson(readFixture(OMH_TEST_DATA, 'heart-rate/2.0/shouldPass/with-descriptive-statistic.json')),
    };
    const observation = mapPayload(openMHealthMapping, { index: 0, format: 'json', body: point }).observations[0] as Json;
    expect(stringifyJson(observation.valueQuantity)).toBe('{"value":50.0,"unit":"beats/minute","system":"http://unitsofmeasure.org","code":"/min"}');
    expect(observation.effectivePeriod).toEqual({ start: '2020-02-05T06:00:00+01:00', end: '2020-02-06T06:00:00+01:00' });
    expect(observation.subject).toEqual({ reference: 'Patient/42' });
    expect(observation.device.identifier).toEqual({ system: 'urn:vitalchain:device-id', value: 'Acme HR' });
    expect(observation.note[0].text).toMatch(/Descriptive statistic: minimum/);

    const fahrenheit = omh(parseJson(readFixture(OMH_TEST_DATA, 'body-temperature/4.0/shouldPass/valid-temperature.json'))).observations[0] as Json;
    expect(fahrenheit.valueQuantity).toEqual({ value: 97, unit: '[degF]', system: 'http://unitsofmeasure.org', code: '[degF]' });
    expect(fahrenheit.bodySite.text).toBe('forehead');

    const bmi = omh(parseJson(readFixture(OMH_TEST_DATA, 'body-mass-index/3.0/shouldPass/valid-body-mass-index.json'))).observations[0] as Json;
    expect(bmi.valueQuantity.code).toBe('kg/m2');

    const steps = omh(parseJson(readFixture(OMH_TEST_DATA, 'step-count/2.0/shouldPass/valid-step-count.json'))).observations[0] as Json;
    expect(steps.valueQuantity).toEqual({ value: 6000, unit: 'steps', system: 'http://unitsofmeasure.org', code: '{steps}' });
    expect(steps.category[0].coding[0].code).toBe('activity');

    const bp = omh(parseJson(readFixture(OMH_TEST_DATA, 'blood-pressure/4.0/shouldPass/blood-pressure-only.json'))).observations[0] as Json;
    expect(bp.component.map((c: Json) => [c.code.coding[0].code, c.valueQuantity.value, c.valueQuantity.code])).toEqual([
      ['8480-6', 115, 'mm[Hg]'],
      ['8462-4', 60, 'mm[Hg]'],
    ]);
  });

  it('converts kelvin and pounds into the units the profiles allow', () => {
    const kelvin = omh({ body_temperature: { value: 310.15, unit: 'K' }, effective_time_frame: { date_time: '2024-01-01T00:00:00Z' } }).observations[0] as Json;
    expect(kelvin.valueQuantity.code).toBe('Cel');
    // 310.15 K = 37.00 Cel: the two decimals of the source survive the affine conversion.
    expect(stringifyJson(kelvin.valueQuantity.value)).toBe('37.00');
    const height = omh({ body_height: { value: 1.8, unit: 'm' }, effective_time_frame: { date_time: '2024-01-01T00:00:00Z' } }).observations[0] as Json;
    expect(height.valueQuantity).toMatchObject({ value: 180, code: 'cm' });
    const pounds = omh({ body_weight: { value: 150.5, unit: 'lb' }, effective_time_frame: { date_time: '2024-01-01T00:00:00Z' } }).observations[0] as Json;
    expect(pounds.valueQuantity).toMatchObject({ value: 150.5, code: '[lb_av]' });
  });
});

describe('IHE PCD-01', () => {
  const pcd = (file: string) => [...mapPayloadsSync(ihePcd01Mapping, splitBodySync(readFixture(IPF, file)))];

  it('maps the IHE blood-pressure message to one panel with MDC and LOINC codes', () => {
    const [result] = pcd('pcd01/valid-pcd01-request.hl7v2');
    expect(result!.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(result!.observations.length).toBe(1);
    const bp = result!.observations[0] as Json;
    expect(bp.code.coding.map((c: Json) => `${c.system}|${c.code}`)).toEqual(['http://loinc.org|85354-9', 'urn:iso:std:iso:11073:10101|150020']);
    expect(bp.component.map((c: Json) => [c.code.coding.map((k: Json) => k.code).join('+'), c.valueQuantity.value, c.valueQuantity.code])).toEqual([
      ['8480-6+150021', 120, 'mm[Hg]'],
      ['8462-4+150022', 80, 'mm[Hg]'],
      ['150023', 100, 'mm[Hg]'],
    ]);
    expect(bp.effectiveDateTime).toBe('2009-08-13T09:57:15+05:00');
    expect(bp.device).toEqual({ identifier: { system: 'urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680', value: '01-23-45-67-89-AB-CD-EF' } });
    expect(bp.subject).toEqual({ identifier: { system: 'urn:vitalchain:patient-id:Imaginary%20Hospital', value: '789567' } });
    // OBX-11 "R" (results entered, not verified) is preliminary in the HL7 v2-to-FHIR status map.
    expect(bp.status).toBe('preliminary');
    expect(result!.devices[0]!.device.type).toEqual([{ system: 'urn:iso:std:iso:11073:10101', code: '528391', display: 'MDC_DEV_SPEC_PROFILE_BP' }]);
  });

  it('keeps status flags, corrected status, body site and OIDs of the maximal message', () => {
    const [result] = pcd('pcd01/valid-pcd01-MaximumRequest2.hl7');
    const bp = result!.observations.find((o: Json) => o.code.coding[0].code === '85354-9') as Json;
    expect(bp.component.map((c: Json) => c.valueQuantity.value)).toEqual([140, 70, 100]);
    expect(bp.interpretation[0].coding.map((c: Json) => c.code)).toEqual(['questionable']);
    expect(bp.status).toBe('amended');
    expect(bp.subject).toEqual({ identifier: { system: 'urn:oid:1.3.4.565', value: '111222333444' } });
    // The second OBR carries codes that are not MDC vital signs; they keep their own code.
    expect(result!.observations.some((o: Json) => o.code.coding[0].code === '1500212')).toBe(true);
  });

  it('maps a monitor message with UCUM units and an ECG heart rate', () => {
    const [result] = pcd('pcd01/valid-pcd01-request2.hl7v2');
    const hr = result!.observations.find((o: Json) => o.code.coding[0].code === '8867-4') as Json;
    expect(hr.code.coding[1]).toEqual({ system: 'urn:iso:std:iso:11073:10101', code: '147842', display: 'MDC_ECG_HEART_RATE' });
    expect(hr.valueQuantity.value).toBe(60);
    expect(hr.effectiveDateTime).toBe('2008-12-11T14:45:00Z');
    const invasive = result!.observations.find((o: Json) => o.code.coding[0].code === '150033') as Json;
    expect(invasive.valueQuantity).toEqual({ value: 120, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' });
  });

  it('reads string and coded rows of a Continua fitness message', () => {
    const [result] = pcd('wan/valid-fitness-and-activity-continua-wan.hl7v2');
    const program = result!.observations.find((o: Json) => o.code.coding[0].code === '8454252') as Json;
    expect(program.valueString).toBe('Faster than a speeding bullet');
    const session = result!.observations.find((o: Json) => o.code.coding[0].code === '8454267') as Json;
    expect(session.valueCodeableConcept.coding[0]).toEqual({ system: 'urn:iso:std:iso:11073:10101', code: '8455155', display: 'MDC_HF_ACT_RUN' });
  });

  it('splits several messages in one body, with CR, LF or CRLF separators', () => {
    const one = readFixture(IPF, 'pcd01/valid-pcd01-request.hl7v2');
    const body = [one, one.replace(/\r\n/g, '\r'), one.replace(/\r\n/g, '\n').replace('MSGID1234', 'MSGID5678')].join('\n');
    const results = [...mapPayloadsSync(ihePcd01Mapping, splitBodySync(body))];
    expect(results.map((r) => r.observations.length)).toEqual([1, 1, 1]);
    expect(results[2]!.index).toBe(2);
  });

  it('refuses non-ORU messages and broken text with their location', () => {
    const [ack] = pcd('pcd01/valid-pcd01-response.hl7v2');
    expect(ack!.issues[0]).toMatchObject({ severity: 'error', code: 'not-supported', location: { path: 'MSH-9', line: 1 } });
    const broken = mapPayload(ihePcd01Mapping, { index: 0, format: 'hl7v2', body: 'MSH|^~\\&|A||||20240101||ORU^R01|1|P|2.6\rthis is not a segment' });
    expect(broken.issues[0]).toMatchObject({ severity: 'error', code: 'structure', location: { line: 2 } });
  });
});

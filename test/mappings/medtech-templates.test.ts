import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapPayloadsSync, type MappedPayload } from '../../mappings/map-payloads.ts';
import type { Mapping } from '../../mappings/mapping.ts';
import { importMedTechTemplates } from '../../mappings/medtech/import.ts';
import { parseJson } from '../../server/fhir/json/index.ts';
import { FIXTURES, MS_SAMPLES, MS_TEST_INPUT, readFixture } from './fixture-paths.ts';

type Json = Record<string, any>;

const VALIDATION_INPUT = path.join(FIXTURES, 'microsoft-iomt-fhir/test/Microsoft.Health.Fhir.Ingest.Validation.UnitTests/TestInput');

function load(deviceFile: string, fhirFile?: string, options = {}): Mapping {
  const result = importMedTechTemplates(readFixture(deviceFile), fhirFile ? readFixture(fhirFile) : undefined, options);
  expect(result.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
  return result.mapping!;
}

function run(mapping: Mapping, payload: unknown): MappedPayload[] {
  return [...mapPayloadsSync(mapping, [{ index: 0, format: 'json', body: payload }])];
}

function measurements(mapping: Mapping, payloadFile: string) {
  const payload = parseJson(readFixture(payloadFile).replace(/^\uFEFF/, ''));
  return run(mapping, payload)[0]!.measurements.map((m) => ({ type: m.type, device: m.device.identifier.value, time: m.start.slice(0, 19), values: Object.fromEntries(m.values.map((v) => [v.name, String(v.value)])) }));
}

/** 1-based line of the first line matching `pattern`, and the column where `token` starts on it. */
function position(text: string, pattern: RegExp, token: string): { line: number; column: number } {
  const lines = text.split('\n');
  const index = lines.findIndex((line) => pattern.test(line));
  return { line: index + 1, column: lines[index]!.indexOf(token) + 1 };
}

describe('CalculatedContent documentation examples (expected values from CalculatedFunctionContentTemplateDocumentationTests.cs)', () => {
  const input = (name: string) => path.join(MS_TEST_INPUT, `data_Documentation_CalculatedFunction_${name}.json`);

  it('extracts heart rate', () => {
    expect(measurements(load(input('HeartRate_Template')), input('HeartRate_Payload'))).toEqual([{ type: 'heartrate', device: 'device123', time: '2019-02-01T22:46:01', values: { hr: '78' } }]);
  });

  it('extracts blood pressure', () => {
    expect(measurements(load(input('BloodPressure_Template')), input('BloodPressure_Payload'))).toEqual([{ type: 'bloodpressure', device: 'device123', time: '2019-02-01T22:46:01', values: { systolic: '123', diastolic: '87' } }]);
  });

  it('matches several tokens and reads the parent scope through the envelope', () => {
    expect(measurements(load(input('MultipleMatches_Template')), input('MultipleMatches_Payload'))).toEqual([
      { type: 'heartrate', device: 'device123', time: '2021-07-13T17:29:01', values: { systolic: '120', diastolic: '80' } },
      { type: 'heartrate', device: 'device123', time: '2021-07-13T17:28:01', values: { systolic: '122', diastolic: '82' } },
    ]);
  });

  it('produces one measurement per template that matches', () => {
    expect(measurements(load(input('MultipleMeasurements_Template')), input('MultipleMeasurements_Payload'))).toEqual([
      { type: 'heartrate', device: 'device123', time: '2019-02-01T22:46:01', values: { hr: '78' } },
      { type: 'stepcount', device: 'device123', time: '2019-02-01T22:46:01', values: { steps: '2' } },
    ]);
  });

  it('reads every element of an array Body', () => {
    expect(measurements(load(input('HeartRate_Template')), input('MultipleMeasurements_FromArray_Payload')).map((m) => [m.time, m.values.hr])).toEqual([
      ['2019-02-01T20:46:01', '78'],
      ['2019-02-01T21:46:01', '81'],
      ['2019-02-01T22:46:01', '72'],
    ]);
  });

  it('transforms data with JmesPath functions inside a JsonPath template', () => {
    const result = measurements(load(input('TransformData_Template')), input('TransformData_Payload'));
    expect(result.map((m) => [m.type, m.time])).toEqual([
      ['heightInMeters', '2019-02-01T22:46:01'],
      ['heightInMeters', '2019-02-01T23:46:01'],
    ]);
    expect(Number(result[0]!.values.height)).toBeCloseTo(1.9812, 4);
    expect(result[1]!.values.height).toBe('1.9304');
  });
});

describe('JsonPath, IoT Hub and IoT Central templates (NormalizationTests.cs, IotJsonPathContentTemplateTests.cs)', () => {
  it('yields heart rate and steps from one message, nothing for hrv only', () => {
    const mapping = load(path.join(MS_TEST_INPUT, 'data_CollectionContentTemplateHrAndSteps.json'));
    const date = '2024-01-02T03:04:05Z';
    const both = run(mapping, { heartrate: '60', steps: '2', device: 'abc', date })[0]!.measurements;
    expect(both.map((m) => [m.type, m.device.identifier.value, m.start, m.values[0]!.name, m.values[0]!.value])).toEqual([
      ['heartrate', 'abc', date, 'hr', '60'],
      ['steps', 'abc', date, 'steps', '2'],
    ]);
    expect(run(mapping, { hrv: '5', device: 'abc', date })[0]!.measurements).toEqual([]);
  });

  it('normalizes an IoT Central export with several messages into six measurements', () => {
    const mapping = load(path.join(MS_TEST_INPUT, 'data_CollectionContentTemplateMultipleIotCentralJsonPath.json'));
    const result = measurements(mapping, path.join(MS_TEST_INPUT, 'data_IotCentralPayloadExampleMultipleMessages.json'));
    expect(result.length).toBe(6);
    expect(result.filter((m) => m.type === 'heartrate').length).toBe(2);
    expect(result.filter((m) => m.type === 'bloodpressure').length).toBe(2);
    expect(result.filter((m) => m.type === 'respiratoryrate').length).toBe(2);
    expect(result.find((m) => m.type === 'heartrate')!.values).toEqual({ hr: '75' });
    expect(result.find((m) => m.type === 'bloodpressure')!.values).toEqual({ systolic: '62', diastolic: '30' });
    expect(result.find((m) => m.type === 'respiratoryrate')!.values).toEqual({ respiratoryrate: '15' });
  });

  it('reads an un-enveloped IoT Central message as the Body of an envelope', () => {
    const result = measurements(load(path.join(MS_SAMPLES, 'sandbox/devicecontent.json')), path.join(MS_TEST_INPUT, 'data_IotCentralPayloadExample.json'));
    expect(result).toEqual([
      { type: 'respiratoryrate', device: '1vzb5ghlsg1', time: '2020-08-05T22:26:55', values: { respiratoryrate: '13' } },
      { type: 'bloodpressure', device: '1vzb5ghlsg1', time: '2020-08-05T22:26:55', values: { systolic: '71', diastolic: '7' } },
    ]);
  });

  it('takes IoT Hub device id and creation time, falling back to the enqueued time', () => {
    const mapping = load(path.join(MS_TEST_INPUT, 'data_IotJsonPathContentTemplateValid.json'));
    expect(measurements(mapping, path.join(MS_TEST_INPUT, 'data_IotHubPayloadExample.json'))).toEqual([{ type: 'heartrate', device: 'ev-d795-1d04-55ae', time: '2019-01-30T22:45:02', values: { hr: '203' } }]);
    expect(measurements(mapping, path.join(MS_TEST_INPUT, 'data_IotHubPayloadExampleMissingCreateTime.json'))[0]!.time).toBe('2019-02-01T22:46:01');
  });

  it('reports a required value the payload lacks and drops that measurement', () => {
    const mapping = load(path.join(MS_TEST_INPUT, 'data_JsonPathContentTemplateValid.json'));
    const result = run(mapping, { Body: { heartrate: '70', date: '2024-01-01T00:00:00Z' } })[0]!;
    expect(result.measurements).toEqual([]);
    expect(result.issues[0]!.diagnostics).toMatch(/Unable to extract required value for \[DeviceIdExpression\] using \$\.device/);
  });
});

describe('template errors carry line and column', () => {
  it('reports malformed JSON where it is', () => {
    const result = importMedTechTemplates(readFixture(MS_TEST_INPUT, 'data_InvalidJson.txt'));
    expect(result.mapping).toBeUndefined();
    // `{\n  "templateType":\n}`: the value is missing where line 3 starts with `}`.
    expect(result.issues[0]).toMatchObject({ severity: 'error', location: { source: 'template', line: 3, column: 1 } });
  });

  it('reports missing expressions, types and names at the member that lacks them', () => {
    const missing = readFixture(MS_TEST_INPUT, 'data_JsonPathContentTemplateInvalidMissingExpression.json');
    const result = importMedTechTemplates(missing);
    expect(result.mapping).toBeUndefined();
    const at = position(missing, /"template":/, '"template"');
    expect(result.issues.map((issue) => issue.diagnostics)).toEqual([
      "An expression must be set for [DeviceIdExpression] in JsonPathContent 'heartrate'",
      "An expression must be set for [TimestampExpression] in JsonPathContent 'heartrate'",
    ]);
    expect(result.issues[0]!.location).toMatchObject(at);

    const unknownType = readFixture(MS_TEST_INPUT, 'data_InvalidTemplateType.json');
    const typed = importMedTechTemplates(unknownType);
    expect(typed.issues[0]!.location).toMatchObject(position(unknownType, /"templateType"/, '"templateType"'));

    const noValueName = readFixture(MS_TEST_INPUT, 'data_IotCentralJsonPathContentTemplateInvalidMissingValueField.json');
    const named = importMedTechTemplates(noValueName);
    expect(named.issues[0]!.diagnostics).toMatch(/valueName is required/);
    expect(named.issues[0]!.location!.line).toBe(position(noValueName, /^\s+\{\s*$/, '{').line);

    const noArray = importMedTechTemplates(readFixture(MS_TEST_INPUT, 'data_InvalidCollectionContentTemplateWithNoTemplateArray.json'));
    expect(noArray.issues[0]!.diagnostics).toBe('Expected an array for the template property value for template type CollectionContent');
  });

  it('reports FHIR template errors, with the BOM not counted as a column', () => {
    const device = readFixture(MS_TEST_INPUT, 'data_IotJsonPathContentTemplateValid.json');
    const missingCodes = readFixture(MS_TEST_INPUT, 'data_CodeValueFhirTemplateInvalid_MissingCodeField.json');
    expect(missingCodes.charCodeAt(0)).toBe(0xfeff);
    const result = importMedTechTemplates(device, missingCodes);
    const issue = result.issues.find((i) => /codes must be/.test(i.diagnostics))!;
    expect(issue.location).toMatchObject({ source: 'template', line: 3, column: 3 });
    const missingType = importMedTechTemplates(device, readFixture(MS_TEST_INPUT, 'data_CodeValueFhirTemplateInvalid_MissingFields.json'));
    expect(missingType.issues.some((i) => i.diagnostics === 'typeName is required in CodeValueFhir')).toBe(true);
  });

  it('warns like MappingValidator about device types without FHIR template and unread values', () => {
    const device = readFixture(VALIDATION_INPUT, 'data_CollectionContentTemplateHrAndBloodPressureValid.json');
    const badValue = importMedTechTemplates(device, readFixture(VALIDATION_INPUT, 'data_CollectionFhirTemplateIncorrectValueNameInvalid.json'));
    expect(badValue.issues.some((i) => i.severity === 'warning' && i.diagnostics === 'The value [systolic] in Device Mapping [bloodpressure] is not represented within the Fhir Template')).toBe(true);
    const badType = importMedTechTemplates(device, readFixture(VALIDATION_INPUT, 'data_CollectionFhirTemplateMissingTypeInvalid.json'));
    expect(badType.issues.some((i) => i.severity === 'warning' && i.diagnostics.startsWith('No matching Fhir Template exists for Device Mapping [bloodpressure]. Ensure case matches. Available Fhir Templates: [heartrate, bloodpressureBadTypeName]'))).toBe(true);
  });

  it("needs patientIdExpression for identity resolution 'create'", () => {
    const result = importMedTechTemplates(readFixture(MS_TEST_INPUT, 'data_JsonPathContentTemplateValid.json'), undefined, { identity: 'create' });
    expect(result.issues.some((i) => i.severity === 'error' && /patientIdExpression/.test(i.diagnostics))).toBe(true);
    expect(importMedTechTemplates(readFixture(MS_TEST_INPUT, 'data_JsonPathContentTemplateValidWithOptional.json'), undefined, { identity: 'create' }).mapping?.identity).toBe('create');
  });
});

describe('FHIR destination templates', () => {
  const basicPayload = { Body: { systolic: '120', diastolic: '80', deviceid: 'dev-1', patientid: 'Patient/p1', measurementdatetime: '2024-01-02T10:15:30Z' } };

  it("imports Microsoft's basic sample, fixing its units and flagging its diastolic code", () => {
    const result = importMedTechTemplates(readFixture(MS_SAMPLES, 'basic/devicecontent.json'), readFixture(MS_SAMPLES, 'basic/fhirmapping.json'));
    expect(result.mapping).toBeDefined();
    const warnings = result.issues.filter((i) => i.severity === 'warning').map((i) => i.diagnostics);
    expect(warnings).toContain("Unit 'count/min' is not valid UCUM; '/min' is used");
    expect(warnings).toContain("Unit 'mmHg' is not valid UCUM; 'mm[Hg]' is used");
    expect(warnings.some((w) => w.startsWith('Component coded LOINC 8867-4 (Heart rate) inside Blood pressure panel'))).toBe(true);
    const mapped = run(result.mapping!, basicPayload)[0]!;
    const flushed = [...mapPayloadsSync(result.mapping!, [{ index: 0, format: 'json', body: basicPayload }])].at(-1)!;
    expect(mapped.observations).toEqual([]);
    const bp = flushed.observations[0] as Json;
    expect(bp.effectivePeriod).toEqual({ start: '2024-01-02T10:00:00.000Z', end: '2024-01-02T10:59:59.999Z' });
    expect(bp.subject).toEqual({ reference: 'Patient/p1' });
    expect(bp.category[0].coding[0].code).toBe('vital-signs');
    // 10:15:30 at a 1 s period is slot 930 of 3600.
    const systolic = bp.component.find((c: Json) => c.code.coding.some((k: Json) => k.code === '8480-6')).valueSampledData;
    expect(systolic.period).toBe(1000);
    expect(systolic.origin).toEqual({ value: 0, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' });
    const slots = systolic.data.split(' ');
    expect(slots.length).toBe(3600);
    expect(slots[930]).toBe('120');
    expect(slots.filter((slot: string) => slot !== 'E').length).toBe(1);
    expect(flushed.issues.some((i) => i.severity === 'error' && i.diagnostics === 'Profile bp: component 8462-4 (Diastolic blood pressure) is required')).toBe(true);
  });

  it('builds Quantity components from a Quantity template', () => {
    const mapping = load(path.join(MS_SAMPLES, 'basic/devicecontent.json'), path.join(MS_TEST_INPUT, 'data_CodeValueFhirTemplate_Quantity.json'));
    const results = run(mapping, basicPayload);
    const bp = results.at(-1)!.observations[0] as Json;
    expect(bp.component.map((c: Json) => c.valueQuantity)).toEqual([
      { value: 80, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
      { value: 120, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
    ]);
    expect(bp.code.coding.at(-1)).toEqual({ system: 'https://azure.microsoft.com/en-us/services/iomt-fhir-connector/', code: 'bloodpressure', display: 'bloodpressure' });
    expect(bp.code.text).toBe('bloodpressure');
  });

  it('streams an IoT Hub heart rate into a 5 s SampledData slot of its hour', () => {
    const mapping = load(path.join(MS_TEST_INPUT, 'data_IotJsonPathContentTemplateValid.json'), path.join(MS_TEST_INPUT, 'data_CodeValueFhirTemplate_SampledData.json'));
    const observation = run(mapping, parseJson(readFixture(MS_TEST_INPUT, 'data_IotHubPayloadExample.json'))).at(-1)!.observations[0] as Json;
    const slots = observation.valueSampledData.data.split(' ');
    // 22:45:02.607 is 2702.607 s into the hour: slot 540 of 720 at a 5000 ms period.
    expect(slots.length).toBe(720);
    expect(slots[540]).toBe('203');
    expect(observation.valueSampledData.origin.code).toBe('/min');
    expect(observation.device).toEqual({ identifier: { system: 'urn:vitalchain:device-id', value: 'ev-d795-1d04-55ae' } });
  });

  const eventDevice = (typeName: string, valueName: string) =>
    JSON.stringify({
      templateType: 'CollectionContent',
      template: [
        {
          templateType: 'CalculatedContent',
          template: {
            typeName,
            typeMatchExpression: `$..[?(@${valueName})]`,
            deviceIdExpression: '$.matchedToken.device',
            timestampExpression: '$.matchedToken.time',
            values: [
              { valueName, valueExpression: `$.matchedToken.${valueName}`, required: true },
              { valueName: 'reason', valueExpression: '$.matchedToken.reason', required: false },
            ],
          },
        },
      ],
    });
  const eventTemplate = eventDevice('alarmEvent', 'alarm');

  it('builds CodeableConcept values and String components', () => {
    const result = importMedTechTemplates(eventTemplate, readFixture(MS_TEST_INPUT, 'data_CodeValueFhirTemplate_CodeableConceptAndStringComponent.json'));
    const observation = run(result.mapping!, { device: 'd1', time: '2024-03-01T08:00:00+01:00', alarm: 'on', reason: 'low battery' })[0]!.observations[0] as Json;
    expect(observation.valueCodeableConcept).toEqual({ coding: [{ code: 'alarmEvent', system: 'https://www.contoso.com/events/v1', display: 'Alarm Event' }], text: 'Alarm!' });
    expect(observation.component[0].valueString).toBe('low battery');
    expect(observation.effectiveDateTime).toBe('2024-03-01T08:00:00+01:00');
  });

  it('uses valueString for String templates (and reports the vital-sign profile violation of its 8867-4 code)', () => {
    const device = eventDevice('stringDetail', 'reasonText');
    const result = importMedTechTemplates(device, readFixture(MS_TEST_INPUT, 'data_CodeValueFhirTemplate_String.json'));
    const mapped = run(result.mapping!, { device: 'd1', time: '2024-03-01T08:00:00Z', reasonText: 'sensor off' })[0]!;
    expect((mapped.observations[0] as Json).valueString).toBe('sensor off');
    expect(mapped.issues.some((i) => i.diagnostics === 'Profile heartrate: value must be a Quantity, found valueString')).toBe(true);
  });
});

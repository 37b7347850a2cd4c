import { describe, expect, it } from 'vitest';
import { appleHealthMapping } from '../../mappings/builtin/apple-health.ts';
import { dexcomMapping } from '../../mappings/builtin/dexcom.ts';
import { fitbitMapping } from '../../mappings/builtin/fitbit.ts';
import { withingsMapping } from '../../mappings/builtin/withings.ts';
import { mapPayload, mapPayloadsSync } from '../../mappings/map-payloads.ts';
import { splitBodySync } from '../../mappings/split/split-body.ts';
import { parseJson, stringifyJson } from '../../server/fhir/json/index.ts';
import { FIXTURES, SHIMMER, readFixture, readFixtureJson } from './fixture-paths.ts';

type Json = Record<string, any>;

const device = { system: 'urn:example:account-device', value: 'acct-7' };

describe('Withings getmeas', () => {
  const body = parseJson(readFixture(SHIMMER, 'withings/mapper/withings-body-measures.json'));
  const result = mapPayload(withingsMapping, { index: 0, format: 'json', body, context: { device, patient: 'Patient/w1' } });
  const find = (loinc: string, time: string) => result.observations.find((o: Json) => o.code.coding[0].code === loinc && o.effectiveDateTime === time) as Json;

  it('applies value × 10^unit exactly and in the account time zone', () => {
    // 1433052383 = 2015-05-31T06:06:23Z; America/Los_Angeles is UTC−7 in summer.
    const weight = find('29463-7', '2015-05-30T23:06:23-07:00');
    expect(stringifyJson(weight.valueQuantity)).toBe('{"value":74.126,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}');
    const bp = find('85354-9', '2015-05-30T23:06:23-07:00');
    expect(bp.component.map((c: Json) => c.valueQuantity.value)).toEqual([104, 68]);
    expect(find('8867-4', '2015-05-30T23:06:23-07:00').valueQuantity.value).toBe(41);
    expect(weight.subject).toEqual({ reference: 'Patient/w1' });
  });

  it('converts height in metres to centimetres and reads temperature type 71', () => {
    // 1424719489 = 2015-02-23T19:24:49Z, UTC−8 in winter.
    const height = find('8302-2', '2015-02-23T11:24:49-08:00');
    expect(stringifyJson(height.valueQuantity)).toBe('{"value":193.0,"unit":"cm","system":"http://unitsofmeasure.org","code":"cm"}');
    expect(find('8310-5', '2015-02-23T11:24:49-08:00').valueQuantity).toMatchObject({ value: 37, code: 'Cel' });
    expect(find('8867-4', '2015-02-23T11:24:49-08:00')).toBeUndefined();
  });

  it('notes manual entries, skips unknown measure types with an information issue', () => {
    expect(find('8867-4', '2015-02-26T13:57:17-08:00').note[0].text).toBe('Entered manually; a few minutes after a walk');
    expect(result.issues.filter((i) => i.diagnostics.startsWith('Withings meastype 18')).length).toBe(3);
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('treats status ≠ 0 as an API error and goals as non-measurements', () => {
    const expired = mapPayload(withingsMapping, { index: 0, format: 'json', body: { status: 401 }, context: { device } });
    expect(expired.issues[0]).toMatchObject({ severity: 'error', code: 'processing', location: { path: '$.status' } });
    const goals = mapPayload(withingsMapping, { index: 0, format: 'json', body: parseJson(readFixture(SHIMMER, 'withings/mapper/withings-body-measures-only-goal.json')), context: { device } });
    expect(goals.observations).toEqual([]);
    expect(goals.issues.some((i) => /objective/.test(i.diagnostics))).toBe(true);
  });
});

describe('Fitbit intraday heart rate', () => {
  const body = parseJson(readFixture(SHIMMER, 'fitbit/mapper/fitbit-activities-heart-1d-1m-intraday.json'));

  it("dates local intraday times with the summary date and the user's zone", () => {
    const result = mapPayload(fitbitMapping, { index: 0, format: 'json', body, context: { device, timeZone: 'America/New_York' } });
    expect(result.observations.map((o: Json) => [o.effectiveDateTime, o.valueQuantity.value])).toEqual([
      ['2015-08-21T00:01:00-04:00', 64],
      ['2015-08-21T00:02:00-04:00', 63],
      ['2015-08-21T00:03:00-04:00', 64],
      ['2015-08-21T00:04:00-04:00', 65],
      ['2015-08-21T00:05:00-04:00', 65],
    ]);
    expect(result.issues.filter((i) => i.severity !== 'information')).toEqual([]);
  });

  it('warns when no time zone is known and needs a device', () => {
    const utc = mapPayload(fitbitMapping, { index: 0, format: 'json', body, context: { device } });
    expect(utc.observations[0]).toMatchObject({ effectiveDateTime: '2015-08-21T00:01:00Z' });
    expect(utc.issues[0]).toMatchObject({ severity: 'warning', code: 'incomplete' });
    const noDevice = mapPayload(fitbitMapping, { index: 0, format: 'json', body });
    expect(noDevice.issues[0]).toMatchObject({ severity: 'error', code: 'required' });
  });

  it('maps intraday steps as counts over their minute', () => {
    const steps = mapPayload(fitbitMapping, { index: 0, format: 'json', body: parseJson(readFixture(SHIMMER, 'fitbit/mapper/fitbit-activities-steps-1d-1m-intraday.json')), context: { device, timeZone: 'UTC' } });
    const first = steps.observations[0] as Json;
    expect(first.code.coding[0].code).toBe('55423-8');
    expect(first.effectivePeriod.end).toBe(new Date(Date.parse(first.effectivePeriod.start) + 59_000).toISOString().replace('.000Z', 'Z'));
  });

  it('groups a 1 s stream into SampledData when a mapping asks for it', async () => {
    const { parseMappingDefinition } = await import('../../mappings/definition/parse-definition.ts');
    const { mapping } = parseMappingDefinition(JSON.stringify({ id: 'fitbit-1hz', extends: 'fitbit', sampledData: [{ type: 'heart-rate', periodMs: 60_000, windowMinutes: 60 }] }));
    const results = [...mapPayloadsSync(mapping!, [{ index: 0, format: 'json', body, context: { device, timeZone: 'UTC' } }])];
    const grouped = results.at(-1)!.observations[0] as Json;
    expect(results.at(-1)!.index).toBe(-1);
    expect(grouped.valueSampledData.period).toBe(60_000);
    expect(grouped.valueSampledData.data.split(' ').slice(0, 7)).toEqual(['E', '64', '63', '64', '65', '65', 'E']);
    expect(grouped.effectivePeriod).toEqual({ start: '2015-08-21T00:00:00.000Z', end: '2015-08-21T00:59:59.999Z' });
  });
});

describe('Dexcom EGVs (documented v3 shape)', () => {
  const response = {
    recordType: 'egv',
    recordVersion: '3.0',
    userId: 'a2d1c5e0-0000-4000-8000-000000000001',
    records: [
      { recordId: 'r1', systemTime: '2024-02-06T09:12:35', displayTime: '2024-02-06T01:12:35', transmitterId: 'tx-g7-1', transmitterTicks: 1, value: 113, status: 'ok', trend: 'flat', trendRate: 0.1, unit: 'mg/dL', rateUnit: 'mg/dL/min', displayDevice: 'iOS', transmitterGeneration: 'g7' },
      { recordId: 'r2', systemTime: '2024-02-06T09:17:35', displayTime: '2024-02-06T01:17:35', transmitterId: 'tx-g7-1', transmitterTicks: 2, value: null, status: 'high', trend: 'doubleUp', trendRate: null, unit: 'mg/dL', rateUnit: 'mg/dL/min', displayDevice: 'iOS', transmitterGeneration: 'g7' },
    ],
  };

  it('reads systemTime as UTC and codes CGM readings with 99504-3', () => {
    const result = mapPayload(dexcomMapping, { index: 0, format: 'json', body: response });
    const [ok, high] = result.observations as Json[];
    expect(ok!.effectiveDateTime).toBe('2024-02-06T09:12:35Z');
    expect(ok!.code.coding[0]).toEqual({ system: 'http://loinc.org', code: '99504-3', display: 'Glucose [Mass/volume] in Interstitial fluid' });
    expect(ok!.valueQuantity).toEqual({ value: 113, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' });
    expect(ok!.device.identifier).toEqual({ system: 'urn:vitalchain:device-id:dexcom', value: 'tx-g7-1' });
    expect(ok!.subject).toEqual({ identifier: { system: 'urn:vitalchain:patient-id:dexcom', value: response.userId } });
    expect(high!.dataAbsentReason.coding[0].code).toBe('unknown');
    expect(high!.note[0].text).toBe('status high; trend doubleUp');
  });

  it('uses 105272-9 for mmol/L readings', () => {
    const molar = { ...response, records: [{ ...response.records[0], value: 6.3, unit: 'mmol/L' }] };
    const observation = mapPayload(dexcomMapping, { index: 0, format: 'json', body: molar }).observations[0] as Json;
    expect(observation.code.coding[0].code).toBe('105272-9');
    expect(observation.valueQuantity.code).toBe('mmol/L');
  });
});

describe('Apple Health export.xml', () => {
  const exportXml = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation)*)>
]>
<HealthData locale="en_US">
 <ExportDate value="2019-03-05 10:00:00 -0500"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth=""/>
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Jo's Watch" sourceVersion="5.1.3" device="&lt;&lt;HKDevice: 0x1&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch3,4, software:5.1.3&gt;" unit="count/min" creationDate="2019-03-02 20:42:24 -0500" startDate="2019-03-02 20:41:41 -0500" endDate="2019-03-02 20:41:41 -0500" value="79">
  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>
 </Record>
 <Record type="HKQuantityTypeIdentifierOxygenSaturation" sourceName="Jo's Watch" unit="%" startDate="2019-03-02 21:00:00 -0500" endDate="2019-03-02 21:00:00 -0500" value="0.97"/>
 <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Omron" unit="mmHg" startDate="2019-03-03 08:00:00 -0500" endDate="2019-03-03 08:00:00 -0500" value="121"/>
 <Record type="HKQuantityTypeIdentifierBloodPressureDiastolic" sourceName="Omron" unit="mmHg" startDate="2019-03-03 08:00:00 -0500" endDate="2019-03-03 08:00:00 -0500" value="79"/>
 <Record type="HKQuantityTypeIdentifierBodyMass" sourceName="Scale" unit="lb" startDate="2019-03-03 07:00:00 -0500" endDate="2019-03-03 07:00:00 -0500" value="170.4"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Jo's Phone" unit="count" startDate="2019-03-03 09:00:00 -0500" endDate="2019-03-03 09:10:00 -0500" value="412"/>
 <Record type="HKQuantityTypeIdentifierDietaryWater" sourceName="App" unit="mL" startDate="2019-03-03 09:00:00 -0500" endDate="2019-03-03 09:00:00 -0500" value="250"/>
 <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Omron" startDate="2019-03-03 08:00:00 -0500" endDate="2019-03-03 08:00:00 -0500">
  <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Omron" unit="mmHg" startDate="2019-03-03 08:00:00 -0500" endDate="2019-03-03 08:00:00 -0500" value="121"/>
  <Record type="HKQuantityTypeIdentifierBloodPressureDiastolic" sourceName="Omron" unit="mmHg" startDate="2019-03-03 08:00:00 -0500" endDate="2019-03-03 08:00:00 -0500" value="79"/>
 </Correlation>
</HealthData>`;

  it('streams records, drops top-level copies of correlated readings, and maps one BP panel', () => {
    const results = [...mapPayloadsSync(appleHealthMapping, splitBodySync(exportXml, 'application/xml', { patient: 'Patient/jo' }))];
    const observations = results.flatMap((r) => r.observations) as Json[];
    expect(observations.map((o) => o.code.coding[0].code)).toEqual(['8867-4', '2708-6', '29463-7', '55423-8', '85354-9']);
    const [hr, spo2, weight, steps, bp] = observations;
    expect(hr!.effectiveDateTime).toBe('2019-03-02T20:41:41-05:00');
    expect(hr!.valueQuantity.code).toBe('/min');
    expect(spo2!.valueQuantity.value).toBe(97);
    expect(weight!.valueQuantity).toMatchObject({ value: 170.4, code: '[lb_av]' });
    expect(steps!.valueQuantity).toMatchObject({ value: 412, code: '{steps}' });
    expect(steps!.effectivePeriod).toEqual({ start: '2019-03-03T09:00:00-05:00', end: '2019-03-03T09:10:00-05:00' });
    expect(bp!.component.map((c: Json) => c.valueQuantity.value)).toEqual([121, 79]);
    expect(bp!.subject).toEqual({ reference: 'Patient/jo' });
    expect(results.find((r) => r.observations.length === 0)!.issues[0]!.diagnostics).toBe('Record type HKQuantityTypeIdentifierDietaryWater is not mapped');
    expect(hr!.device.identifier).toEqual({ system: 'urn:vitalchain:device-id:apple-health', value: "Jo's Watch" });
    expect(results[0]!.devices[0]!.device.manufacturer).toBe('Apple Inc.');
  });

  it('agrees with HealthKitOnFHIR on the LOINC code and UCUM unit of every type it maps', () => {
    const mapping = readFixtureJson(FIXTURES, 'healthkitonfhir/Sources/HealthKitOnFHIR/Resources/HKSampleMapping.json').HKQuantitySamples as Json;
    const cases: [string, string, string][] = [
      ['HeartRate', 'count/min', '79'],
      ['RespiratoryRate', 'count/min', '14'],
      ['BodyTemperature', 'degC', '36.8'],
      ['BodyMass', 'lb', '170'],
      ['Height', 'in', '70'],
      ['BloodGlucose', 'mg/dL', '95'],
      ['StepCount', 'count', '100'],
      ['RestingHeartRate', 'count/min', '55'],
    ];
    for (const [type, unit, value] of cases) {
      const record = { element: 'Record', attributes: { type: `HKQuantityTypeIdentifier${type}`, sourceName: 'x', unit, value, startDate: '2024-01-01 10:00:00 +0000', endDate: '2024-01-01 10:00:00 +0000' }, metadata: {}, line: 1 };
      const observation = mapPayload(appleHealthMapping, { index: 0, format: 'apple-health-record', body: record }).observations[0] as Json;
      const expected = mapping[`HKQuantityTypeIdentifier${type}`];
      const loinc = expected.codings.find((c: Json) => c.system === 'http://loinc.org').code;
      expect(observation.code.coding.map((c: Json) => c.code), type).toContain(loinc);
      if (expected.unit.code) expect(observation.valueQuantity.code, type).toBe(expected.unit.code);
    }
  });

  it('reports malformed XML with its line', () => {
    expect(() => [...splitBodySync('<HealthData>\n<Record type="x"\n</HealthData>', 'application/xml')]).toThrow(/Malformed export.xml/);
  });
});

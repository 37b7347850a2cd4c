import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { definitionsOfType } from '../../conformance/definition-package.ts';
import { detectMapping, getBuiltInMapping, listMappings, mapPayloads, mapPayloadsSync, mappingDefinitionJsonSchema, parseMappingDefinition, splitBody, splitBodySync, type MappedPayload, type Mapping } from '../../mappings/index.ts';
import { INGEST_IDENTIFIER_SYSTEM } from '../../mappings/identity.ts';
import { PayloadError } from '../../mappings/issue.ts';
import { withPlainNumbers } from '../../server/fhir/json/index.ts';
import { IPF, MS_TEST_INPUT, OMH_TEST_DATA, SHIMMER, readFixture } from './fixture-paths.ts';

type Json = Record<string, any>;

const require = createRequire(import.meta.url);
const fhirpath = require('fhirpath') as { evaluate(resource: unknown, expression: string, context?: unknown, model?: unknown): unknown[] };
const r4model = require('fhirpath/fhir-context/r4');

function mapAll(mapping: Mapping, body: string, contentType?: string, context?: Json): MappedPayload[] {
  return [...mapPayloadsSync(mapping, splitBodySync(body, contentType, context))];
}

const BLE_BP = '{"characteristic":"2A35","value":"00 78 00 50 00 5D 00","deviceId":"AA:BB:CC:00:11:22","timestamp":"2024-05-01T10:00:00+02:00","patient":"Patient/p9"}';

describe('idempotency identifier', () => {
  it('is the same across runs and time-zone spellings of the same instant', () => {
    const mapping = getBuiltInMapping('ble-gatt')!;
    const first = mapAll(mapping, BLE_BP)[0]!.observations[0] as Json;
    const again = mapAll(mapping, BLE_BP)[0]!.observations[0] as Json;
    const utc = mapAll(mapping, BLE_BP.replace('2024-05-01T10:00:00+02:00', '2024-05-01T08:00:00Z'))[0]!.observations[0] as Json;
    expect(first.identifier).toEqual(again.identifier);
    expect(utc.identifier).toEqual(first.identifier);
    expect(first.identifier).toEqual([{ system: INGEST_IDENTIFIER_SYSTEM, value: 'http://hl7.org/fhir/sid/eui-48/bluetooth|AA-BB-CC-00-11-22|blood-pressure|20240501T080000Z' }]);
  });

  it('differs for another device, type or time', () => {
    const mapping = getBuiltInMapping('ble-gatt')!;
    const id = (body: string) => (mapAll(mapping, body)[0]!.observations[0] as Json).identifier[0].value;
    const base = id(BLE_BP);
    expect(id(BLE_BP.replace('AA:BB:CC:00:11:22', 'AA:BB:CC:00:11:23'))).not.toBe(base);
    expect(id(BLE_BP.replace('10:00:00', '10:00:01'))).not.toBe(base);
    expect(id(BLE_BP.replace('2A35', '2A37').replace('00 78 00 50 00 5D 00', '00 48'))).not.toBe(base);
  });
});

describe('output against the R4 vital-signs profile family', () => {
  const structures = new Map(definitionsOfType('StructureDefinition').map((sd) => [sd.url as string, sd]));
  const vitalsigns = structures.get('http://hl7.org/fhir/StructureDefinition/vitalsigns')!;
  const constraints = (vitalsigns.snapshot.element as Json[]).flatMap((element) => (element.constraint ?? []).filter((c: Json) => /^vs-\d/.test(c.key)).map((c: Json) => ({ key: c.key as string, expression: c.expression as string, path: element.path as string })));
  const byLoinc = new Map<string, Json>();
  for (const sd of structures.values()) {
    if (sd.baseDefinition !== vitalsigns.url) continue;
    for (const element of sd.snapshot.element as Json[]) if (/^Observation\.code\.coding:[^.]+\.code$/.test(element.id) && element.fixedCode) byLoinc.set(element.fixedCode, sd);
  }

  function outputs(): Json[] {
    const ble = mapAll(getBuiltInMapping('ble-gatt')!, [BLE_BP, '{"characteristic":"2A5E","value":"00 61 00 40 00","deviceId":"ox-1","timestamp":"2024-05-01T10:00:00Z"}', '{"characteristic":"2A9D","value":"08 B0 36 F1 00 B0 06","deviceId":"sc-1","timestamp":"2024-05-01T10:00:00Z"}', '{"characteristic":"2A1C","value":"00 6E 01 00 FF","deviceId":"t-1","timestamp":"2024-05-01T10:00:00Z"}'].join('\n'), 'application/x-ndjson');
    const pcd = mapAll(getBuiltInMapping('ihe-pcd01')!, readFixture(IPF, 'pcd01/valid-pcd01-request.hl7v2'));
    const omh = mapAll(getBuiltInMapping('openmhealth')!, readFixture(OMH_TEST_DATA, 'respiratory-rate/2.0/shouldPass/respiratory-rate-only.json'), undefined, { device: { system: 'urn:x', value: 'y' } });
    const withings = mapAll(getBuiltInMapping('withings')!, readFixture(SHIMMER, 'withings/mapper/withings-body-measures.json'), undefined, { device: { system: 'urn:x', value: 'y' } });
    return [...ble, ...pcd, ...omh, ...withings].flatMap((result) => result.observations) as Json[];
  }

  it('meets vs-1, vs-2, vs-3 and the fixed code, unit and category of each child profile', () => {
    const checked = new Set<string>();
    for (const observation of outputs()) {
      expect(observation.id).toBeUndefined();
      expect(observation.meta).toBeUndefined();
      expect(observation.identifier[0].system).toBe(INGEST_IDENTIFIER_SYSTEM);
      expect(Object.keys(observation.device)).toEqual(['identifier']);
      const loinc = observation.code.coding.find((c: Json) => c.system === 'http://loinc.org')?.code;
      const profile = loinc ? byLoinc.get(loinc) : undefined;
      if (!profile) continue;
      checked.add(profile.id);
      const plain = withPlainNumbers(observation);
      for (const constraint of constraints) {
        const base = constraint.path === 'Observation' ? 'Observation' : constraint.path.replace('[x]', '');
        const results = fhirpath.evaluate(plain, `${base}.all(${constraint.expression})`, undefined, r4model);
        expect(results, `${profile.id} ${constraint.key}`).toEqual([true]);
      }
      expect(observation.category.some((c: Json) => c.coding.some((k: Json) => k.system === 'http://terminology.hl7.org/CodeSystem/observation-category' && k.code === 'vital-signs'))).toBe(true);
      const quantities = observation.valueQuantity ? [observation.valueQuantity] : observation.component.filter((c: Json) => c.valueQuantity).map((c: Json) => c.valueQuantity);
      for (const quantity of quantities) {
        expect(quantity.system).toBe('http://unitsofmeasure.org');
        const unitElement = (profile.snapshot.element as Json[]).find((e) => /valueQuantity\.code$/.test(e.id) && (e.fixedCode || e.binding));
        if (unitElement?.fixedCode && observation.valueQuantity) expect(quantity.code, profile.id).toBe(unitElement.fixedCode);
      }
    }
    expect([...checked].sort()).toEqual(['bmi', 'bodyheight', 'bodytemp', 'bodyweight', 'bp', 'heartrate', 'oxygensat', 'resprate']);
  });
});

describe('splitting request bodies', () => {
  it('splits JSON arrays, NDJSON (declared or not) and reports malformed JSON with line and column', () => {
    expect([...splitBodySync('[{"a":1},{"a":2}]')].map((p) => [p.index, p.body])).toEqual([[0, { a: 1 }], [1, { a: 2 }]]);
    expect([...splitBodySync('{"a":1}\n\n{"a":2}\n', 'application/x-ndjson')].map((p) => [p.index, p.line])).toEqual([[0, 1], [1, 3]]);
    expect([...splitBodySync('{"a":1}\n{"a":2}')].length).toBe(2);
    try {
      [...splitBodySync('{"a":1}\n{"a":\n  }\n', 'application/x-ndjson')];
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PayloadError);
      expect((error as PayloadError).line).toBe(2);
    }
    try {
      [...splitBodySync('{\n  "a": tru\n}')];
      expect.unreachable();
    } catch (error) {
      expect((error as PayloadError).line).toBe(2);
      expect((error as PayloadError).column).toBe(8);
    }
  });

  it('streams NDJSON and export.xml from chunks cut anywhere', async () => {
    async function* chunks(text: string, size: number) {
      for (let at = 0; at < text.length; at += size) yield Buffer.from(text.slice(at, at + size));
    }
    const ndjson = Array.from({ length: 25 }, (_, i) => JSON.stringify({ n: i })).join('\n');
    const streamed: unknown[] = [];
    for await (const payload of splitBody(chunks(ndjson, 7), 'application/x-ndjson')) streamed.push(payload.body);
    expect(streamed).toEqual(Array.from({ length: 25 }, (_, i) => ({ n: i })));
    const xml = `<HealthData>${Array.from({ length: 10 }, (_, i) => `<Record type="HKQuantityTypeIdentifierHeartRate" sourceName="w" unit="count/min" startDate="2024-01-01 10:0${i}:00 +0000" endDate="2024-01-01 10:0${i}:00 +0000" value="${60 + i}"/>`).join('\n')}</HealthData>`;
    const records: unknown[] = [];
    for await (const payload of splitBody(chunks(xml, 13))) records.push((payload.body as Json).attributes.value);
    expect(records).toEqual(Array.from({ length: 10 }, (_, i) => String(60 + i)));
  });

  it('maps 10,000 streamed readings one payload at a time', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ characteristic: '2A37', value: `00 ${(50 + (i % 100)).toString(16)}`, deviceId: `dev-${i % 10}`, timestamp: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString() }));
    async function* body() {
      for (let at = 0; at < lines.length; at += 500) yield lines.slice(at, at + 500).join('\n') + '\n';
    }
    let observations = 0;
    let errors = 0;
    for await (const result of mapPayloads(getBuiltInMapping('ble-gatt')!, splitBody(body(), 'application/x-ndjson'))) {
      observations += result.observations.length;
      errors += result.issues.filter((i) => i.severity === 'error').length;
    }
    expect(observations).toBe(10_000);
    expect(errors).toBe(0);
  });
});

describe('detectMapping', () => {
  it('recognises each built-in format from the start of the body', () => {
    expect(detectMapping(readFixture(IPF, 'pcd01/valid-pcd01-request.hl7v2'))).toBe('ihe-pcd01');
    expect(detectMapping(BLE_BP)).toBe('ble-gatt');
    expect(detectMapping(readFixture(SHIMMER, 'fitbit/mapper/fitbit-activities-heart-1d-1m-intraday.json'))).toBe('fitbit');
    expect(detectMapping(readFixture(SHIMMER, 'withings/mapper/withings-body-measures.json'))).toBe('withings');
    expect(detectMapping(readFixture(OMH_TEST_DATA, 'heart-rate/2.0/shouldPass/with-temporal-relationship-to-sleep.json'))).toBe('openmhealth');
    expect(detectMapping('{"recordType":"egv","records":[{"systemTime":"2024-01-01T00:00:00","value":100}]}')).toBe('dexcom');
    expect(detectMapping('<?xml version="1.0"?><HealthData locale="en_US"><Record type="x"/></HealthData>', 'application/xml')).toBe('apple-health');
    expect(detectMapping(Buffer.from(BLE_BP))).toBe('ble-gatt');
    expect(detectMapping(readFixture(MS_TEST_INPUT, 'data_IotHubPayloadExample.json'))).toBeUndefined();
  });
});

describe('declarative mapping definitions', () => {
  const definition = `{
  "id": "acme-bp",
  "title": "ACME cuff",
  "identity": "create",
  "device": { "path": "$.serial", "system": "urn:acme:serial", "manufacturer": "ACME" },
  "patient": { "path": "$.patient" },
  "timestamp": { "path": "$.ts", "format": "unix-s" },
  "measurements": [
    { "type": "blood-pressure", "match": "$.readings[*]", "values": [
      { "name": "systolic", "path": "$.sys", "unit": "mmHg" },
      { "name": "diastolic", "path": "$.dia", "unit": "mmHg" } ] },
    { "type": "cuff-pressure", "values": [ { "name": "value", "path": "$.cuff", "unit": "kPa", "required": false } ] }
  ],
  "observations": [
    { "type": "cuff-pressure", "code": [{ "system": "urn:acme:codes", "code": "cuff" }], "value": { "from": "value", "unit": "mm[Hg]" } }
  ]
}`;

  it('maps a payload with it', () => {
    const { mapping, issues } = parseMappingDefinition(definition);
    expect(issues).toEqual([]);
    const payload = '{"serial":"SN-1","patient":"Patient/a","ts":1700000000,"readings":[{"sys":"118","dia":"76"},{"sys":120,"dia":79}],"cuff":2}';
    const [result] = mapAll(mapping!, payload);
    expect(result!.devices).toEqual([{ device: { identifier: { system: 'urn:acme:serial', value: 'SN-1' }, manufacturer: 'ACME' }, patient: { reference: 'Patient/a' }, identity: 'create' }]);
    const [first, second, cuff] = result!.observations as Json[];
    expect(first!.effectiveDateTime).toBe('2023-11-14T22:13:20Z');
    expect(first!.component.map((c: Json) => c.valueQuantity.value)).toEqual([118, 76]);
    expect(second!.component.map((c: Json) => c.valueQuantity.value)).toEqual([120, 79]);
    // 2 kPa = 15.0 mm[Hg] (2 × 7.50062), no source decimals beyond the factor's magnitude.
    expect(cuff!.valueQuantity).toMatchObject({ value: 15, code: 'mm[Hg]' });
  });

  it('reports schema errors and bad JSONPath at their line and column', () => {
    const badIdentity = parseMappingDefinition(definition.replace('"identity": "create"', '"identity": "maybe"'));
    expect(badIdentity.mapping).toBeUndefined();
    expect(badIdentity.issues[0]!.location).toMatchObject({ source: 'template', path: '$.identity', line: 4, column: 3 });
    const badPath = parseMappingDefinition(definition.replace('"path": "$.sys"', '"path": "$.sys["'));
    expect(badPath.issues[0]!.location).toMatchObject({ path: '$.measurements[0].values[0].path', line: 10 });
    const badJson = parseMappingDefinition('{\n  "id": "x",\n  "measurements": [\n}');
    expect(badJson.issues[0]!.location).toMatchObject({ line: 4, column: 1 });
    const unknownBase = parseMappingDefinition('{"id":"x","extends":"nope"}');
    expect(unknownBase.issues[0]!.diagnostics).toBe("Unknown built-in mapping 'nope'");
  });

  it('exports a JSON Schema for editors', () => {
    const schema = mappingDefinitionJsonSchema();
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties as Json)).toEqual(expect.arrayContaining(['id', 'identity', 'extends', 'measurements', 'observations', 'sampledData']));
    const committed = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../mappings/definition/mapping-definition.schema.json'), 'utf8'));
    expect(committed).toEqual(schema);
  });
});

describe('registry', () => {
  it('lists the seven built-in mappings by id', () => {
    expect(listMappings().map((m) => m.id).sort()).toEqual(['apple-health', 'ble-gatt', 'dexcom', 'fitbit', 'ihe-pcd01', 'openmhealth', 'withings']);
    expect(getBuiltInMapping('nope')).toBeUndefined();
  });
});

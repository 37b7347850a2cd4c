import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/test-server.ts';
import { BLE_MAC_SYSTEM, count, fixture, ingest, MS_SAMPLES, MS_TEST_INPUT, outcomeText, registerDevice, startOn, type Restartable } from './ingest-helpers.ts';

const parts = (parameters: any, name: string) => parameters.parameter.filter((p: any) => p.name === name);
const part = (parameters: any, name: string) => parts(parameters, name)[0];
const sub = (mapping: any, name: string) => mapping.part.find((p: any) => p.name === name);

const WATCH_MAPPING = `{
  "id": "acme-watch",
  "title": "ACME watch",
  "device": { "path": "$.serial", "system": "urn:example:acme" },
  "measurements": [
    {
      "type": "heart-rate",
      "timestamp": { "path": "$.ts", "format": "unix-s" },
      "values": [{ "name": "value", "path": "$.hr", "unit": "bpm" }]
    }
  ]
}`;

describe('$map dry run and $mappings', () => {
  const dataDir = tempDir('ingest-mappings');
  const mappingsDir = tempDir('mapping-files');
  let s: Restartable;
  beforeAll(async () => {
    fs.writeFileSync(path.join(mappingsDir, 'acme-watch.json'), WATCH_MAPPING);
    fs.writeFileSync(path.join(mappingsDir, 'broken.json'), '{ "id": "broken", "extends": }');
    s = await startOn(dataDir, { MAPPINGS_DIR: mappingsDir });
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(mappingsDir, { recursive: true, force: true });
  });

  it('$map with a Parameters mapping and payload parts returns Observations, measurements and one outcome, writing nothing', async () => {
    const before = (await s.server.services.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource')).rows[0]!.n;
    const reply = await s.fhir('POST', '$map', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'mapping', valueString: WATCH_MAPPING },
        { name: 'payload', valueString: JSON.stringify({ serial: 'W-1', ts: 1735689600, hr: 61 }) },
        { name: 'payload', valueString: JSON.stringify({ serial: 'W-1', ts: 1735689660, hr: 400 }) },
        { name: 'payload', valueString: '{"serial": "W-1", "ts": ' },
      ],
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json.resourceType).toBe('Parameters');
    const observations = parts(reply.json, 'observation').map((p: any) => p.resource);
    expect(observations.map((o: any) => o.valueQuantity.value)).toEqual([61, 400]);
    expect(observations[0].effectiveDateTime).toBe('2025-01-01T00:00:00Z');
    expect(observations[0].valueQuantity.code).toBe('/min');
    const measurements = parts(reply.json, 'measurement').map((p: any) => JSON.parse(p.valueString));
    expect(measurements.map((m: any) => [m.type, m.values[0].value, m.values[0].unit])).toEqual([['heart-rate', 61, 'bpm'], ['heart-rate', 400, 'bpm']]);
    expect(parts(reply.json, 'outcome')).toHaveLength(1);
    const outcome = part(reply.json, 'outcome').resource;
    const text = outcomeText(outcome);
    // The absurd value names its payload part; the truncated payload its part, line and column.
    expect(outcome.issue.find((i: any) => /outside/.test(i.diagnostics)).expression).toContain('Parameters.parameter[2].valueString');
    const truncated = outcome.issue.find((i: any) => /Malformed JSON/.test(i.diagnostics));
    expect(truncated.expression).toContain('Parameters.parameter[3].valueString');
    expect(truncated.location[0]).toMatch(/line 1, column 25/);
    expect(text).toMatch(/subject is required/);
    expect((await s.server.services.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource')).rows[0]!.n).toBe(before);
  });

  it('$map reports template errors with their line and column (our format and MedTech templates)', async () => {
    const dryRun = (mapping: string) => s.fhir('POST', '$map', { resourceType: 'Parameters', parameter: [{ name: 'mapping', valueString: mapping }, { name: 'payload', valueString: '{}' }] });
    const reply = await dryRun(WATCH_MAPPING.replace('"format": "unix-s"', '"format": "unix-x"'));
    expect(reply.status).toBe(200);
    const format = part(reply.json, 'outcome').resource.issue.find((i: any) => i.severity === 'error');
    expect(format.location[0]).toMatch(/^template \$\.measurements\[0\]\.timestamp\.format \(line 8, column \d+\)/);
    const badPath = await dryRun(WATCH_MAPPING.replace('"path": "$.hr"', '"path": "$.hr[?("'));
    const jsonPath = part(badPath.json, 'outcome').resource.issue.find((i: any) => i.severity === 'error');
    expect(jsonPath.location[0]).toMatch(/^template \$\.measurements\[0\]\.values\[0\]\.path \(line 9, column \d+\)/);
    expect(parts(reply.json, 'observation')).toHaveLength(0);

    const medtech = await s.fhir('POST', '$map', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'deviceMapping', valueString: fixture(MS_TEST_INPUT, 'data_IotJsonPathContentTemplateInvalidMissingTypeMetadata.json') },
        { name: 'payload', valueString: fixture(MS_TEST_INPUT, 'data_IotHubPayloadExample.json') },
      ],
    });
    const medtechIssues = part(medtech.json, 'outcome').resource.issue.filter((i: any) => i.severity === 'error');
    expect(medtechIssues.length).toBeGreaterThan(0);
    expect(medtechIssues[0].location[0]).toMatch(/^template device\.template.* \(line \d+, column \d+\)/);
  });

  it('$map with MedTech device + FHIR templates maps the Microsoft sample payload', async () => {
    const reply = await s.fhir('POST', '$map', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'deviceMapping', valueString: fixture(MS_SAMPLES, 'basic/devicecontent.json') },
        { name: 'fhirMapping', valueString: fixture(MS_TEST_INPUT, 'data_CodeValueFhirTemplate_Quantity.json') },
        { name: 'payload', valueString: JSON.stringify({ Body: { systolic: '120', diastolic: '80', deviceid: 'dev-1', patientid: 'Patient/p1', measurementdatetime: '2024-01-02T10:15:30Z' } }) },
      ],
    });
    const [bp] = parts(reply.json, 'observation').map((p: any) => p.resource);
    expect(bp.component.map((c: any) => c.valueQuantity.value).sort()).toEqual([120, 80].sort());
    expect(bp.subject).toEqual({ reference: 'Patient/p1' });
    // The upstream template codes diastolic as 8867-4: the vital-signs profile check says so.
    expect(outcomeText(part(reply.json, 'outcome').resource)).toMatch(/8462-4/);

    // Microsoft's basic FHIR template writes heart rate in 'count/min', which is not UCUM: reported at its template line.
    const basic = await s.fhir('POST', '$map', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'deviceMapping', valueString: fixture(MS_SAMPLES, 'basic/devicecontent.json') },
        { name: 'fhirMapping', valueString: fixture(MS_SAMPLES, 'basic/fhirmapping.json') },
        { name: 'payload', valueString: JSON.stringify({ Body: { heartrate: '78', deviceid: 'dev-1', patientid: 'Patient/p1', measurementdatetime: '2024-01-02T10:15:30Z' } }) },
      ],
    });
    const ucum = part(basic.json, 'outcome').resource.issue.find((i: any) => /count\/min/.test(i.diagnostics));
    expect(ucum.code).toBe('code-invalid');
    expect(ucum.location[0]).toMatch(/^template fhir\.template\[0\]\.template\.value\.unit \(line \d+, column \d+\)/);
    expect(parts(basic.json, 'observation')[0].resource.valueSampledData.data.split(' ')[930]).toBe('78');
  });

  it('lists built-in mappings and the one loaded from MAPPINGS_DIR; the broken file is skipped', async () => {
    const reply = await s.fhir('GET', '$mappings');
    const ids = parts(reply.json, 'mapping').map((m: any) => sub(m, 'id').valueString);
    expect(ids).toEqual(expect.arrayContaining(['openmhealth', 'ble-gatt', 'ihe-pcd01', 'fitbit', 'withings', 'apple-health', 'dexcom', 'acme-watch']));
    expect(ids).not.toContain('broken');
    const acme = parts(reply.json, 'mapping').find((m: any) => sub(m, 'id').valueString === 'acme-watch');
    expect([sub(acme, 'version').valueInteger, sub(acme, 'source').valueCode, sub(acme, 'kind').valueCode]).toEqual([1, 'file', 'declarative']);
  });

  it('adds, replaces (new version) and keeps versions; refuses bad definitions with line/column and built-in ids', async () => {
    const v1 = { id: 'acme-band', extends: 'ble-gatt', identity: 'lookup' };
    const first = await s.fhir('POST', '$mappings', v1);
    expect(first.status).toBe(201);
    expect(part(first.json, 'version').valueInteger).toBe(1);
    expect((await s.fhir('POST', '$mappings', v1)).status).toBe(200);
    const second = await s.fhir('POST', '$mappings', { resourceType: 'Parameters', parameter: [{ name: 'mapping', valueString: JSON.stringify({ ...v1, identity: 'create' }) }] });
    expect(second.status).toBe(201);
    expect(part(second.json, 'version').valueInteger).toBe(2);
    const versions = await s.fhir('GET', '$mappings?id=acme-band');
    expect(parts(versions.json, 'mapping').map((m: any) => [sub(m, 'version').valueInteger, JSON.parse(sub(m, 'mapping').valueString).identity])).toEqual([[1, 'lookup'], [2, 'create']]);

    const bad = await s.fhir('POST', '$mappings', { resourceType: 'Parameters', parameter: [{ name: 'mapping', valueString: '{\n  "id": "bad-one",\n  "extends": "ble-gatt",\n  "identity": "sometimes"\n}' }] });
    expect(bad.status).toBe(422);
    expect(bad.json.issue[0].location[0]).toMatch(/line 4, column \d+/);
    const syntax = await s.fhir('POST', '$mappings', { resourceType: 'Parameters', parameter: [{ name: 'mapping', valueString: '{\n  "id": "bad-two",,\n}' }] });
    expect(syntax.status).toBe(400);
    expect(syntax.json.issue[0].location[0]).toMatch(/line 2, column/);
    const builtIn = await s.fhir('POST', '$mappings', { id: 'ble-gatt', extends: 'ble-gatt' });
    expect(builtIn.status).toBe(422);
    expect(outcomeText(builtIn.json)).toMatch(/built-in/);
  });

  it('uses a named version (id|version) and the latest by default; mappings persist across a restart', async () => {
    await registerDevice(s.fhir, 'mv-p', 'mv-d', BLE_MAC_SYSTEM, 'AA-BB-CC-00-44-01');
    const reading = (mac: string, t: string) => JSON.stringify({ characteristic: '2A37', value: '00 50', deviceId: mac, timestamp: t });
    // Version 1 of acme-band is lookup: an unknown device is refused; version 2 (latest) creates it.
    expect((await ingest(s.fhir, reading('AA:BB:CC:00:44:09', '2025-08-01T00:00:00Z'), `mapping=${encodeURIComponent('acme-band|1')}`)).status).toBe(422);
    expect((await ingest(s.fhir, reading('AA:BB:CC:00:44:09', '2025-08-01T00:00:00Z'), 'mapping=acme-band')).status).toBe(200);

    await s.close();
    s = await startOn(dataDir, { MAPPINGS_DIR: mappingsDir });
    const versions = await s.fhir('GET', '$mappings?id=acme-band');
    expect(parts(versions.json, 'mapping')).toHaveLength(2);
    // The unchanged file does not add a version at the restart.
    expect(parts((await s.fhir('GET', '$mappings?id=acme-watch')).json, 'mapping')).toHaveLength(1);
    expect((await ingest(s.fhir, reading('AA:BB:CC:00:44:0A', '2025-08-01T00:00:00Z'), 'mapping=acme-band')).status).toBe(200);
    expect(await count(s.fhir, `Device?identifier=${BLE_MAC_SYSTEM}|AA-BB-CC-00-44-0A`)).toBe(1);
  }, 60_000);
});

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { BLE_MAC_SYSTEM, BLE_VECTORS, entryStatuses, fixture, ingest, IPF_PCD01, MS_SAMPLES, MS_TEST_INPUT, OMH_TEST_DATA, registerDevice, search, SHIMMER } from './ingest-helpers.ts';

/** $ingest of every kind of built-in input from the real fixtures, stored and searchable. */
describe('$ingest formats (real fixtures)', () => {
  let s: TestServer;
  const vectors = JSON.parse(fs.readFileSync(BLE_VECTORS, 'utf8'));

  beforeAll(async () => {
    s = await startTestServer('pglite', { PROVENANCE: 'off', RISK_SCORING: 'off' });
  }, 60_000);
  afterAll(async () => s?.close());

  it('BLE GATT: heart rate, blood pressure, temperature and weight vectors become Observations of the Device and its Patient', async () => {
    await registerDevice(s.fhir, 'ble-p', 'ble-d', BLE_MAC_SYSTEM, 'AA-BB-CC-DD-EE-01');
    const hr = vectors['0x2A37_heart_rate_measurement'][0];
    const bp = vectors['0x2A35_blood_pressure_measurement'].find((v: any) => v.expect.unit === 'mmHg' && v.expect.timestamp === undefined);
    const temp = vectors['0x2A1C_temperature_measurement'][0];
    const weight = vectors['0x2A9D_weight_measurement'][0];
    const payloads = [
      { characteristic: '2A37', value: hr.raw, deviceId: 'AA:BB:CC:DD:EE:01', timestamp: '2025-03-01T10:00:00Z' },
      { characteristic: '2A35', value: bp.raw, deviceId: 'AA:BB:CC:DD:EE:01', timestamp: '2025-03-01T10:01:00Z' },
      { characteristic: '2A1C', value: temp.raw, deviceId: 'AA:BB:CC:DD:EE:01', timestamp: '2025-03-01T10:02:00Z' },
      { characteristic: '2A9D', value: weight.raw, deviceId: 'AA:BB:CC:DD:EE:01', timestamp: '2025-03-01T10:03:00Z' },
    ];
    const reply = await ingest(s.fhir, payloads.map((p) => JSON.stringify(p)).join('\n'), '', 'application/x-ndjson');
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json.type).toBe('transaction-response');
    expect(entryStatuses(reply.json).every((status) => status === '201 Created')).toBe(true);

    const stored = await search(s.fhir, 'Observation?device=Device/ble-d');
    expect(stored.every((o) => o.subject.reference === 'Patient/ble-p' && o.device.reference === 'Device/ble-d')).toBe(true);
    const byLoinc = (code: string) => stored.find((o) => o.code.coding.some((c: any) => c.system === 'http://loinc.org' && c.code === code));
    expect(byLoinc('8867-4').valueQuantity.value).toBe(hr.expect.heartRate);
    const bloodPressure = byLoinc('85354-9');
    const component = (code: string) => bloodPressure.component.find((c: any) => c.code.coding.some((x: any) => x.code === code)).valueQuantity.value;
    expect([component('8480-6'), component('8462-4')]).toEqual([bp.expect.systolic, bp.expect.diastolic]);
    expect(byLoinc('8310-5').valueQuantity.value).toBe(temp.expect.temperature);
    expect(byLoinc('29463-7').valueQuantity.value).toBe(weight.expect.weight);
    // The stored location in the response resolves to the Observation.
    const first = await s.fhir('GET', reply.json.entry[0].response.location);
    expect(first.status).toBe(200);
  });

  it('Open mHealth: a heart-rate data point from the schema test data, with the device given as a parameter', async () => {
    await registerDevice(s.fhir, 'omh-p', 'omh-d', 'urn:example:watch', 'watch-7');
    const dir = path.join(OMH_TEST_DATA, 'heart-rate/2.0/shouldPass');
    const file = fs.readdirSync(dir).sort()[0]!;
    const body = JSON.parse(fixture(dir, file));
    const reply = await ingest(s.fhir, JSON.stringify(body), `device=${encodeURIComponent('urn:example:watch|watch-7')}`);
    expect(reply.status, reply.text).toBe(200);
    const [observation] = await search(s.fhir, 'Observation?subject=Patient/omh-p&code=http://loinc.org|8867-4');
    expect(observation.valueQuantity.value).toBe((body.body ?? body).heart_rate.value);
  });

  it('IHE PCD-01: the IPF blood-pressure ORU^R01 as HL7 v2 text, patient and device by identifier', async () => {
    const hl7 = fixture(IPF_PCD01, 'valid-pcd01-request.hl7v2');
    // The message names device EUI-64 0123456789ABCDEF (OBX-18) and patient 789567 of "Imaginary Hospital" (PID-3).
    const eui = 'urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680';
    await s.fhir('PUT', 'Patient/pcd-p', { resourceType: 'Patient', id: 'pcd-p', identifier: [{ system: 'urn:vitalchain:patient-id:Imaginary%20Hospital', value: '789567' }] });
    await s.fhir('PUT', 'Device/pcd-d', { resourceType: 'Device', id: 'pcd-d', identifier: [{ system: eui, value: '01-23-45-67-89-AB-CD-EF' }] });
    const reply = await ingest(s.fhir, hl7, '', 'application/hl7-v2');
    expect(reply.status, reply.text).toBe(200);
    const [bp] = await search(s.fhir, 'Observation?subject=Patient/pcd-p&code=http://loinc.org|85354-9');
    expect(bp.device.reference).toBe('Device/pcd-d');
    const values = Object.fromEntries(bp.component.map((c: any) => [c.code.coding.find((x: any) => x.system === 'urn:iso:std:iso:11073:10101').code, c.valueQuantity.value]));
    expect(values).toMatchObject({ 150021: 120, 150022: 80, 150023: 100 });
    expect(bp.effectiveDateTime.startsWith('2009-08-13T09:57:15')).toBe(true);
  });

  it('Withings (vendor cloud, shimmer fixture): value × 10^unit per measure group', async () => {
    await registerDevice(s.fhir, 'wi-p', 'wi-d', 'urn:example:withings', 'scale-1');
    const body = fixture(SHIMMER, 'withings/mapper/withings-body-measures.json');
    const reply = await ingest(s.fhir, body, `mapping=withings&device=${encodeURIComponent('urn:example:withings|scale-1')}`);
    expect(reply.status, reply.text).toBe(200);
    const stored = await search(s.fhir, 'Observation?subject=Patient/wi-p');
    expect(stored.length).toBe(entryStatuses(reply.json).length);
    // The first measure group of the fixture carries a blood pressure of 104/68 (value 104 unit 0, value 68 unit 0).
    const group = JSON.parse(body).body.measuregrps.find((g: any) => g.measures.some((m: any) => m.type === 10));
    const systolic = group.measures.find((m: any) => m.type === 10);
    const bp = stored.find((o) => o.component?.some((c: any) => c.code.coding.some((x: any) => x.code === '8480-6') && c.valueQuantity.value === systolic.value * 10 ** systolic.unit));
    expect(bp).toBeDefined();
  });

  it('MedTech templates added with $mappings, then used by $ingest (create mode: shell Device and Patient, SampledData merged across requests)', async () => {
    const added = await s.fhir('POST', '$mappings', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'id', valueString: 'ms-basic' },
        { name: 'identity', valueCode: 'create' },
        { name: 'deviceMapping', valueString: fixture(MS_SAMPLES, 'basic/devicecontent.json') },
        { name: 'fhirMapping', valueString: fixture(MS_SAMPLES, 'basic/fhirmapping.json') },
      ],
    });
    expect(added.status, added.text).toBe(201);
    const payload = (heartrate: string, time: string) => JSON.stringify({ Body: { heartrate, deviceid: 'ms-dev-1', patientid: 'ms-patient-1', measurementdatetime: time } });
    const reply = await ingest(s.fhir, payload('78', '2024-01-02T10:15:30Z'), 'mapping=ms-basic');
    expect(reply.status, reply.text).toBe(200);
    const [device] = await search(s.fhir, 'Device?identifier=urn:vitalchain:device-id|ms-dev-1');
    const [patient] = await search(s.fhir, 'Patient?identifier=urn:vitalchain:patient-id|ms-patient-1');
    expect(device.patient.reference).toBe(`Patient/${patient.id}`);
    expect(entryStatuses(reply.json)).toEqual(['201 Created', '201 Created', '201 Created']);
    const [window] = await search(s.fhir, `Observation?device=Device/${device.id}`);
    expect(window.subject.reference).toBe(`Patient/${patient.id}`);
    // The basic sample streams heart rate as 1 s SampledData per hour: 10:15:30 is slot 930.
    const slots = window.valueSampledData.data.split(' ');
    expect(slots).toHaveLength(3600);
    expect(slots[930]).toBe('78');

    // A later request with more samples of the same hour merges into the stored window.
    const more = await ingest(s.fhir, payload('80', '2024-01-02T10:20:00Z'), 'mapping=ms-basic');
    expect(more.status, more.text).toBe(200);
    const after = await search(s.fhir, `Observation?device=Device/${device.id}`);
    expect(after).toHaveLength(1);
    expect(after[0].meta.versionId).toBe('2');
    const merged = after[0].valueSampledData.data.split(' ');
    expect([merged[930], merged[1200], merged.filter((slot: string) => slot !== 'E').length]).toEqual(['78', '80', 2]);
    // The same samples again change nothing.
    const again = await ingest(s.fhir, payload('80', '2024-01-02T10:20:00Z'), 'mapping=ms-basic');
    expect(entryStatuses(again.json)).toEqual(['200 OK']);
    expect((await search(s.fhir, `Observation?device=Device/${device.id}`))[0].meta.versionId).toBe('2');
  });

  it('detects the mapping when none is named', async () => {
    await registerDevice(s.fhir, 'det-p', 'det-d', BLE_MAC_SYSTEM, 'AA-BB-CC-DD-EE-02');
    const reply = await ingest(s.fhir, JSON.stringify({ characteristic: '2A37', value: '00 48', deviceId: 'AA:BB:CC:DD:EE:02', timestamp: '2025-03-02T10:00:00Z' }));
    expect(reply.status, reply.text).toBe(200);
    expect((await search(s.fhir, 'Observation?device=Device/det-d'))[0].valueQuantity.value).toBe(0x48);
    const unknown = await ingest(s.fhir, JSON.stringify({ something: 'else' }));
    expect(unknown.status).toBe(400);
    expect(unknown.json.issue[0].diagnostics).toMatch(/mapping/);
  });

  it('Device/{id}/$ingest attributes payloads without a device id to that Device', async () => {
    await registerDevice(s.fhir, 'fb-p', 'fb-d', 'urn:example:fitbit', 'tracker-1');
    const body = fixture(SHIMMER, 'fitbit/mapper/fitbit-activities-heart-1d-1m-intraday.json');
    const withoutDevice = await ingest(s.fhir, body, 'mapping=fitbit&timeZone=Europe/Berlin');
    expect(withoutDevice.status).toBe(422);
    const reply = await ingest(s.fhir, body, 'mapping=fitbit&timeZone=Europe/Berlin', 'application/json', 'Device/fb-d/$ingest');
    expect(reply.status, reply.text).toBe(200);
    const dataset = JSON.parse(body)['activities-heart-intraday'].dataset;
    const stored = await search(s.fhir, 'Observation?device=Device/fb-d&code=http://loinc.org|8867-4');
    expect(stored.map((o) => o.valueQuantity.value).sort()).toEqual(dataset.map((d: any) => Number(d.value)).sort());
  });
});

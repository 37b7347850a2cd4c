import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { obx, plethRows, WCM_DEVICE, WCM_PATIENT, wcmMessage } from '../mappings/wcm-messages.ts';
import { count, entryStatuses, ingest, outcomeText } from './ingest-helpers.ts';

// A synthesised WCM message (no NA fixture exists in ../shared; see wcm-messages.ts): an ECG heart
// rate (NM) and a pleth waveform (NA with its sample-period facet).
const MESSAGE = wcmMessage([
  obx('NM', '147842^MDC_ECG_HEART_RATE^MDC', '1.2.1.1', '72', '264864^MDC_DIM_BEAT_PER_MIN^MDC', { time: '20240301120000+0100' }),
  ...plethRows('512^520^^546^560'),
]);

/** $ingest and $map of IHE PCD-01 waveforms (WCM NA rows) through the real server. */
describe('$ingest of PCD-01 waveforms', () => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startTestServer('pglite', { PROVENANCE: 'off', RISK_SCORING: 'off' });
    await s.fhir('PUT', 'Patient/wcm-p', { resourceType: 'Patient', id: 'wcm-p', identifier: [WCM_PATIENT] });
    await s.fhir('PUT', 'Device/wcm-d', { resourceType: 'Device', id: 'wcm-d', identifier: [WCM_DEVICE] });
  }, 60_000);
  afterAll(async () => s?.close());

  it('$map shows the waveform Observation and writes nothing', async () => {
    const reply = await s.fhir('POST', '$map?mapping=ihe-pcd01', MESSAGE, { 'Content-Type': 'application/hl7-v2' });
    expect(reply.status, reply.text).toBe(200);
    const observations = reply.json.parameter.filter((p: any) => p.name === 'observation').map((p: any) => p.resource);
    const pleth = observations.find((o: any) => o.valueSampledData);
    expect(pleth.valueSampledData).toMatchObject({ period: 8, dimensions: 1, data: '512 520 E 546 560' });
    expect(await count(s.fhir, 'Observation')).toBe(0);
  });

  it('stores the NA row as valueSampledData readable by GET, and a repeat creates nothing', async () => {
    const reply = await ingest(s.fhir, MESSAGE, '', 'application/hl7-v2');
    expect(reply.status, reply.text).toBe(200);
    expect(entryStatuses(reply.json)).toEqual(['201 Created', '201 Created']);
    const locations: string[] = reply.json.entry.filter((e: any) => e.fullUrl).map((e: any) => e.response.location);
    const stored = await Promise.all(locations.map(async (location) => (await s.fhir('GET', location)).json));
    const pleth = stored.find((o) => o.valueSampledData);
    expect(pleth.valueSampledData).toEqual({
      origin: { value: 0, unit: '1', system: 'http://unitsofmeasure.org', code: '1' },
      period: 8,
      dimensions: 1,
      data: '512 520 E 546 560',
    });
    expect(pleth.effectivePeriod.end).toBe('2024-03-01T12:00:00.040+01:00');
    expect([pleth.device.reference, pleth.subject.reference]).toEqual(['Device/wcm-d', 'Patient/wcm-p']);

    const again = await ingest(s.fhir, MESSAGE, '', 'application/hl7-v2');
    expect(again.status, again.text).toBe(200);
    expect(entryStatuses(again.json)).toEqual(['200 OK', '200 OK']);
    expect(await count(s.fhir, 'Observation')).toBe(2);
    expect((await s.fhir('GET', `Observation/${pleth.id}`)).json.meta.versionId).toBe(pleth.meta.versionId);
  });

  it('stores nothing of a waveform without a sample period and says so, naming its OBX', async () => {
    const before = await count(s.fhir, 'Observation');
    const rows = plethRows('1^2^3').slice(0, 3);
    const reply = await ingest(s.fhir, wcmMessage(rows, 'WCM-9'), '', 'application/hl7-v2');
    expect(reply.status, reply.text).toBe(200);
    const outcome = reply.json.entry.at(-1).response.outcome;
    expect(outcome.issue[0]).toMatchObject({ severity: 'warning', code: 'incomplete' });
    expect(outcomeText(outcome)).toMatch(/has no sample period/);
    expect(outcomeText(outcome)).toMatch(/OBX\[4\]-4/);
    expect(await count(s.fhir, 'Observation')).toBe(before);
  });
});

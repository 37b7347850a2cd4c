import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setIngestProvenanceHook, type IngestCommitPlan, type IngestSource } from '../../server/ingest/provenance-hook.ts';
import { postgresAvailable } from '../helpers/postgres.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { BLE_MAC_SYSTEM, count, entryStatuses, fixture, hr, ingest, IPF_PCD01, outcomeText, readings, registerDevice, search, startIngestServer, totals } from './ingest-helpers.ts';

describe('$ingest semantics (PGlite)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startIngestServer('sem-p', 'sem-d', 'AA-BB-CC-00-11-01');
  }, 60_000);
  afterAll(async () => s?.close());

  it('is idempotent: the same payload again creates nothing and the response says 200 with the stored location', async () => {
    const body = readings('AA:BB:CC:00:11:01', 5, Date.UTC(2025, 4, 1));
    const first = await ingest(s.fhir, body);
    expect(entryStatuses(first.json)).toEqual(Array(5).fill('201 Created'));
    const before = await totals(s);
    const second = await ingest(s.fhir, body);
    expect(second.status).toBe(200);
    expect(entryStatuses(second.json)).toEqual(Array(5).fill('200 OK'));
    expect(second.json.entry.map((e: any) => e.response.location)).toEqual(first.json.entry.map((e: any) => e.response.location));
    expect(await totals(s)).toBe(before);
    // The same reading with its time written in another offset is the same reading.
    const shifted = await ingest(s.fhir, JSON.stringify(hr('AA:BB:CC:00:11:01', 50, '2025-05-01T02:00:00+02:00')));
    expect(entryStatuses(shifted.json)).toEqual(['200 OK']);
    // Within one request a repeated reading is stored once (last write wins).
    const repeated = await ingest(s.fhir, `[${JSON.stringify(hr('AA:BB:CC:00:11:01', 60, '2025-05-02T00:00:00Z'))},${JSON.stringify(hr('AA:BB:CC:00:11:01', 61, '2025-05-02T00:00:00Z'))}]`);
    expect(entryStatuses(repeated.json)).toEqual(['201 Created', '201 Created']);
    expect(repeated.json.entry[0].response.location).toBe(repeated.json.entry[1].response.location);
    const [stored] = await search(s.fhir, 'Observation?date=2025-05-02T00:00:00Z&device=Device/sem-d');
    expect(stored.valueQuantity.value).toBe(61);
  });

  it('re-creates a reading whose Observation was deleted, at the same id as a version after the deletion', async () => {
    const body = JSON.stringify(hr('AA:BB:CC:00:11:01', 70, '2025-05-03T00:00:00Z'));
    const first = await ingest(s.fhir, body);
    const location = first.json.entry[0].response.location.replace(/\/_history\/.*/, '');
    expect(first.json.entry[0].response.location).toBe(`${location}/_history/1`);
    expect((await s.fhir('DELETE', location)).status).toBeLessThan(300);
    const again = await ingest(s.fhir, body);
    expect(entryStatuses(again.json)).toEqual(['201 Created']);
    expect(again.json.entry[0].response.location).toBe(`${location}/_history/3`);
    expect((await s.fhir('GET', `${location}/_history`)).json.entry.map((e: any) => e.request.method)).toEqual(['PUT', 'DELETE', 'POST']);
    expect(entryStatuses((await ingest(s.fhir, body)).json)).toEqual(['200 OK']);
  });

  it('finds a reading stored some other way by its ingest identifier (POSTed $map output)', async () => {
    const body = JSON.stringify(hr('AA:BB:CC:00:11:01', 71, '2025-05-04T00:00:00Z'));
    const dry = await s.fhir('POST', '$map', body, { 'Content-Type': 'application/json' });
    const observation = dry.json.parameter.find((p: any) => p.name === 'observation').resource;
    const posted = await s.fhir('POST', 'Observation', { ...observation, subject: { reference: 'Patient/sem-p' }, device: { reference: 'Device/sem-d' } });
    expect(posted.status).toBe(201);
    const reply = await ingest(s.fhir, body);
    expect(entryStatuses(reply.json)).toEqual(['200 OK']);
    expect(reply.json.entry[0].response.location).toContain(posted.json.id);
  });

  it('takes 10,000 readings in one request, all committed with index rows and outbox events', async () => {
    const before = await count(s.fhir, 'Observation?device=Device/sem-d');
    const outboxBefore = (await s.server.services.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox')).rows[0]!.n;
    const reply = await ingest(s.fhir, readings('AA:BB:CC:00:11:01', 10_000, Date.UTC(2025, 5, 1)));
    expect(reply.status, reply.text.slice(0, 500)).toBe(200);
    expect(reply.json.entry).toHaveLength(10_000);
    expect(await count(s.fhir, 'Observation?device=Device/sem-d')).toBe(before + 10_000);
    expect(await count(s.fhir, 'Observation?subject=Patient/sem-p&date=ge2025-06-01&date=lt2025-06-02')).toBe(10_000);
    const outboxAfter = (await s.server.services.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox')).rows[0]!.n;
    expect(outboxAfter - outboxBefore).toBe(10_000);
  }, 60_000);

  it('lookup mode: an unknown device is a 422 naming it, and nothing is written', async () => {
    const before = await totals(s);
    const body = `[${JSON.stringify(hr('AA:BB:CC:00:11:01', 72, '2025-05-05T00:00:00Z'))},${JSON.stringify(hr('AA:BB:CC:00:99:99', 72, '2025-05-05T00:00:00Z'))}]`;
    const reply = await ingest(s.fhir, body);
    expect(reply.status).toBe(422);
    expect(outcomeText(reply.json)).toContain(`${BLE_MAC_SYSTEM}|AA-BB-CC-00-99-99`);
    expect(await totals(s)).toBe(before);
  });

  it('create mode: shell Device and Patient, created once; the device keeps its patient afterwards', async () => {
    const mapping = { id: 'ble-create', extends: 'ble-gatt', identity: 'create' };
    expect((await s.fhir('POST', '$mappings', mapping)).status).toBe(201);
    const first = await ingest(s.fhir, JSON.stringify(hr('AA:BB:CC:00:22:01', 65, '2025-05-06T00:00:00Z')), 'mapping=ble-create');
    expect(first.status, first.text).toBe(200);
    const [device] = await search(s.fhir, `Device?identifier=${BLE_MAC_SYSTEM}|AA-BB-CC-00-22-01`);
    expect(device.patient.reference).toMatch(/^Patient\//);
    const [patient] = await search(s.fhir, `Patient?identifier=urn:vitalchain:device-patient|${BLE_MAC_SYSTEM}|AA-BB-CC-00-22-01`);
    expect(device.patient.reference).toBe(`Patient/${patient.id}`);
    const second = await ingest(s.fhir, JSON.stringify(hr('AA:BB:CC:00:22:01', 66, '2025-05-06T00:01:00Z')), 'mapping=ble-create');
    expect(entryStatuses(second.json)).toEqual(['201 Created']);
    expect(await count(s.fhir, `Device?identifier=${BLE_MAC_SYSTEM}|AA-BB-CC-00-22-01`)).toBe(1);
    const stored = await search(s.fhir, `Observation?device=Device/${device.id}`);
    expect(stored.map((o) => o.subject.reference)).toEqual([device.patient.reference, device.patient.reference]);
    // A payload naming a patient by reference that does not exist creates it in create mode, refuses in lookup mode.
    const named = { ...hr('AA:BB:CC:00:22:02', 67, '2025-05-06T00:02:00Z'), patient: 'Patient/named-by-payload' };
    expect((await ingest(s.fhir, JSON.stringify(named))).status).toBe(422);
    expect((await ingest(s.fhir, JSON.stringify(named), 'mapping=ble-create')).status).toBe(200);
    expect((await s.fhir('GET', 'Patient/named-by-payload')).status).toBe(200);
  });

  it('calls the provenance hook: source before the transaction, extra operations committed with the readings, all or nothing', async () => {
    const sources: IngestSource[] = [];
    const plans: IngestCommitPlan[] = [];
    let fail = false;
    setIngestProvenanceHook(s.server.services, {
      recordSource: async (source) => {
        sources.push(source);
        return { cid: `cid-${sources.length}` };
      },
      operations: (plan) => {
        plans.push(plan);
        if (fail) throw new Error('provenance store unavailable');
        return [{ action: 'create', method: 'POST', type: 'Provenance', id: `ingest-${plans.length}`, resource: { resourceType: 'Provenance', target: plan.targets.map((t) => ({ reference: `${t.type}/${t.id}` })), recorded: plan.source.receivedAt, agent: [{ who: { display: (plan.sourceRecord as { cid: string }).cid } }] } }];
      },
    });
    try {
      const body = readings('AA:BB:CC:00:11:01', 3, Date.UTC(2025, 4, 9));
      const reply = await ingest(s.fhir, body);
      expect(reply.status).toBe(200);
      expect(sources.map((source) => [source.channel, source.body !== undefined, source.mapping.id])).toEqual([['http', true, 'ble-gatt']]);
      expect(plans[0]!.targets.map((t) => t.resource?.device?.reference)).toEqual(['Device/sem-d', 'Device/sem-d', 'Device/sem-d']);
      const provenance = (await s.fhir('GET', 'Provenance/ingest-1')).json;
      expect(provenance.target.map((t: any) => t.reference).sort()).toEqual(reply.json.entry.map((e: any) => e.response.location.replace(/\/_history\/.*/, '')).sort());
      expect(provenance.agent[0].who.display).toBe('cid-1');

      fail = true;
      const before = await totals(s);
      const failed = await ingest(s.fhir, readings('AA:BB:CC:00:11:01', 3, Date.UTC(2025, 4, 10)));
      expect(failed.status).toBe(500);
      expect(await totals(s)).toBe(before);
    } finally {
      setIngestProvenanceHook(s.server.services, undefined);
    }
  });

  describe('bad input: 4xx OperationOutcome naming the location, nothing written, server stays up', () => {
    const cases: Array<[string, string, string, string, number, RegExp]> = [
      ['malformed JSON', '[{"characteristic":"2A37","value":"00 48",}]', '', 'application/json', 400, /line 1, column/i],
      ['malformed NDJSON line', `${JSON.stringify(hr('AA:BB:CC:00:11:01', 70, '2025-05-07T00:00:00Z'))}\n{"characteristic": oops}`, '', 'application/x-ndjson', 400, /line 2/],
      ['malformed hex', JSON.stringify({ characteristic: '2A37', value: '00 4G', deviceId: 'AA:BB:CC:00:11:01', timestamp: '2025-05-07T00:00:00Z' }), 'mapping=ble-gatt', 'application/json', 400, /\$\.value/],
      ['unknown characteristic', JSON.stringify({ characteristic: '2A99', value: '00', deviceId: 'AA:BB:CC:00:11:01', timestamp: '2025-05-07T00:00:00Z' }), 'mapping=ble-gatt', 'application/json', 400, /\$\.characteristic/],
      ['missing timestamp', JSON.stringify({ header: { id: 'x', creation_date_time: '2025-05-07T00:00:00Z', schema_id: { namespace: 'omh', name: 'heart-rate', version: '2.0' } }, body: { heart_rate: { value: 60, unit: 'beats/min' } } }), `mapping=openmhealth&device=${encodeURIComponent(`${BLE_MAC_SYSTEM}|AA-BB-CC-00-11-01`)}`, 'application/json', 422, /effective_time_frame/],
      ['absurd value', JSON.stringify({ characteristic: '2A1C', value: '00 FF FF 00 00', deviceId: 'AA:BB:CC:00:11:01', timestamp: '2025-05-07T00:00:00Z' }), 'mapping=ble-gatt', 'application/json', 422, /payload\[0\]/],
      ['malformed HL7', 'MSH|^~\\&|X\rOBX|1|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.0.1.1|abc|266016^MDC_DIM_MMHG^MDC|||||R', 'mapping=ihe-pcd01', 'application/hl7-v2', 400, /payload\[0\] MSH-9/],
      ['unknown mapping', '{}', 'mapping=nope', 'application/json', 400, /nope/],
    ];
    for (const [name, body, query, contentType, status, where] of cases) {
      it(name, async () => {
        const before = await totals(s);
        const reply = await ingest(s.fhir, body, query, contentType);
        expect(reply.status, reply.text).toBe(status);
        expect(reply.json.resourceType).toBe('OperationOutcome');
        expect(outcomeText(reply.json)).toMatch(where);
        expect(await totals(s)).toBe(before);
      });
    }

    it('one bad payload among good ones rejects the whole request', async () => {
      const before = await totals(s);
      const good = JSON.stringify(hr('AA:BB:CC:00:11:01', 70, '2025-05-08T00:00:00Z'));
      const reply = await ingest(s.fhir, `[${good},{"characteristic":"2A37","value":"zz","deviceId":"AA:BB:CC:00:11:01"}]`, 'mapping=ble-gatt');
      expect(reply.status).toBe(400);
      expect(outcomeText(reply.json)).toContain('payload[1]');
      expect(await totals(s)).toBe(before);
      expect((await s.fhir('GET', 'metadata')).status).toBe(200);
    });

    it('an HL7 message from the IPF invalid set is refused with its location', async () => {
      const hl7 = fixture(IPF_PCD01, 'valid-pcd01-request.hl7v2').replace('|120|', '|12O|');
      const reply = await ingest(s.fhir, hl7, '', 'application/hl7-v2');
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      expect(outcomeText(reply.json)).toMatch(/payload\[0\] OBX\[3\]-5/);
    });
  });
});

describe('$ingest concurrency (PostgreSQL)', async () => {
  const available = await postgresAvailable();
  it.skipIf(!available)('two concurrent requests with the same readings store them once', async () => {
    const s = await startTestServer('postgres', { PROVENANCE: 'off', RISK_SCORING: 'off' });
    try {
      await registerDevice(s.fhir, 'pg-p', 'pg-d', BLE_MAC_SYSTEM, 'AA-BB-CC-00-33-01');
      const body = readings('AA:BB:CC:00:33:01', 500, Date.UTC(2025, 6, 1));
      const replies = await Promise.all([ingest(s.fhir, body), ingest(s.fhir, body), ingest(s.fhir, body)]);
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(await count(s.fhir, 'Observation?device=Device/pg-d')).toBe(500);
      const created = replies.flatMap((r) => entryStatuses(r.json)).filter((status) => status === '201 Created').length;
      expect(created).toBe(500);
      // create mode under concurrency: one shell Device.
      await s.fhir('POST', '$mappings', { id: 'ble-create-pg', extends: 'ble-gatt', identity: 'create' });
      const shell = JSON.stringify(hr('AA:BB:CC:00:33:02', 65, '2025-07-02T00:00:00Z'));
      const shellReplies = await Promise.all([ingest(s.fhir, shell, 'mapping=ble-create-pg'), ingest(s.fhir, shell, 'mapping=ble-create-pg')]);
      expect(shellReplies.map((r) => r.status)).toEqual([200, 200]);
      expect(await count(s.fhir, `Device?identifier=${BLE_MAC_SYSTEM}|AA-BB-CC-00-33-02`)).toBe(1);
      expect(await count(s.fhir, `Patient?identifier=urn:vitalchain:device-patient|${BLE_MAC_SYSTEM}|AA-BB-CC-00-33-02`)).toBe(1);
      // A reading first stored through REST (its $map output) is found by its ingest identifier.
      const single = JSON.stringify(hr('AA:BB:CC:00:33:01', 90, '2025-07-03T00:00:00Z'));
      const observation = (await s.fhir('POST', '$map', single, { 'Content-Type': 'application/json' })).json.parameter.find((p: any) => p.name === 'observation').resource;
      const posted = await s.fhir('POST', 'Observation', { ...observation, subject: { reference: 'Patient/pg-p' }, device: { reference: 'Device/pg-d' } });
      for (let i = 0; i < 2; i++) {
        const reply = await ingest(s.fhir, single);
        expect(entryStatuses(reply.json)).toEqual(['200 OK']);
        expect(reply.json.entry[0].response.location).toContain(posted.json.id);
      }
      // A deleted reading comes back as a new Observation, once.
      await s.fhir('DELETE', `Observation/${posted.json.id}`);
      expect(entryStatuses((await ingest(s.fhir, single)).json)).toEqual(['201 Created']);
      expect(entryStatuses((await ingest(s.fhir, single)).json)).toEqual(['200 OK']);
    } finally {
      await s.close();
    }
  }, 60_000);
});

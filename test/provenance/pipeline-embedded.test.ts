import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrapKey } from '../../server/provenance/key-wrap.ts';
import { provenancePipeline, type ProvenancePipeline } from '../../server/provenance/provenance-feature.ts';
import { openSource } from '../../server/provenance/source-seal.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { checkOutcomes, heartRate, parameterValue, transaction, vitalchain } from './fhir-fixtures.ts';

/**
 * The pipeline on the embedded default (PGlite, UnixFS blocks in DATA_DIR, in-process chain), end
 * to end through the real server. Tests share one server and run in order: tampering and erasure
 * come after the checks that need the data intact; the CLI runs once the server has stopped.
 */
describe('provenance pipeline, embedded default', () => {
  let server: TestServer;
  let pipeline: ProvenancePipeline;
  const started = new Date(Date.now() - 60_000);
  const ids: Record<'p1' | 'p2', string[]> = { p1: [], p2: [] };
  let proofFile: string;

  const sql = <R = any>(text: string, params?: unknown[]) => server.server.services.db.query<R>(text, params).then((r) => r.rows);
  const ridOf = async (type: string, id: string) => Number((await sql<{ rid: string }>('SELECT rid FROM resource WHERE type = $1 AND id = $2', [type, id]))[0].rid);

  beforeAll(async () => {
    // Risk scoring off: its RiskAssessments would arrive on their own schedule and make "idle" a race.
    server = await startTestServer('pglite', { ANCHOR_WINDOW_LEAVES: '16', ANCHOR_WINDOW_SECONDS: '0.3', RISK_SCORING: 'off' });
    pipeline = provenancePipeline(server.server.services)!;
    for (const p of ['p1', 'p2'] as const) expect((await server.fhir('PUT', `Patient/${p}`, { resourceType: 'Patient', id: p, name: [{ family: p.toUpperCase() }] })).status).toBe(201);
    // Interleaved, so the two patients share windows.
    const bundle = await server.fhir('POST', '', transaction(Array.from({ length: 40 }, (_, i) => heartRate(i % 2 ? 'p2' : 'p1', 60 + i))));
    expect(bundle.status).toBe(200);
    bundle.json.entry.forEach((e: any, i: number) => ids[i % 2 ? 'p2' : 'p1'].push(e.response.location.split('/')[1]));
    await pipeline.settled();
  }, 120_000);

  afterAll(async () => {
    await server?.server.close();
    rmSync(server.dataDir, { recursive: true, force: true });
  });

  it('anchors every content version once, writes one Provenance per window, then falls idle', async () => {
    const unleafed = await sql(`SELECT v.rid FROM resource_version v WHERE v.content IS NOT NULL AND NOT EXISTS (SELECT 1 FROM provenance_leaf l WHERE l.rid = v.rid AND l.version = v.version)`);
    expect(unleafed).toEqual([]);
    const windows = await sql<{ window_id: string; status: string; root: Buffer; needs_provenance: boolean }>('SELECT * FROM provenance_window ORDER BY window_id');
    expect(windows.length).toBeGreaterThanOrEqual(3);
    expect(windows.every((w) => w.status === 'anchored')).toBe(true);

    const ledger = await pipeline.backends.ledger();
    const onChain = await ledger.anchorsInRange({ fromBlock: 0 });
    expect(onChain.map((a) => a.root).sort()).toEqual(windows.map((w) => `0x${Buffer.from(w.root).toString('hex')}`).sort());

    // One Provenance per window that anchored anything but the pipeline's own Provenance; the last window holds only those.
    const provenance = await server.fhir('GET', 'Provenance?_count=100');
    const written = windows.filter((w) => w.needs_provenance).map((w) => `vc-window-${w.window_id}`);
    expect(provenance.json.entry.map((e: any) => e.resource.id).sort()).toEqual(written.sort());
    expect(windows[windows.length - 1].needs_provenance).toBe(false);
    for (const entry of provenance.json.entry) {
      const resource = entry.resource;
      expect(server.server.services.validate(resource).filter((i) => i.severity === 'error')).toEqual([]);
      const anchor = resource.extension.find((e: any) => e.url === 'urn:vitalchain:provenance-anchor').extension;
      const tx = anchor.find((e: any) => e.url === 'transaction').valueString;
      expect(onChain.some((a) => a.txHash === tx)).toBe(true);
      expect(resource.entity[0].what.identifier.value).toMatch(/^ipfs:\/\/bafk/);
      // Leaf count and commit period as the window's leaves record them.
      const windowId = Number(resource.id.slice('vc-window-'.length));
      const [span] = await sql<{ leaves: string; first: Date; last: Date }>(
        `SELECT count(*) AS leaves, min(l.committed_at) AS first, max(l.committed_at) AS last
           FROM provenance_window w JOIN provenance_leaf l ON l.leaf_no BETWEEN w.first_leaf AND w.last_leaf WHERE w.window_id = $1`,
        [windowId],
      );
      expect(anchor.find((e: any) => e.url === 'leafCount').valueUnsignedInt).toBe(Number(span!.leaves));
      expect(resource.occurredPeriod).toEqual({ start: new Date(span!.first).toISOString(), end: new Date(span!.last).toISOString() });
    }
    const targets = provenance.json.entry.flatMap((e: any) => e.resource.target.map((t: any) => t.reference));
    expect(targets).toContain(`Observation/${ids.p1[0]}/_history/1`);
    expect(targets).toContain('Patient/p2/_history/1');

    // Idle means idle: nothing new is opened after a few window periods.
    const before = (await pipeline.backlog()).anchoredWindows;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = await pipeline.backlog();
    expect(after.idle).toBe(true);
    expect(after.anchoredWindows).toBe(before);
  });

  it('window Provenances are searched by target through rows derived from their leaves, none written', async () => {
    const found = async (query: string, mode?: string) =>
      ((await server.fhir('GET', query)).json.entry ?? []).filter((e: any) => !mode || e.search?.mode === mode).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();
    const windowsOf = async (type: string, id: string) =>
      (await sql<{ window_id: string }>(
        `SELECT w.window_id FROM provenance_leaf l JOIN resource r ON r.rid = l.rid JOIN provenance_window w ON l.leaf_no BETWEEN w.first_leaf AND w.last_leaf
          WHERE r.type = $1 AND r.id = $2 AND w.needs_provenance`,
        [type, id],
      )).map((w) => `Provenance/vc-window-${w.window_id}`);
    const observation = ids.p1[0];
    const [window] = await windowsOf('Observation', observation);
    expect(window).toBeDefined();
    const windowId = window.split('/')[1];

    expect(await found(`Provenance?target=Observation/${observation}`)).toEqual([window]);
    expect(await found(`Provenance?target:Observation=${observation}`)).toEqual([window]);
    expect(await found(`Provenance?patient=p2`)).toEqual(await windowsOf('Patient', 'p2'));
    expect(await found(`Observation?_id=${observation}&_revinclude=Provenance:target`, 'include')).toEqual([window]);
    expect(await found(`Observation?_has:Provenance:target:_id=${windowId}&_count=100`)).toEqual(expect.arrayContaining([`Observation/${observation}`]));
    expect(await found(`Provenance?target:Observation.subject=Patient/p1&_count=100`)).toEqual(expect.arrayContaining([window]));
    expect(await found(`Provenance?_id=${windowId}&target:missing=false`)).toEqual([window]);
    expect(await found(`Provenance?_id=${windowId}&target:missing=true`)).toEqual([]);
    expect(await found(`Provenance?target=Observation/no-such-observation`)).toEqual([]);

    // What _include finds is exactly what each window Provenance names.
    for (const entry of (await server.fhir('GET', 'Provenance?_count=100')).json.entry) {
      const named = [...new Set(entry.resource.target.map((t: any) => t.reference.split('/_history/')[0]))].sort();
      expect(await found(`Provenance?_id=${entry.resource.id}&_include=Provenance:target`, 'include')).toEqual(named);
    }
    // No idx_reference rows were written for them.
    const written = await sql(
      `SELECT 1 FROM idx_reference i JOIN resource r ON r.rid = i.rid
        WHERE r.type = 'Provenance' AND r.id LIKE 'vc-window-%' AND i.pid = (SELECT pid FROM search_param WHERE resource_type = 'Provenance' AND code = 'target')`,
    );
    expect(written).toEqual([]);
  });

  it('$verify: pending right after a write, verified with all four checks once anchored', async () => {
    const created = await server.fhir('POST', 'Observation', heartRate('p1', 120));
    const id = created.json.id;
    const pending = await server.fhir('GET', `Observation/${id}/$verify`);
    expect(pending.status).toBe(200);
    expect(parameterValue(pending.json, 'verified')).toBe(false);
    expect(parameterValue(pending.json, 'status')).toBe('pending');
    expect(Object.values(checkOutcomes(pending.json))).toContain('pending');
    expect(Object.values(checkOutcomes(pending.json))).not.toContain('fail');
    // Not anchored: no proof yet.
    expect((await server.fhir('GET', `Observation/${id}/_history/1/$provenance-proof`)).status).toBe(409);

    await pipeline.settled();
    for (const path of [`Observation/${id}/$verify`, `Observation/${id}/_history/1/$verify`, `Patient/p2/$verify`]) {
      const verified = await server.fhir('GET', path);
      expect(parameterValue(verified.json, 'verified')).toBe(true);
      expect(checkOutcomes(verified.json)).toEqual({ 'stored-bytes': 'pass', 'merkle-proof': 'pass', 'on-chain': 'pass', bundle: 'pass' });
    }
    ids.p1.push(id);
    expect((await server.fhir('GET', 'Observation/nope/$verify')).status).toBe(404);
    expect((await server.fhir('POST', 'Observation/nope/$verify')).status).toBe(404);
  });

  it('$provenance-proof exports a proof whose arithmetic checks out (offline CLI)', async () => {
    const reply = await server.fhir('GET', `Observation/${ids.p1[1]}/_history/1/$provenance-proof`);
    expect(reply.status).toBe(200);
    expect(reply.json.format).toBe('vitalchain-provenance-proof/1');
    expect(Buffer.from(reply.json.leaf.bytesBase64, 'base64').toString()).toBe((await server.fhir('GET', `Observation/${ids.p1[1]}/_history/1`)).text);
    proofFile = path.join(server.dataDir, 'proof.json');
    writeFileSync(proofFile, reply.text);
    const offline = await vitalchain('verify', proofFile, '--offline');
    expect(offline.code).toBe(0);
    expect(offline.stdout).toMatch(/^PASS  merkle-path /m);
    const withoutBytes = await server.fhir('GET', `Observation/${ids.p1[1]}/$provenance-proof?includeBytes=false`);
    expect(withoutBytes.json.leaf.bytesBase64).toBeUndefined();
    expect(withoutBytes.json.leaf.value).toBe(reply.json.leaf.value);
  });

  it('tamper evidence: content changed in SQL (current and history) fails $verify on the bytes and bundle checks', async () => {
    const [current, historic] = [ids.p1[2], ids.p1[3]];
    const updated = await server.fhir('PUT', `Observation/${historic}`, { ...heartRate('p1', 99), id: historic });
    expect(updated.status).toBe(200);
    await pipeline.settled();
    await sql(`UPDATE resource_version SET content = replace(content, '"value":64', '"value":46') WHERE rid = $1 AND version = 1`, [await ridOf('Observation', current)]);
    await sql(`UPDATE resource_version SET content = replace(content, '"status":"final"', '"status":"amended"') WHERE rid = $1 AND version = 1`, [await ridOf('Observation', historic)]);

    for (const path of [`Observation/${current}/$verify`, `Observation/${historic}/_history/1/$verify`]) {
      const reply = await server.fhir('GET', path);
      expect(parameterValue(reply.json, 'verified')).toBe(false);
      expect(parameterValue(reply.json, 'status')).toBe('failed');
      expect(checkOutcomes(reply.json)).toEqual({ 'stored-bytes': 'fail', 'merkle-proof': 'pass', 'on-chain': 'pass', bundle: 'fail' });
      const bundleReason = reply.json.parameter.find((p: any) => p.name === 'check' && p.part[0].valueCode === 'bundle').part[2].valueString;
      expect(bundleReason).toMatch(/different bytes/);
    }
    // The untouched current version of the same resource still verifies.
    expect(parameterValue((await server.fhir('GET', `Observation/${historic}/$verify`)).json, 'verified')).toBe(true);
  });

  /** A hand edit that removes one leaf record: its run (one row per recorded batch) is cut in two around it. */
  async function deleteLeafRecord(rid: number): Promise<void> {
    const [leaf] = await sql<{ first_leaf: string; i: string }>('SELECT r.first_leaf, u.i FROM provenance_leaf_run r, unnest(r.rids) WITH ORDINALITY AS u(rid, i) WHERE u.rid = $1', [rid]);
    const [first, at] = [Number(leaf.first_leaf), Number(leaf.i)];
    await sql(
      `INSERT INTO provenance_leaf_run (first_leaf, leaf_count, first_seq, last_seq, rids, versions, rid_span, salts, leaves, subjects, subject_at, generated, committed_ms, created_at)
       SELECT first_leaf + $2::int, leaf_count - $2::int, first_seq, last_seq, rids[$2::int + 1:], versions[$2::int + 1:], rid_span,
              substring(salts FROM $2::int * 32 + 1), substring(leaves FROM $2::int * 32 + 1), subjects, subject_at[$2::int + 1:],
              array(SELECT g - $2::int FROM unnest(generated) AS g WHERE g > $2::int), committed_ms[$2::int + 1:], created_at
         FROM provenance_leaf_run WHERE first_leaf = $1 AND leaf_count > $2::int`,
      [first, at],
    );
    await sql(
      `UPDATE provenance_leaf_run SET leaf_count = $2::int - 1, rids = rids[:$2::int - 1], versions = versions[:$2::int - 1], salts = substring(salts FOR ($2::int - 1) * 32),
              leaves = substring(leaves FOR ($2::int - 1) * 32), subject_at = subject_at[:$2::int - 1], committed_ms = committed_ms[:$2::int - 1],
              generated = array(SELECT g FROM unnest(generated) AS g WHERE g < $2::int)
        WHERE first_leaf = $1`,
      [first, at],
    );
    await sql('DELETE FROM provenance_leaf_run WHERE first_leaf = $1 AND leaf_count = 0', [first]);
    expect(await sql('SELECT 1 FROM provenance_leaf WHERE rid = $1', [rid])).toEqual([]);
  }

  it('a deleted row is found by the ledger audit, named from the encrypted bundle once its leaf record is gone too', async () => {
    const [gone, goneWithLeaf] = [ids.p1[4], ids.p1[5]];
    const ridGone = await ridOf('Observation', gone);
    const ridLeaf = await ridOf('Observation', goneWithLeaf);
    await sql('DELETE FROM resource_version WHERE rid = ANY($1::int8[])', [[ridGone, ridLeaf]]);
    await deleteLeafRecord(ridLeaf);
    const audit = await server.fhir('GET', `$audit?from=${started.toISOString()}`);
    expect(audit.status).toBe(200);
    expect(parameterValue(audit.json, 'ok')).toBe(false);
    const findings = audit.json.parameter.filter((p: any) => p.name === 'finding').map((p: any) => Object.fromEntries(p.part.map((x: any) => [x.name, x.valueCode ?? x.valueString ?? x.valueUnsignedInt])));
    expect(findings).toContainEqual(expect.objectContaining({ kind: 'version-missing', reference: `Observation/${gone}/_history/1` }));
    expect(findings).toContainEqual(expect.objectContaining({ kind: 'leaf-record-missing', reference: `Observation/${goneWithLeaf}/_history/1` }));
    expect(findings).toContainEqual(expect.objectContaining({ kind: 'version-altered', reference: `Observation/${ids.p1[2]}/_history/1` }));
    expect(findings.filter((f: any) => !['version-missing', 'leaf-record-missing', 'version-altered'].includes(f.kind))).toEqual([]);
    expect(Number(parameterValue(audit.json, 'leavesChecked'))).toBeGreaterThan(40);
    expect((await server.fhir('GET', '$audit')).status).toBe(400);
  });

  it('$ingest: one Provenance per request (Device, mapping, encrypted payload on IPFS), committed with the readings', async () => {
    const device = await server.fhir('PUT', 'Device/d2', { resourceType: 'Device', id: 'd2', identifier: [{ system: 'http://hl7.org/fhir/sid/eui-48/bluetooth', value: 'AA-BB-CC-00-00-02' }], patient: { reference: 'Patient/p2' } });
    expect(device.status).toBe(201);
    const payload = JSON.stringify([70, 71, 72].map((bpm, i) => ({ characteristic: '2A37', value: `00 ${bpm.toString(16)}`, deviceId: 'AA:BB:CC:00:00:02', timestamp: `2024-03-01T10:00:0${i}Z` })));
    const reply = await server.fhir('POST', '$ingest?mapping=ble-gatt', payload, { 'Content-Type': 'application/json' });
    expect(reply.status).toBe(200);
    await pipeline.settled();

    const [source] = await sql('SELECT * FROM provenance_ingest_source');
    expect(source.sealed).toBeNull();
    expect(source.dek).toBeNull();
    expect(Object.keys(source.wrapped_deks)).toEqual(['Patient/p2']);
    const provenance = (await server.fhir('GET', `Provenance/${source.provenance_id}`)).json;
    expect(server.server.services.validate(provenance).filter((i) => i.severity === 'error')).toEqual([]);
    const observations = (await server.fhir('GET', 'Observation?device=Device/d2')).json.entry.map((e: any) => `Observation/${e.resource.id}/_history/1`);
    expect(observations).toHaveLength(3);
    expect(provenance.target.map((t: any) => t.reference).sort()).toEqual(observations.sort());
    expect(provenance.agent.map((a: any) => a.who.identifier?.value ?? a.who.reference)).toContain('ble-gatt');
    expect(provenance.entity[0].what.identifier.value).toBe(`ipfs://${source.cid}`);
    // The payload on IPFS is ciphertext; the data key, unwrapped with the patient's key, opens it to the body as received.
    const sealed = Buffer.from(await pipeline.backends.content.get(source.cid));
    expect(sealed.includes(Buffer.from('2A37'))).toBe(false);
    const patientKey = (await pipeline.backends.keys.existingPatientKey('Patient/p2'))!;
    expect(openSource(sealed, unwrapKey(patientKey, Buffer.from(source.wrapped_deks['Patient/p2'], 'base64'))).toString()).toBe(payload);
    expect(parameterValue((await server.fhir('GET', `Provenance/${source.provenance_id}/$verify`)).json, 'verified')).toBe(true);
    ids.p2.push(...observations.map((o: string) => o.split('/')[1]));
  });

  it('$erase: the patient is expunged and their key destroyed; roots, blocks and everyone else\'s proofs stay valid', async () => {
    const [bundleOfP2] = await sql<{ cid: string }>(`SELECT cid FROM provenance_bundle WHERE subject = 'Patient/p2' LIMIT 1`);
    const [source] = await sql('SELECT provenance_id FROM provenance_ingest_source');
    // The patient's record: every resource whose versions went to their key (the Patient, their Observations),
    // and the Provenance of the ingest request that carried their payload.
    const rids = await sql<{ rid: string; type: string; id: string }>(
      `SELECT r.rid, r.type, r.id FROM resource r WHERE r.rid IN (SELECT rid FROM provenance_leaf WHERE subject = 'Patient/p2') OR (r.type = 'Provenance' AND r.id = $1)`,
      [source.provenance_id],
    );
    expect(rids.map((r) => `${r.type}/${r.id}`)).toEqual(expect.arrayContaining(['Patient/p2', `Provenance/${source.provenance_id}`, ...ids.p2.map((id) => `Observation/${id}`)]));
    const [{ n: versions }] = await sql<{ n: string }>('SELECT count(*) AS n FROM resource_version WHERE rid = ANY($1::int8[])', [rids.map((r) => r.rid)]);
    const reply = await server.fhir('POST', 'Patient/p2/$erase');
    expect(reply.status).toBe(200);
    expect(parameterValue(reply.json, 'keyDestroyed')).toBe(true);
    expect(parameterValue(reply.json, 'versionsExpunged')).toBe(Number(versions));
    expect(parameterValue(reply.json, 'ingestPayloadsRemoved')).toBe(1);
    expect((await server.fhir('GET', `Provenance/${source.provenance_id}`)).status).toBe(404);
    // The Device is not in the R4 Patient compartment (it only names the patient) and stays.
    expect((await server.fhir('GET', 'Device/d2')).status).toBe(200);

    expect((await server.fhir('GET', 'Patient/p2')).status).toBe(404);
    expect((await server.fhir('GET', `Observation/${ids.p2[0]}`)).status).toBe(404);
    expect((await server.fhir('GET', 'Observation?subject=Patient/p2')).json.total ?? (await server.fhir('GET', 'Observation?subject=Patient/p2')).json.entry?.length ?? 0).toBe(0);
    expect((await server.fhir('GET', `Observation/${ids.p2[0]}/_history`)).status).toBe(404);
    const erasedRids = rids.map((r) => r.rid);
    const tables = (await sql<{ table_name: string }>(`SELECT table_name FROM information_schema.columns WHERE column_name = 'rid' AND table_schema = current_schema()`)).map((t) => t.table_name);
    expect(tables).toEqual(expect.arrayContaining(['resource', 'resource_version', 'outbox', 'idx_token', 'idx_reference', 'provenance_leaf']));
    for (const table of tables) expect([table, await sql(`SELECT 1 FROM ${table} WHERE rid = ANY($1::int8[])`, [erasedRids])]).toEqual([table, []]);
    expect(await sql(`SELECT 1 FROM provenance_leaf WHERE subject = 'Patient/p2'`)).toEqual([]);
    expect(await pipeline.backends.keys.existingPatientKey('Patient/p2')).toBeUndefined();
    expect(await pipeline.backends.content.has(bundleOfP2.cid)).toBe(true);
    // The bundle stays listed with its window, no longer as the patient's.
    expect(await sql('SELECT subject FROM provenance_bundle WHERE cid = $1', [bundleOfP2.cid])).toEqual([{ subject: null }]);
    expect(await sql(`SELECT 1 FROM provenance_bundle WHERE subject = 'Patient/p2'`)).toEqual([]);

    const erased = await server.fhir('GET', `Observation/${ids.p2[0]}/_history/1/$verify`);
    expect(parameterValue(erased.json, 'status')).toBe('erased');
    expect(parameterValue(erased.json, 'verified')).toBe(false);
    expect((await server.fhir('GET', `Observation/${ids.p2[0]}/$provenance-proof`)).status).toBe(410);
    // p1's versions shared windows with p2's: still verified.
    expect(parameterValue((await server.fhir('GET', `Observation/${ids.p1[0]}/$verify`)).json, 'verified')).toBe(true);
    // The window Provenances no longer answer for the erased versions, and still do for p1's.
    expect((await server.fhir('GET', `Provenance?target=Observation/${ids.p2[0]}`)).json.entry ?? []).toEqual([]);
    expect((await server.fhir('GET', 'Provenance?patient=p2')).json.entry ?? []).toEqual([]);
    expect((await server.fhir('GET', `Provenance?target=Observation/${ids.p1[0]}`)).json.entry).toHaveLength(1);
    const audit = await server.fhir('GET', `$audit?from=${started.toISOString()}`);
    expect(Number(parameterValue(audit.json, 'erasedLeaves'))).toBe(Number(versions));
    expect((await server.fhir('POST', 'Patient/nobody/$erase')).status).toBe(404);
    expect((await server.fhir('GET', 'Patient/p1/$erase')).status).toBe(405);
  });

  it('with the server stopped, the CLI verifies the proof against the embedded chain and audits the deleted rows', async () => {
    await server.server.close();
    const verify = await vitalchain('verify', proofFile, '--data-dir', server.dataDir);
    expect(verify.stdout).toMatch(/^PASS  anchored-event /m);
    expect(verify.stdout).toMatch(/^VERIFIED$/m);
    expect(verify.code).toBe(0);
    const audit = await vitalchain('audit', '--from', started.toISOString(), '--data-dir', server.dataDir, '--json');
    expect(audit.code).toBe(1);
    const report = JSON.parse(audit.stdout);
    expect(report.findings.map((f: any) => `${f.kind} ${f.reference}`)).toEqual(
      expect.arrayContaining([`version-missing Observation/${ids.p1[4]}/_history/1`, `leaf-record-missing Observation/${ids.p1[5]}/_history/1`]),
    );
    expect(report.erasedLeaves).toBeGreaterThanOrEqual(25);
    expect((await vitalchain('audit', '--data-dir', server.dataDir)).code).toBe(2);
  });
});

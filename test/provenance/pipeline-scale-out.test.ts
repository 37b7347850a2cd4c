import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Interface, JsonRpcProvider, type InterfaceAbi } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anchorArtifact } from '../../contracts/artifact.ts';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/log.ts';
import { KuboContentStore } from '../../server/provenance/kubo-content-store.ts';
import { provenancePipeline } from '../../server/provenance/provenance-feature.ts';
import { startServer, type RunningServer } from '../../server/start.ts';
import { postgresAvailable } from '../helpers/postgres.ts';
import { startTestServer, fhirRequest, type TestServer } from '../helpers/test-server.ts';
import { ANVIL_KEY_0, anvilInstalled, startAnvil, type Anvil } from './anvil.ts';
import { checkOutcomes, heartRate, parameterValue, transaction, vitalchain } from './fhir-fixtures.ts';
import { startIpfsStandIn, type IpfsStandIn } from './ipfs-stand-in.ts';

const anchored = new Interface(anchorArtifact().abi as InterfaceAbi).getEvent('Anchored')!.topicHash;

/**
 * The scale-out path: ETH_RPC_URL on a real anvil process and KUBO_RPC_URL on an in-process
 * Kubo-RPC-compatible IPFS server (js-ipfs), PostgreSQL when it is available. Both stand-ins are
 * stopped mid-stream and brought back on the same ports with their state.
 */
describe.skipIf(!anvilInstalled)('provenance pipeline on a JSON-RPC chain and a Kubo RPC node', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vc-scale-out-'));
  let anvil: Anvil;
  let ipfs: IpfsStandIn;
  let server: TestServer;
  let running: RunningServer;
  const written: string[] = [];

  const sql = <R = any>(text: string, params?: unknown[]) => running.services.db.query<R>(text, params).then((r) => r.rows);
  const fhir = (method: string, url: string, body?: unknown) => fhirRequest(running.url.replace('localhost', '127.0.0.1'), method, url, body);
  const write = async (n: number, from: number) => {
    const reply = await fhir('POST', '', transaction(Array.from({ length: n }, (_, i) => heartRate('s1', from + i))));
    expect(reply.status).toBe(200);
    for (const entry of reply.json.entry) written.push(entry.response.location.split('/_history')[0]);
  };
  const settled = () => provenancePipeline(running.services)!.settled();

  beforeAll(async () => {
    anvil = await startAnvil(['--state', path.join(dir, 'anvil-state.json')]);
    ipfs = await startIpfsStandIn(dir);
    server = await startTestServer((await postgresAvailable()) ? 'postgres' : 'pglite', {
      ETH_RPC_URL: anvil.url,
      ETH_PRIVATE_KEY: ANVIL_KEY_0,
      KUBO_RPC_URL: ipfs.url,
      ANCHOR_WINDOW_LEAVES: '20',
      ANCHOR_WINDOW_SECONDS: '0.3',
      RISK_SCORING: 'off',
    });
    running = server.server;
    expect((await fhir('PUT', 'Patient/s1', { resourceType: 'Patient', id: 's1' })).status).toBe(201);
    await write(30, 60);
    await settled();
  }, 120_000);

  afterAll(async () => {
    await running?.close();
    await server?.close().catch(() => undefined);
    await ipfs?.stop().catch(() => undefined);
    await anvil?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('anchors on the JSON-RPC chain and stores bundles on the IPFS node; the contract it deployed is recorded', async () => {
    const [contract] = await sql('SELECT chain_id, contract FROM provenance_contract');
    expect(Number(contract.chain_id)).toBe(31337);
    const windows = await sql<{ chain_id: string; contract: string; status: string }>(`SELECT DISTINCT chain_id, contract, status FROM provenance_window`);
    expect(windows.map((w) => [Number(w.chain_id), w.contract, w.status])).toEqual([[31337, contract.contract, 'anchored']]);
    const verified = await fhir('GET', `${written[3]}/$verify`);
    expect(checkOutcomes(verified.json)).toEqual({ 'stored-bytes': 'pass', 'merkle-proof': 'pass', 'on-chain': 'pass', bundle: 'pass' });
    const kubo = new KuboContentStore(ipfs.url);
    for (const { cid } of await sql<{ cid: string }>('SELECT cid FROM provenance_bundle')) expect(await kubo.has(cid)).toBe(true);

    // Its window Provenance is found by target (rows derived from the leaves, planned by this database).
    const [type, id] = written[3].split('/');
    const ids = (reply: any, mode?: string) => (reply.json.entry ?? []).filter((e: any) => !mode || e.search?.mode === mode).map((e: any) => e.resource.id);
    const windowIds = ids(await fhir('GET', `Provenance?target=${written[3]}`)).filter((p: string) => p.startsWith('vc-window-'));
    expect(windowIds).toHaveLength(1);
    const window = (await fhir('GET', `Provenance/${windowIds[0]}`)).json;
    expect(window.target.map((t: any) => t.reference)).toContain(`${written[3]}/_history/1`);
    expect(ids(await fhir('GET', `${type}?_id=${id}&_revinclude=Provenance:target`), 'include')).toContain(windowIds[0]);
    expect(ids(await fhir('GET', `${type}?_has:Provenance:target:_id=${windowIds[0]}&_count=100`))).toContain(id);
    expect(ids(await fhir('GET', `Provenance?_id=${windowIds[0]}&target:missing=false`))).toEqual(windowIds);
    expect(ids(await fhir('GET', `Provenance?_id=${windowIds[0]}&target:${type}._id=${id}`))).toEqual(windowIds);
  });

  it('keeps accepting writes while the chain and the IPFS node are down, then anchors every version exactly once', async () => {
    const anchoredBefore = (await provenancePipeline(running.services)!.backlog()).anchoredWindows;
    const anvilPort = new URL(anvil.url).port;
    const ipfsPort = new URL(ipfs.url).port;
    await write(10, 100);
    await Promise.all([anvil.stop(), ipfs.stop()]);
    for (let i = 0; i < 4; i++) await write(15, 200 + i * 15);
    // A device payload arriving meanwhile is accepted, and spooled in the database until the node is back.
    const device = { resourceType: 'Device', id: 's1-band', identifier: [{ system: 'http://hl7.org/fhir/sid/eui-48/bluetooth', value: 'AA-BB-CC-00-00-51' }], patient: { reference: 'Patient/s1' } };
    expect((await fhir('PUT', 'Device/s1-band', device)).status).toBe(201);
    const payload = JSON.stringify([90, 91].map((bpm, i) => ({ characteristic: '2A37', value: `00 ${bpm.toString(16)}`, deviceId: 'AA:BB:CC:00:00:51', timestamp: `2024-04-01T10:00:0${i}Z` })));
    const ingested = await fhirRequest(running.url.replace('localhost', '127.0.0.1'), 'POST', '$ingest?mapping=ble-gatt', payload, { 'Content-Type': 'application/json' });
    expect(ingested.status).toBe(200);
    const [spooled] = await sql<{ cid: string; spooled: boolean; stored_at: Date | null }>('SELECT cid, sealed IS NOT NULL AS spooled, stored_at FROM provenance_ingest_source');
    expect([spooled.spooled, spooled.stored_at]).toEqual([true, null]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const during = await provenancePipeline(running.services)!.backlog();
    expect(during.idle).toBe(false);
    expect(during.anchoredWindows - anchoredBefore).toBeLessThanOrEqual(1);
    expect(parameterValue((await fhir('GET', `${written[written.length - 1]}/$verify`)).json, 'verified')).toBe(false);

    anvil = await startAnvil(['--state', path.join(dir, 'anvil-state.json'), '--port', anvilPort]);
    ipfs = await startIpfsStandIn(dir, Number(ipfsPort));
    expect([anvil.url, ipfs.url].map((u) => new URL(u).port)).toEqual([anvilPort, ipfsPort]);
    await settled();
    const [source] = await sql<{ sealed: Buffer | null; stored_at: Date | null }>('SELECT sealed, stored_at FROM provenance_ingest_source WHERE cid = $1', [spooled.cid]);
    expect(source.sealed).toBeNull();
    expect(source.stored_at).not.toBeNull();
    expect(await new KuboContentStore(ipfs.url).has(spooled.cid)).toBe(true);

    const unleafed = await sql(`SELECT v.rid FROM resource_version v WHERE v.content IS NOT NULL AND NOT EXISTS (SELECT 1 FROM provenance_leaf l WHERE l.rid = v.rid AND l.version = v.version)`);
    expect(unleafed).toEqual([]);
    const [{ n, max }] = await sql<{ n: string; max: string }>('SELECT count(*) AS n, max(leaf_no) AS max FROM provenance_leaf');
    expect(Number(max)).toBe(Number(n));
    const windows = await sql<{ first_leaf: string; last_leaf: string; status: string; root: Buffer }>('SELECT first_leaf, last_leaf, status, root FROM provenance_window ORDER BY window_id');
    let next = 1;
    for (const w of windows) {
      expect([Number(w.first_leaf), w.status]).toEqual([next, 'anchored']);
      next = Number(w.last_leaf) + 1;
    }
    expect(next).toBe(Number(n) + 1);

    // On the chain itself: one Anchored event per window, none twice.
    const provider = new JsonRpcProvider(anvil.url, 31337, { staticNetwork: true });
    const logs = await provider.getLogs({ topics: [anchored], fromBlock: 0, toBlock: 'latest' });
    provider.destroy();
    const roots = logs.map((log) => log.topics[1]);
    expect(new Set(roots).size).toBe(roots.length);
    expect(roots.sort()).toEqual(windows.map((w) => `0x${Buffer.from(w.root).toString('hex')}`).sort());
    for (const reference of [written[35], written[written.length - 1]]) {
      expect(parameterValue((await fhir('GET', `${reference}/$verify`)).json, 'verified')).toBe(true);
    }
  });

  it('a proof exported by the server checks out with vitalchain verify against anvil and the IPFS node, without the server', async () => {
    const proof = await fhir('GET', `${written[written.length - 2]}/_history/1/$provenance-proof`);
    expect(proof.status).toBe(200);
    const file = path.join(dir, 'proof.json');
    writeFileSync(file, proof.text);
    const result = await vitalchain('verify', file, '--rpc', anvil.url, '--ipfs', ipfs.url);
    expect(result.stdout).toMatch(/^PASS  anchored-event /m);
    expect(result.stdout).toMatch(/^PASS  manifest /m);
    expect(result.stdout).toMatch(/^VERIFIED$/m);
    expect(result.code).toBe(0);
    const audit = await vitalchain('audit', '--from', new Date(Date.now() - 600_000).toISOString(), '--data-dir', server.dataDir, ...(server.databaseUrl ? ['--database-url', server.databaseUrl] : []), '--eth-rpc-url', anvil.url, '--kubo-rpc-url', ipfs.url);
    // With PGlite the running server holds the database; the audit is then the operation's job.
    if (server.databaseUrl) {
      expect(audit.stdout).toMatch(/^OK$/m);
      expect(audit.code).toBe(0);
    }
  });

  it('after a restart the server anchors with the contract it deployed before', async () => {
    const [before] = await sql<{ contract: string }>('SELECT contract FROM provenance_contract');
    await running.close();
    const config = loadConfig({
      PORT: '0', HOST: '127.0.0.1', DATA_DIR: server.dataDir, LOG_LEVEL: 'silent', ETH_RPC_URL: anvil.url, ETH_PRIVATE_KEY: ANVIL_KEY_0, KUBO_RPC_URL: ipfs.url,
      ANCHOR_WINDOW_LEAVES: '20', ANCHOR_WINDOW_SECONDS: '0.3', RISK_SCORING: 'off', ...(server.databaseUrl ? { DATABASE_URL: server.databaseUrl } : {}),
    }, []);
    running = await startServer(config, createLogger('silent'));
    await write(5, 300);
    await settled();
    expect(await sql('SELECT contract FROM provenance_contract')).toEqual([before]);
    expect(await sql(`SELECT DISTINCT contract FROM provenance_window`)).toEqual([before]);
    expect(parameterValue((await fhir('GET', `${written[written.length - 1]}/$verify`)).json, 'verified')).toBe(true);
  });
});

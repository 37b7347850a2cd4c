/**
 * Provenance: cost on ingest, pipeline throughput, commit → on-chain latency, gas, $verify latency,
 * each with its baseline measured in the same run.
 *
 *   npm run bench:provenance -- [--runs 3] [--clients 4] [--requests 10] [--batch 2500] [--backends pglite,postgres] [--verify 200]
 *
 * 1. Primitives, in-process: versions/s of leaf + per-patient bundle + AES-256-GCM + blocks on disk
 *    + manifest (buildAnchorWindow, 1,000-version windows of Synthea Observations), against SHA-256
 *    plus one AES-256-GCM pass over the same bytes.
 * 2. Gas, on a scratch embedded chain: the event-only ProvenanceAnchor against the storage-based
 *    design it replaced (compiled here from the source below), ten windows in one anchorMany
 *    transaction, and one transaction per record.
 * 3. Per backend and run, the server as a child process with the default window (1,000 leaves or
 *    5 s): `--clients` concurrent clients POST `--requests` $ingest batches of `--batch` BLE heart
 *    rate readings, with PROVENANCE=off and on (which goes first alternates from run to run).
 *    Reported: readings/s both ways (the slowdown), the time until the last reading is anchored
 *    (pipeline versions/s end to end), commit → anchor latency p50/p99 of every version (from the
 *    pipeline's own tables), gas per anchored version of full windows and windows per anchor
 *    transaction, and `--verify` sequential $verify requests p50/p99; and CPU per reading (the
 *    server process, plus PostgreSQL's processes when it runs here) for ingest alone and for ingest
 *    with provenance until the last reading is anchored: the slowdown measured while ingesting
 *    leaves out whatever the pipeline does after the burst, this one does not. Each server then
 *    takes a second round of the same size, measured the same way: the first round is a freshly
 *    started server's, whose JIT compiler is still at work on the code it runs, the second a warm
 *    one's, as a server running for hours would be (the pipeline figures above are the first
 *    round's). Then the PROVENANCE=off data is reopened with provenance on: how fast the pipeline
 *    drains a backlog (its capacity).
 * Prints a table of medians and writes bench/results/provenance.json.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BrowserProvider, ContractFactory, Interface, Wallet, type Eip1193Provider } from 'ethers';
import ganache from 'ganache';
import { anchorArtifact } from '../contracts/artifact.ts';
import { buildAnchorWindow } from '../server/provenance/anchor-window.ts';
import { EmbeddedContentStore } from '../server/provenance/embedded-content-store.ts';
import { openEmbeddedLedgerReadOnly } from '../server/provenance/embedded-ledger.ts';
import { FileKeyStore } from '../server/provenance/file-key-store.ts';
import { leafHash, newSalt } from '../server/provenance/leaf.ts';
import { openDatabase } from '../server/store/open-database.ts';
import { startChildServer, type ChildServer } from '../test/helpers/child-server.ts';
import { freshDatabase, median, percentile, writeResults } from './support/bench-server.ts';
import { cpuSeconds } from './support/process-cpu.ts';
import { devicesBundle, readings } from './support/ble-readings.ts';
import { rawSealMs } from './support/raw-seal-baseline.ts';
import { syntheaObservations } from './support/synthea-observations.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    clients: { type: 'string', default: '4' },
    requests: { type: 'string', default: '10' },
    batch: { type: 'string', default: '2500' },
    backends: { type: 'string', default: 'pglite,postgres' },
    verify: { type: 'string', default: '200' },
  },
});
const runs = Number(values.runs);
const clients = Number(values.clients);
const requests = Number(values.requests);
const batch = Number(values.batch);
const verifies = Number(values.verify);
const log = (line: string) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------- 1. primitives

async function primitives(): Promise<{ pipeline: number; baseline: number; meanBytes: number }> {
  const versions = syntheaObservations(10_000, 40);
  const windows = Array.from({ length: 10 }, (_, w) => versions.slice(w * 1000, (w + 1) * 1000));
  const samples = { pipeline: [] as number[], baseline: [] as number[] };
  for (let run = -1; run < runs; run++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-bench-prov-'));
    const content = new EmbeddedContentStore(dir);
    const keys = await FileKeyStore.open(dir, randomBytes(32));
    let started = performance.now();
    for (const window of windows) {
      // The consumer's part (a salt and a leaf per version) and the worker's (buildAnchorWindow).
      const leaves = window.map((v) => ({ ...v, salt: newSalt(), leaf: undefined as Buffer | undefined })).map((v) => ({ ...v, leaf: leafHash(v.salt, v.bytes) }));
      await buildAnchorWindow(leaves, { content, keys });
    }
    const pipelineMs = performance.now() - started;
    await keys.close();
    await content.close();
    fs.rmSync(dir, { recursive: true, force: true });
    const baselineMs = rawSealMs(windows);
    if (run >= 0) {
      samples.pipeline.push((versions.length / pipelineMs) * 1000);
      samples.baseline.push((versions.length / baselineMs) * 1000);
    }
  }
  return { pipeline: median(samples.pipeline), baseline: median(samples.baseline), meanBytes: Math.round(versions.reduce((n, v) => n + v.bytes.length, 0) / versions.length) };
}

// ---------------------------------------------------------------- 2. gas

/** The design this contract replaced: a root → block mapping in storage and on-chain duplicate refusal. */
const STORAGE_DESIGN = `// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;
contract StorageAnchor {
    address public immutable operator;
    mapping(bytes32 => uint256) public anchoredAt;
    event Anchored(bytes32 indexed root, bytes manifestCid);
    error NotOperator();
    error AlreadyAnchored(bytes32 root, uint256 blockNumber);
    constructor() { operator = msg.sender; }
    function anchor(bytes32 root, bytes calldata manifestCid) external {
        if (msg.sender != operator) revert NotOperator();
        uint256 at = anchoredAt[root];
        if (at != 0) revert AlreadyAnchored(root, at);
        anchoredAt[root] = block.number;
        emit Anchored(root, manifestCid);
    }
}`;

async function gas(): Promise<{ eventOnly: number; storageDesign: number; manyPerWindow: number }> {
  const solc = createRequire(import.meta.url)('solc') as { compile(input: string): string };
  const compiled = JSON.parse(solc.compile(JSON.stringify({ language: 'Solidity', sources: { 'S.sol': { content: STORAGE_DESIGN } }, settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'paris', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } } })));
  const storage = compiled.contracts['S.sol'].StorageAnchor;
  const key = Wallet.createRandom().privateKey;
  const chain = ganache.provider({ chain: { chainId: 1337, hardfork: 'shanghai' }, wallet: { accounts: [{ secretKey: key, balance: `0x${(10n ** 27n).toString(16)}` }] }, miner: { instamine: 'eager' }, logging: { quiet: true } });
  const provider = new BrowserProvider(chain as unknown as Eip1193Provider, 1337, { staticNetwork: true, cacheTimeout: -1 });
  const signer = new Wallet(key, provider);
  const measure = async (abi: unknown[], bytecode: string, argument: () => unknown) => {
    const contract = await new ContractFactory(abi as never, bytecode, signer).deploy();
    await contract.waitForDeployment();
    const iface = new Interface(abi as never);
    const used: number[] = [];
    for (let i = 0; i < 5; i++) {
      const tx = await signer.sendTransaction({ to: await contract.getAddress(), data: iface.encodeFunctionData('anchor', [`0x${randomBytes(32).toString('hex')}`, argument()]) });
      used.push(Number((await provider.getTransactionReceipt(tx.hash))!.gasUsed));
    }
    return median(used);
  };
  const cid = () => Buffer.concat([Buffer.from('01551220', 'hex'), randomBytes(32)]);
  const artifact = anchorArtifact();
  const eventOnly = await measure(artifact.abi, artifact.bytecode, () => `0x${randomBytes(32).toString('hex')}`);
  // Ten windows in one anchorMany transaction, per window.
  const contract = await new ContractFactory(artifact.abi as never, artifact.bytecode, signer).deploy();
  await contract.waitForDeployment();
  const hashes = () => Array.from({ length: 10 }, () => `0x${randomBytes(32).toString('hex')}`);
  const many = await signer.sendTransaction({ to: await contract.getAddress(), data: new Interface(artifact.abi as never).encodeFunctionData('anchorMany', [hashes(), hashes()]) });
  const manyPerWindow = Number((await provider.getTransactionReceipt(many.hash))!.gasUsed) / 10;
  const storageDesign = await measure(storage.abi, `0x${storage.evm.bytecode.object}`, cid);
  provider.destroy();
  await chain.disconnect();
  return { eventOnly, storageDesign, manyPerWindow };
}

// ---------------------------------------------------------------- 3. the server


async function request(url: string, method: string, body?: string): Promise<any> {
  const response = await fetch(url, { method, headers: { 'Content-Type': 'application/json', Accept: 'application/fhir+json' }, body });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

async function setup(url: string): Promise<void> {
  await request(url, 'POST', devicesBundle());
  for (let i = 0; i < 2; i++) await request(`${url}/$ingest?mapping=ble-gatt`, 'POST', readings(200));
}

async function ingest(url: string): Promise<{ perSecond: number; startedAt: number }> {
  const bodies = Array.from({ length: clients }, () => Array.from({ length: requests }, () => readings(batch)));
  const startedAt = Date.now();
  const started = performance.now();
  await Promise.all(bodies.map(async (mine) => { for (const body of mine) await request(`${url}/$ingest?mapping=ble-gatt`, 'POST', body); }));
  return { perSecond: (clients * requests * batch) / ((performance.now() - started) / 1000), startedAt };
}

async function lastObservation(url: string): Promise<string> {
  const bundle = await request(`${url}/Observation?_sort=-_lastUpdated&_count=1`, 'GET');
  return bundle.entry[0].resource.id;
}

/**
 * Polls $verify of `id` every `intervalMs` until it is verified; returns when (ms since epoch).
 * Where the server's CPU is being counted it polls once a second: each $verify is a few ms of
 * that CPU, and polled every 100 ms while PGlite anchored the last readings they were ~4 µs per
 * reading of PGlite time alone (scratch measurement), counted as provenance's.
 */
async function anchoredAt(url: string, id: string, intervalMs = 100, timeoutMs = 600_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await request(`${url}/Observation/${id}/$verify`, 'GET');
    if (reply.parameter.find((p: any) => p.name === 'verified').valueBoolean) return Date.now();
    if (Date.now() > deadline) throw new Error(`Observation/${id} not anchored within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

async function verifyLatency(url: string): Promise<{ p50: number; p99: number }> {
  const bundle = await request(`${url}/Observation?_count=${verifies}&_sort=_lastUpdated`, 'GET');
  const ids: string[] = bundle.entry.map((e: any) => e.resource.id);
  const times: number[] = [];
  for (const pass of [0, 1]) {
    for (const id of ids) {
      const started = performance.now();
      const reply = await request(`${url}/Observation/${id}/$verify`, 'GET');
      if (pass === 1) times.push(performance.now() - started);
      if (!reply.parameter.find((p: any) => p.name === 'verified').valueBoolean) throw new Error(`Observation/${id} did not verify`);
    }
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

/**
 * After the server stopped, from the pipeline's own tables and the chain: commit → anchored latency
 * of every version committed since `since`; the sustained rate (versions in full windows over the
 * time until the last full window was anchored, so the last partial window's timer does not count);
 * gas per version of full windows.
 */
async function pipelineFigures(dataDir: string, databaseUrl: string | undefined, since?: number, until?: number) {
  const db = await openDatabase({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: 2 });
  const start = since ?? Number((await db.query<{ ms: string }>('SELECT extract(epoch FROM min(created_at)) * 1000 AS ms FROM provenance_leaf_run')).rows[0].ms);
  // Bounds in ms since the epoch ($1, $2; no upper bound when $2 is NULL): versions committed, and
  // windows whose leaves were recorded, within them.
  const bounds = [Math.floor(start), until === undefined ? null : Math.floor(until)];
  const windowWithin = `(SELECT created_at FROM provenance_leaf_run WHERE first_leaf <= w.first_leaf ORDER BY first_leaf DESC LIMIT 1) >= to_timestamp($1 / 1000.0)
        AND ($2::int8 IS NULL OR w.last_leaf <= (SELECT coalesce(max(first_leaf + leaf_count - 1), 0) FROM provenance_leaf_run WHERE created_at < to_timestamp($2 / 1000.0)))`;
  const { rows } = await db.query<{ ms: number }>(
    `SELECT extract(epoch FROM w.anchored_at) * 1000 - u.committed AS ms
       FROM provenance_leaf_run r CROSS JOIN LATERAL unnest(r.committed_ms) WITH ORDINALITY AS u(committed, i)
       JOIN provenance_window w ON int8range(w.first_leaf, w.last_leaf, '[]') @> (r.first_leaf + u.i - 1)
      WHERE u.committed >= $1 AND ($2::int8 IS NULL OR u.committed < $2)`,
    bounds,
  );
  const { rows: full } = await db.query<{ tx_hash: string; n: string; anchored_ms: string }>(
    `SELECT w.tx_hash, w.last_leaf - w.first_leaf + 1 AS n, extract(epoch FROM w.anchored_at) * 1000 AS anchored_ms FROM provenance_window w
      WHERE w.status = 'anchored' AND w.last_leaf - w.first_leaf + 1 = 1000 AND ${windowWithin}`,
    bounds,
  );
  // Windows share anchor transactions (anchorMany): gas per version is a transaction's gas over the
  // versions of all its windows, taken from transactions that hold full windows only.
  const { rows: txs } = await db.query<{ tx_hash: string; windows: string; versions: string }>(
    `SELECT tx_hash, count(*) AS windows, sum(last_leaf - first_leaf + 1) AS versions FROM provenance_window w
      WHERE status = 'anchored' AND ${windowWithin}
      GROUP BY tx_hash HAVING bool_and(last_leaf - first_leaf + 1 = 1000) ORDER BY min(window_id)`,
    bounds,
  );
  await db.close();
  const ledger = await openEmbeddedLedgerReadOnly(dataDir);
  const perVersion: number[] = [];
  for (const tx of txs.slice(0, 5)) perVersion.push(Number((await ledger.provider.getTransactionReceipt(tx.tx_hash))!.gasUsed) / Number(tx.versions));
  await ledger.close();
  const latencies = rows.map((r) => Number(r.ms));
  const lastFull = Math.max(...full.map((w) => Number(w.anchored_ms)));
  return {
    latencyP50: percentile(latencies, 50),
    latencyP99: percentile(latencies, 99),
    sustainedPerSecond: full.length ? (full.length * 1000) / ((lastFull - start) / 1000) : 0,
    gasPerVersion: median(perVersion),
    windowsPerTransaction: median(txs.map((tx) => Number(tx.windows))),
  };
}

interface RunResult {
  offPerSecond: number;
  onPerSecond: number;
  /** Versions in full windows anchored per second while ingesting. */
  pipelinePerSecond: number;
  /** The same over a backlog (every version waiting at once): the pipeline's capacity. */
  drainPerSecond: number;
  latencyP50: number;
  latencyP99: number;
  gasPerVersion: number;
  /** Full windows per anchor transaction (median over the run's transactions). */
  windowsPerTransaction: number;
  verifyP50: number;
  verifyP99: number;
  /** CPU µs per reading (server process, plus PostgreSQL's processes on this machine): ingest alone. */
  cpuOffMicros: number;
  /** The same with provenance on, until the last reading is anchored: all the pipeline's work included. */
  cpuOnMicros: number;
  /** The four figures above for a second round of the same size on the same (now warm) servers. */
  offWarmPerSecond: number;
  onWarmPerSecond: number;
  cpuOffWarmMicros: number;
  cpuOnWarmMicros: number;
}

function cpuUsed(before: number | undefined, child: ChildServer, backend: 'pglite' | 'postgres'): number | undefined {
  const after = cpuSeconds(child.process.pid!, backend === 'postgres');
  return before === undefined || after === undefined ? undefined : after - before;
}

async function serverRun(backend: 'pglite' | 'postgres', onFirst: boolean): Promise<RunResult> {
  const dirs = [fs.mkdtempSync(path.join(os.tmpdir(), 'vc-bench-prov-off-')), fs.mkdtempSync(path.join(os.tmpdir(), 'vc-bench-prov-on-'))];
  const databases = backend === 'postgres' ? [await freshDatabase('vc_bench_off'), await freshDatabase('vc_bench_on')] : [];
  const env = (i: number, provenance: 'on' | 'off') => ({ DATA_DIR: dirs[i], PROVENANCE: provenance, RISK_SCORING: 'off', LOG_LEVEL: 'error', ...(databases[i] ? { DATABASE_URL: databases[i].url } : {}) });
  let child: ChildServer | undefined;
  // Two rounds per server: the first is a freshly started one's (its JIT compiler still at work on
  // the code it runs), the second the same server warm, as one running for hours would be.
  // `settled` waits for whatever the server still does for a round's readings.
  const rounds = async (server: ChildServer, settled: () => Promise<unknown>) => {
    const measured: Array<{ ingested: { perSecond: number; startedAt: number }; cpu: number | undefined }> = [];
    for (let round = 0; round < 2; round++) {
      const before = cpuSeconds(server.process.pid!, backend === 'postgres');
      const ingested = await ingest(server.url);
      await settled();
      measured.push({ ingested, cpu: cpuUsed(before, server, backend) });
    }
    return measured;
  };
  const measureOff = async () => {
    child = await startChildServer(env(0, 'off'));
    await setup(child.url);
    const measured = await rounds(child, async () => {});
    await child.kill('SIGTERM');
    return measured;
  };
  const measureOn = async () => {
    const server = (child = await startChildServer(env(1, 'on')));
    await setup(server.url);
    await anchoredAt(server.url, await lastObservation(server.url));
    // Everything provenance does for a round's readings is done once the last one is anchored.
    const measured = await rounds(server, async () => anchoredAt(server.url, await lastObservation(server.url), 1_000));
    const verify = await verifyLatency(server.url);
    await server.kill('SIGTERM');
    const figures = await pipelineFigures(dirs[1], databases[1]?.url, measured[0]!.ingested.startedAt, measured[1]!.ingested.startedAt);
    return { rounds: measured, verify, figures };
  };
  try {
    // Which of the two goes first alternates from run to run: on a shared host whose speed drifts
    // within a run, a fixed order would favour the same side every time.
    const onResult = onFirst ? await measureOn() : undefined;
    const offRounds = await measureOff();
    const { rounds: onRounds, verify, figures } = onResult ?? (await measureOn());
    const perReading = (cpu: number | undefined) => (cpu === undefined ? NaN : (cpu * 1e6) / (clients * requests * batch));

    // The PROVENANCE=off data, reopened with provenance on: a backlog of every version at once.
    child = await startChildServer(env(0, 'on'));
    await anchoredAt(child.url, await lastObservation(child.url));
    await child.kill('SIGTERM');
    child = undefined;
    const drain = await pipelineFigures(dirs[0], databases[0]?.url);
    return {
      offPerSecond: offRounds[0]!.ingested.perSecond,
      onPerSecond: onRounds[0]!.ingested.perSecond,
      offWarmPerSecond: offRounds[1]!.ingested.perSecond,
      onWarmPerSecond: onRounds[1]!.ingested.perSecond,
      pipelinePerSecond: figures.sustainedPerSecond,
      drainPerSecond: drain.sustainedPerSecond,
      latencyP50: figures.latencyP50,
      latencyP99: figures.latencyP99,
      gasPerVersion: figures.gasPerVersion,
      windowsPerTransaction: figures.windowsPerTransaction,
      verifyP50: verify.p50,
      verifyP99: verify.p99,
      cpuOffMicros: perReading(offRounds[0]!.cpu),
      cpuOnMicros: perReading(onRounds[0]!.cpu),
      cpuOffWarmMicros: perReading(offRounds[1]!.cpu),
      cpuOnWarmMicros: perReading(onRounds[1]!.cpu),
    };
  } finally {
    await child?.kill('SIGKILL');
    for (const db of databases) await db.drop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- report

log('primitives …');
const prim = await primitives();
log('gas …');
const gasUsed = await gas();
const servers: Record<string, RunResult & { runs: RunResult[] }> = {};
for (const backend of values.backends!.split(',') as ('pglite' | 'postgres')[]) {
  const results: RunResult[] = [];
  for (let run = 0; run < runs; run++) {
    const result = await serverRun(backend, run % 2 === 1);
    results.push(result);
    log(`${backend} run ${run + 1}: ingest ${Math.round(result.offPerSecond)}/s off, ${Math.round(result.onPerSecond)}/s on (${((1 - result.onPerSecond / result.offPerSecond) * 100).toFixed(1)} % slower); pipeline ${Math.round(result.pipelinePerSecond)}/s, drain ${Math.round(result.drainPerSecond)}/s; latency p50 ${Math.round(result.latencyP50)} ms p99 ${Math.round(result.latencyP99)} ms; ${result.gasPerVersion.toFixed(2)} gas/version, ${result.windowsPerTransaction} windows/tx; $verify p50 ${result.verifyP50.toFixed(1)} ms; CPU ${Math.round(result.cpuOffMicros)} / ${Math.round(result.cpuOnMicros)} µs per reading; warm: ingest ${Math.round(result.offWarmPerSecond)}/s off, ${Math.round(result.onWarmPerSecond)}/s on, CPU ${Math.round(result.cpuOffWarmMicros)} / ${Math.round(result.cpuOnWarmMicros)} µs per reading`);
  }
  const pick = (key: keyof RunResult) => median(results.map((r) => r[key]));
  servers[backend] = { ...(Object.fromEntries((Object.keys(results[0]) as (keyof RunResult)[]).map((k) => [k, pick(k)])) as unknown as RunResult), runs: results };
}

const row = (label: string, value: string) => console.log(`${label.padEnd(66)} ${value}`);
const n = (x: number, digits = 0) => x.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
console.log(`\nprovenance — ${os.cpus().length} cores, Node ${process.version}; medians of ${runs} runs; ingest: ${clients} clients × ${requests} × ${batch} BLE readings; windows 1,000 leaves / 5 s\n`);
row(`leaf + bundle + AES-GCM + blocks + manifest (versions/s, ${prim.meanBytes} B each)`, n(prim.pipeline));
row('baseline: salted SHA-256 + AES-256-GCM of the same bytes (versions/s)', n(prim.baseline));
row('ratio', n(prim.pipeline / prim.baseline, 3));
row('gas per anchor: event-only contract (this one)', n(gasUsed.eventOnly));
row('gas per anchor: storage mapping + duplicate check (replaced design)', n(gasUsed.storageDesign));
row('gas per version at 1,000-leaf windows: event-only / storage design', `${n(gasUsed.eventOnly / 1000, 2)} / ${n(gasUsed.storageDesign / 1000, 2)}`);
row('gas per window, ten windows in one anchorMany transaction', n(gasUsed.manyPerWindow));
row('gas per version, one transaction per record', n(gasUsed.eventOnly));
for (const [backend, r] of Object.entries(servers)) {
  console.log(`\n${backend}`);
  row('  $ingest readings/s, PROVENANCE=off', n(r.offPerSecond));
  row('  $ingest readings/s, PROVENANCE=on', `${n(r.onPerSecond)} (${n((1 - r.onPerSecond / r.offPerSecond) * 100, 1)} % slower)`);
  row(`  CPU µs per reading${backend === 'postgres' ? ' (server + PostgreSQL)' : ''}: off / on, until anchored`, `${n(r.cpuOffMicros)} / ${n(r.cpuOnMicros)}`);
  row('  sustained slowdown where CPU is the limit: 1 − CPU off / on', `${n((1 - r.cpuOffMicros / r.cpuOnMicros) * 100, 1)} %`);
  row('  warm servers (second round): $ingest readings/s off / on', `${n(r.offWarmPerSecond)} / ${n(r.onWarmPerSecond)} (${n((1 - r.onWarmPerSecond / r.offWarmPerSecond) * 100, 1)} % slower)`);
  row('  warm servers: CPU µs per reading off / on, until anchored', `${n(r.cpuOffWarmMicros)} / ${n(r.cpuOnWarmMicros)}`);
  row('  warm servers: sustained slowdown, 1 − CPU off / on', `${n((1 - r.cpuOffWarmMicros / r.cpuOnWarmMicros) * 100, 1)} %`);
  row('  pipeline while ingesting: versions anchored per second (full windows)', n(r.pipelinePerSecond));
  row('  pipeline capacity: a backlog drained (versions/s, full windows)', n(r.drainPerSecond));
  row('  commit → anchored latency p50 / p99 (ms)', `${n(r.latencyP50)} / ${n(r.latencyP99)}`);
  row('  gas per anchored version (1,000-leaf windows)', n(r.gasPerVersion, 2));
  row('  windows per anchor transaction (median)', n(r.windowsPerTransaction, 1));
  row('  $verify p50 / p99 (ms)', `${n(r.verifyP50, 1)} / ${n(r.verifyP99, 1)}`);
}
console.log(`\nwrote ${writeResults('provenance', { clients, requests, batch, runs, primitives: prim, gas: gasUsed, servers })}`);

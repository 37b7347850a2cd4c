import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAnchorWindow } from '../../server/provenance/anchor-window.ts';
import { EmbeddedContentStore } from '../../server/provenance/embedded-content-store.ts';
import { openEmbeddedLedger } from '../../server/provenance/embedded-ledger.ts';
import { FileKeyStore } from '../../server/provenance/file-key-store.ts';
import { openJsonRpcLedger } from '../../server/provenance/json-rpc-ledger.ts';
import type { Ledger } from '../../server/provenance/ledger.ts';
import { createProof, type ProvenanceProof } from '../../server/provenance/proof.ts';
import { verifyProofMath } from '../../server/provenance/proof-verifier.ts';
import { ANVIL_KEY_0, anvilInstalled, startAnvil, type Anvil } from './anvil.ts';
import { syntheaVersions } from './synthea-versions.ts';
import { withTempDir } from './tmp-dir.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(repoRoot, 'bin', 'vitalchain.mjs'), 'verify', ...args], { cwd: repoRoot });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Builds a window from Synthea versions, anchors it and returns the proof of version `index`. */
async function anchoredProof(dir: string, ledger: Ledger, index: number): Promise<ProvenanceProof> {
  const content = new EmbeddedContentStore(dir);
  const keys = await FileKeyStore.open(dir, randomBytes(32));
  const versions = syntheaVersions(40, 2);
  const window = await buildAnchorWindow(versions, { content, keys });
  const anchor = { ...(await ledger.anchor(window.root, window.manifestCid)), manifestCid: window.manifestCid };
  await keys.close();
  await content.close();
  const entry = window.entries[index];
  return createProof({ version: versions[index], leafIndex: index, merkle: { path: entry.path, treeSize: versions.length }, anchor, bundleCid: entry.bundleCid });
}

const tamper = (proof: ProvenanceProof, change: (p: ProvenanceProof) => void): ProvenanceProof => {
  const copy = structuredClone(proof);
  change(copy);
  return copy;
};

describe('vitalchain verify', () => {
  let anvil: Anvil;
  beforeAll(async () => {
    if (anvilInstalled) anvil = await startAnvil();
  });
  afterAll(async () => {
    await anvil?.stop();
  });

  it('verifies a proof against the embedded chain of a stopped server, and rejects tampered copies', async () => {
    await withTempDir(async (dir) => {
      const ledger = await openEmbeddedLedger(dir);
      const proof = await anchoredProof(dir, ledger, 17);
      expect(verifyProofMath(proof).every((c) => c.ok)).toBe(true);
      await writeFile(path.join(dir, 'proof.json'), JSON.stringify(proof));
      // While this process holds the chain database the CLI must say so, not crash.
      const busy = await cli(path.join(dir, 'proof.json'), '--data-dir', dir);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(/in use by another process/);
      await ledger.close();

      const stored = Buffer.from(proof.leaf.bytesBase64!, 'base64').toString();
      const files = {
        good: proof,
        bytes: tamper(proof, (p) => (p.leaf.bytesBase64 = Buffer.from(stored.replace('"1"', '"2"')).toString('base64'))),
        path: tamper(proof, (p) => (p.merkle.path[1] = p.merkle.path[1].replace(/^./, (c) => (c === '0' ? '1' : '0')))),
      };
      for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, `${name}.json`), JSON.stringify(content));

      // Tampered copies fail on the proof's own arithmetic, before the chain database is opened, so all three can run at once.
      const [good, bytes, pathTamper] = await Promise.all(['good', 'bytes', 'path'].map((name) => cli(path.join(dir, `${name}.json`), '--data-dir', dir)));
      expect(good.code).toBe(0);
      for (const check of ['bytes', 'leaf', 'merkle-path', 'chain-id', 'contract-code', 'transaction', 'anchored-event', 'earliest-anchor', 'manifest']) {
        expect(good.stdout).toMatch(new RegExp(`^PASS  ${check} `, 'm'));
      }
      expect(good.stdout).toMatch(/^VERIFIED$/m);

      expect(bytes.code).toBe(1);
      expect(bytes.stdout).toMatch(/^FAIL  bytes /m);
      expect(pathTamper.code).toBe(1);
      expect(pathTamper.stdout).toMatch(/^FAIL  merkle-path /m);
      expect(pathTamper.stdout).toMatch(/^NOT VERIFIED$/m);
    });
  });

  it.skipIf(!anvilInstalled)('verifies a proof against a JSON-RPC chain (anvil), and rejects a wrong manifest, transaction or chain', async () => {
    await withTempDir(async (dir) => {
      const ledger = await openJsonRpcLedger({ rpcUrl: anvil.url, privateKey: ANVIL_KEY_0 });
      const proof = await anchoredProof(dir, ledger, 3);
      const other = await ledger.anchor(`0x${randomBytes(32).toString('hex')}`, proof.anchor.manifestCid);
      await ledger.close();

      const variants = {
        good: proof,
        manifest: tamper(proof, (p) => (p.anchor.manifestCid = 'bafkreig3edcqsh7ku54usb3qqan5d3tq4mcjh55od4n4nflmedrvr5oyxu')),
        tx: tamper(proof, (p) => Object.assign(p.anchor, { txHash: other.txHash, blockNumber: other.blockNumber })),
        chain: tamper(proof, (p) => (p.anchor.chainId = 1)),
      };
      for (const [name, content] of Object.entries(variants)) await writeFile(path.join(dir, `${name}.json`), JSON.stringify(content));
      const [good, manifest, tx, chain, offline, usage] = await Promise.all([
        cli(path.join(dir, 'good.json'), '--rpc', anvil.url),
        cli(path.join(dir, 'manifest.json'), '--rpc', anvil.url),
        cli(path.join(dir, 'tx.json'), '--rpc', anvil.url, '--json'),
        cli(path.join(dir, 'chain.json'), '--rpc', anvil.url),
        cli(path.join(dir, 'good.json'), '--offline'),
        cli(path.join(dir, 'good.json')),
      ]);
      expect(good.code).toBe(0);
      expect(good.stdout).toMatch(/^PASS  anchored-event /m);
      expect(good.stdout).toMatch(/^VERIFIED$/m);
      expect(manifest.code).toBe(1);
      expect(manifest.stdout).toMatch(/^FAIL  anchored-event /m);
      expect(tx.code).toBe(1);
      const txResult = JSON.parse(tx.stdout) as { verified: boolean; checks: { name: string; ok: boolean }[] };
      expect(txResult.verified).toBe(false);
      expect(txResult.checks.find((c) => c.name === 'anchored-event')?.ok).toBe(false);
      expect(chain.code).toBe(1);
      expect(chain.stdout).toMatch(/^FAIL  chain-id /m);
      expect(offline.code).toBe(0);
      expect(offline.stdout).toMatch(/chain not checked/);
      expect(usage.code).toBe(2);
    });
  });
});

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Interface, Wallet, type InterfaceAbi } from 'ethers';
import { describe, expect, it } from 'vitest';
import { anchorArtifact, isAnchorRuntimeCode } from '../../contracts/artifact.ts';
import { EMBEDDED_CHAIN_ID, openEmbeddedLedger } from '../../server/provenance/embedded-ledger.ts';
import { ProvenanceFailureError } from '../../server/provenance/errors.ts';
import { decodeAnchorRevert } from '../../server/provenance/evm-ledger.ts';
import { manifestDigest } from '../../server/provenance/manifest-digest.ts';
import { withTempDir } from './tmp-dir.ts';

const CID_A = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4';
const CID_B = 'bafkreig3edcqsh7ku54usb3qqan5d3tq4mcjh55od4n4nflmedrvr5oyxu';
const randomRoot = () => `0x${randomBytes(32).toString('hex')}`;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('EmbeddedLedger (in-process ganache on disk)', () => {
  it('deploys the contract, anchors idempotently, looks roots up and lists them by block and time range', async () => {
    await withTempDir(async (dir) => {
      const ledger = await openEmbeddedLedger(dir);
      expect(await ledger.chainId()).toBe(EMBEDDED_CHAIN_ID);
      const contract = await ledger.contractAddress();
      expect(isAnchorRuntimeCode(await ledger.provider.getCode(contract))).toBe(true);

      const r1 = randomRoot();
      const first = await ledger.anchor(r1, CID_A);
      expect(first).toMatchObject({ root: r1, manifestDigest: manifestDigest(CID_A), chainId: EMBEDDED_CHAIN_ID, contract, alreadyAnchored: false });
      const receipt = await ledger.provider.getTransactionReceipt(first.txHash);
      expect(receipt?.status).toBe(1);
      expect(receipt?.blockNumber).toBe(first.blockNumber);

      // Same root again, even with another manifest: nothing is sent, the original anchor comes back.
      const head = await ledger.provider.getBlockNumber();
      const again = await ledger.anchor(r1, CID_B);
      expect(again).toMatchObject({ ...first, alreadyAnchored: true, manifestDigest: manifestDigest(CID_A) });
      expect(await ledger.provider.getBlockNumber()).toBe(head);
      const { alreadyAnchored: _, ...record } = first;
      expect(await ledger.lookup(r1)).toEqual(record);
      expect(await ledger.lookup(randomRoot())).toBeUndefined();

      await ledger.provider.send('evm_increaseTime', [3600]);
      const second = await ledger.anchor(randomRoot(), CID_B);
      expect(second.blockTime - first.blockTime).toBeGreaterThanOrEqual(3600);

      const all = await ledger.anchorsInRange({ fromBlock: 0 });
      expect(all.map((a) => a.root)).toEqual([first.root, second.root]);
      expect((await ledger.anchorsInRange({ fromBlock: second.blockNumber, toBlock: second.blockNumber })).map((a) => a.root)).toEqual([second.root]);
      expect((await ledger.anchorsInRange({ fromTime: first.blockTime, toTime: first.blockTime + 60 })).map((a) => a.root)).toEqual([first.root]);
      expect((await ledger.anchorsInRange({ fromTime: second.blockTime - 10 })).map((a) => a.root)).toEqual([second.root]);
      expect(await ledger.anchorsInRange({ fromTime: second.blockTime + 10_000 })).toEqual([]);

      await expect(ledger.anchor('0x1234', CID_A)).rejects.toThrow(ProvenanceFailureError);
      await expect(ledger.anchor(randomRoot(), 'not-a-cid')).rejects.toThrow(ProvenanceFailureError);
      await ledger.close();
    });
  });

  it('the contract accepts anchors from its operator only (the key in DATA_DIR/chain/state.json)', async () => {
    await withTempDir(async (dir) => {
      const ledger = await openEmbeddedLedger(dir);
      const anchored = await ledger.anchor(randomRoot(), CID_A);
      const { privateKey, deployBlock } = JSON.parse(await readFile(path.join(dir, 'chain', 'state.json'), 'utf8')) as { privateKey: string; deployBlock: number };
      expect(deployBlock).toBeLessThan(anchored.blockNumber);
      const iface = new Interface(anchorArtifact().abi as InterfaceAbi);
      const data = iface.encodeFunctionData('anchor', [randomRoot(), manifestDigest(CID_B)]);
      const operator = new Wallet(privateKey, ledger.provider);
      expect(await operator.estimateGas({ to: anchored.contract, data })).toBeGreaterThan(21_000n);
      const stranger = Wallet.createRandom(ledger.provider);
      expect(decodeAnchorRevert(await stranger.estimateGas({ to: anchored.contract, data }).catch((err: unknown) => err))).toBe('NotOperator');
      await ledger.close();
    });
  });

  it('keeps its blocks, contract and anchors across a restart', async () => {
    await withTempDir(async (dir) => {
      const ledger = await openEmbeddedLedger(dir);
      const anchored = await ledger.anchor(randomRoot(), CID_A);
      await ledger.close();
      const reopened = await openEmbeddedLedger(dir);
      expect(await reopened.contractAddress()).toBe(anchored.contract);
      const { alreadyAnchored, ...record } = anchored;
      expect(alreadyAnchored).toBe(false);
      expect(await reopened.lookup(anchored.root)).toEqual(record);
      const next = await reopened.anchor(randomRoot(), CID_B);
      expect(next.blockNumber).toBeGreaterThan(anchored.blockNumber);
      await reopened.close();
    });
  });

  it('keeps every anchor it reported when its process is killed with SIGKILL', async () => {
    await withTempDir(async (dir) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test', 'provenance', 'anchor-child.ts'), dir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
      const reported: { root: string; blockNumber: number; txHash: string }[] = [];
      const exited = new Promise((resolve) => child.once('exit', resolve));
      for await (const line of createInterface({ input: child.stdout! })) {
        reported.push(JSON.parse(line));
        if (reported.length === 8) {
          child.kill('SIGKILL');
          break;
        }
      }
      expect(await exited).toBeDefined();
      expect(child.signalCode).toBe('SIGKILL');

      const ledger = await openEmbeddedLedger(dir);
      for (const anchor of reported) {
        expect(await ledger.lookup(anchor.root)).toMatchObject({ root: anchor.root, blockNumber: anchor.blockNumber, txHash: anchor.txHash });
      }
      expect(await ledger.provider.getBlockNumber()).toBeGreaterThanOrEqual(reported[reported.length - 1].blockNumber);
      const after = await ledger.anchor(randomRoot(), CID_A);
      expect(after.alreadyAnchored).toBe(false);
      await ledger.close();
    });
  });
});

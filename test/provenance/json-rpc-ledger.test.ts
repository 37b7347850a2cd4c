import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAnchorRuntimeCode } from '../../contracts/artifact.ts';
import { ProvenanceFailureError, ProvenanceUnavailableError, isRetryable } from '../../server/provenance/errors.ts';
import { decodeAnchorRevert } from '../../server/provenance/evm-ledger.ts';
import { openJsonRpcLedger } from '../../server/provenance/json-rpc-ledger.ts';
import { manifestDigest } from '../../server/provenance/manifest-digest.ts';
import { ANVIL_KEY_0, ANVIL_KEY_1, anvilInstalled, startAnvil, type Anvil } from './anvil.ts';
import { ContractFactory, Interface, JsonRpcProvider, Wallet, type InterfaceAbi } from 'ethers';
import { anchorArtifact, anchorArtifactV1 } from '../../contracts/artifact.ts';

const CID_A = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4';
const CID_B = 'bafkreig3edcqsh7ku54usb3qqan5d3tq4mcjh55od4n4nflmedrvr5oyxu';
const ANVIL_KEY_1_ADDRESS = new Wallet(ANVIL_KEY_1).address;
const randomRoot = () => `0x${randomBytes(32).toString('hex')}`;

describe.skipIf(!anvilInstalled)('JsonRpcLedger against anvil', () => {
  let anvil: Anvil;
  beforeAll(async () => {
    anvil = await startAnvil();
  });
  afterAll(async () => {
    await anvil?.stop();
  });

  it('deploys when no contract is given, then reuses the deployed address', async () => {
    let deployed: string | undefined;
    let deployedBlock = -1;
    const ledger = await openJsonRpcLedger({ rpcUrl: anvil.url, privateKey: ANVIL_KEY_0, onDeployed: async (address, block) => void ((deployed = address), (deployedBlock = block)) });
    expect(await ledger.chainId()).toBe(31337);
    expect(deployed).toBe(await ledger.contractAddress());
    expect(deployedBlock).toBeGreaterThan(0);
    expect(isAnchorRuntimeCode(await ledger.provider.getCode(deployed!))).toBe(true);
    const anchored = await ledger.anchor(randomRoot(), CID_A);
    await ledger.close();

    const reused = await openJsonRpcLedger({ rpcUrl: anvil.url, privateKey: ANVIL_KEY_0, contract: deployed, contractBlock: deployedBlock, onDeployed: async () => { throw new Error('must not deploy'); } });
    const { alreadyAnchored, ...record } = anchored;
    expect(alreadyAnchored).toBe(false);
    expect(await reused.lookup(anchored.root)).toEqual(record);
    expect(await reused.anchor(anchored.root, CID_B)).toEqual({ ...record, alreadyAnchored: true });
    const later = await reused.anchor(randomRoot(), CID_B);
    expect((await reused.anchorsInRange({ fromBlock: anchored.blockNumber })).map((a) => [a.root, a.manifestDigest])).toEqual([
      [anchored.root, manifestDigest(CID_A)],
      [later.root, manifestDigest(CID_B)],
    ]);
    await reused.close();
  });

  it('the contract refuses anchors from anyone but its operator; a root anchored twice resolves to its earliest anchor', async () => {
    const ledger = await openJsonRpcLedger({ rpcUrl: anvil.url, privateKey: ANVIL_KEY_0 });
    const contract = await ledger.contractAddress();
    const root = randomRoot();
    const first = await ledger.anchor(root, CID_A);
    const iface = new Interface(anchorArtifact().abi as InterfaceAbi);
    const provider = new JsonRpcProvider(anvil.url, 31337, { staticNetwork: true, cacheTimeout: -1 });
    const stranger = new Wallet(ANVIL_KEY_1, provider);
    const fresh = iface.encodeFunctionData('anchor', [randomRoot(), manifestDigest(CID_A)]);
    expect(decodeAnchorRevert(await stranger.estimateGas({ to: contract, data: fresh }).catch((e: unknown) => e))).toBe('NotOperator');
    // Bypassing the ledger's look-up, the operator can anchor a root again; the first anchor stays the record.
    const operator = new Wallet(ANVIL_KEY_0, provider);
    const again = await operator.sendTransaction({ to: contract, data: iface.encodeFunctionData('anchor', [root, manifestDigest(CID_B)]) });
    expect((await provider.waitForTransaction(again.hash))?.status).toBe(1);
    const { alreadyAnchored: _, ...record } = first;
    expect(await ledger.lookup(root)).toEqual(record);
    expect(await ledger.anchor(root, CID_B)).toEqual({ ...record, alreadyAnchored: true });
    // A look-up from a later block only sees the later anchor; one from past both sees none.
    const second = await ledger.lookup(root, first.blockNumber + 1);
    expect(second?.txHash).toBe(again.hash);
    expect(second?.manifestDigest).toBe(manifestDigest(CID_B));
    expect(await ledger.lookup(root, (await ledger.blockNumber()) + 1)).toBeUndefined();
    provider.destroy();
    await ledger.close();

    // A ledger whose key is not the contract's operator is refused at open, not at the first anchor.
    await expect(openJsonRpcLedger({ rpcUrl: anvil.url, privateKey: ANVIL_KEY_1, contract })).rejects.toThrow(/accepts anchors from/);
    // An address without the contract is refused too.
    await expect(openJsonRpcLedger({ rpcUrl: anvil.url, privateKey: ANVIL_KEY_0, contract: stranger.address })).rejects.toThrow(ProvenanceFailureError);
  });

  it('keeps the nonce between anchors, and recovers with one retry when the key sent elsewhere meanwhile', async () => {
    const ledger = await openJsonRpcLedger({ rpcUrl: anvil.url, privateKey: ANVIL_KEY_0 });
    await ledger.anchor(randomRoot(), CID_A);
    await ledger.anchor(randomRoot(), CID_A);
    // Another process holding the anchoring lease for a while sends with the same key.
    const provider = new JsonRpcProvider(anvil.url, 31337, { staticNetwork: true, cacheTimeout: -1 });
    const elsewhere = await new Wallet(ANVIL_KEY_0, provider).sendTransaction({ to: ANVIL_KEY_1_ADDRESS, value: 1n });
    await provider.waitForTransaction(elsewhere.hash);
    const root = randomRoot();
    const stale = await ledger.anchor(root, CID_B).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ProvenanceUnavailableError);
    expect(isRetryable(stale)).toBe(true);
    const retried = await ledger.anchor(root, CID_B);
    expect(retried.alreadyAnchored).toBe(false);
    expect((await ledger.lookup(root))?.txHash).toBe(retried.txHash);
    provider.destroy();
    await ledger.close();
  });

  it('anchors several windows in one transaction, skipping roots already on-chain', async () => {
    const ledger = await openJsonRpcLedger({ rpcUrl: anvil.url, privateKey: ANVIL_KEY_0 });
    const earlier = await ledger.anchor(randomRoot(), CID_A);
    const windows = [{ root: randomRoot(), manifestCid: CID_A }, { root: earlier.root, manifestCid: CID_B }, { root: randomRoot(), manifestCid: CID_B }];
    const receipts = await ledger.anchorMany(windows, { searchFromBlock: earlier.blockNumber });
    expect(receipts.map((r) => [r.root, r.alreadyAnchored])).toEqual([[windows[0].root, false], [earlier.root, true], [windows[2].root, false]]);
    expect(receipts[1].txHash).toBe(earlier.txHash);
    expect(receipts[1].manifestDigest).toBe(manifestDigest(CID_A));
    // The two new roots share one transaction, each with its own Anchored log and manifest.
    expect(receipts[2].txHash).toBe(receipts[0].txHash);
    expect(receipts.map((r) => r.manifestDigest)).toEqual([manifestDigest(CID_A), manifestDigest(CID_A), manifestDigest(CID_B)]);
    expect((await ledger.anchorsInTransaction(receipts[0].txHash)).map((a) => a.root)).toEqual([windows[0].root, windows[2].root]);
    expect((await ledger.lookup(windows[2].root))?.logIndex).toBe(receipts[2].logIndex);
    await ledger.close();
  });

  it('keeps anchoring on a contract an earlier version deployed, one window per transaction', async () => {
    const provider = new JsonRpcProvider(anvil.url, 31337, { staticNetwork: true, cacheTimeout: -1 });
    const v1 = anchorArtifactV1();
    const deployment = await new ContractFactory(v1.abi as InterfaceAbi, v1.bytecode, new Wallet(ANVIL_KEY_0, provider)).deploy();
    const address = await deployment.getAddress();
    await deployment.waitForDeployment();
    const ledger = await openJsonRpcLedger({ rpcUrl: anvil.url, privateKey: ANVIL_KEY_0, contract: address });
    const receipts = await ledger.anchorMany([{ root: randomRoot(), manifestCid: CID_A }, { root: randomRoot(), manifestCid: CID_B }]);
    expect(receipts.map((r) => r.alreadyAnchored)).toEqual([false, false]);
    expect(receipts[0].txHash).not.toBe(receipts[1].txHash);
    expect((await ledger.lookup(receipts[1].root))?.manifestDigest).toBe(manifestDigest(CID_B));
    provider.destroy();
    await ledger.close();
  });

  it('lists anchors by time range', async () => {
    const ledger = await openJsonRpcLedger({ rpcUrl: anvil.url, privateKey: ANVIL_KEY_0 });
    const early = await ledger.anchor(randomRoot(), CID_A);
    await ledger.provider.send('evm_increaseTime', [7200]);
    const late = await ledger.anchor(randomRoot(), CID_B);
    expect((await ledger.anchorsInRange({ fromTime: early.blockTime, toTime: early.blockTime + 100 })).map((a) => a.root)).toEqual([early.root]);
    expect((await ledger.anchorsInRange({ fromTime: late.blockTime - 100 })).map((a) => a.root)).toEqual([late.root]);
    await ledger.close();
  });

  it('reports an unreachable or stopped node as unavailable (retry later), not as a failure', async () => {
    const node = await startAnvil();
    const ledger = await openJsonRpcLedger({ rpcUrl: node.url, privateKey: ANVIL_KEY_0, requestTimeoutMs: 3_000 });
    await node.stop();
    const error = await ledger.anchor(randomRoot(), CID_A).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProvenanceUnavailableError);
    expect(isRetryable(error)).toBe(true);
    await expect(ledger.lookup(randomRoot())).rejects.toBeInstanceOf(ProvenanceUnavailableError);
    await ledger.close();
    await expect(openJsonRpcLedger({ rpcUrl: node.url, privateKey: ANVIL_KEY_0, requestTimeoutMs: 3_000 })).rejects.toBeInstanceOf(ProvenanceUnavailableError);
    await expect(openJsonRpcLedger({ rpcUrl: anvil.url, privateKey: '0x1234' })).rejects.toBeInstanceOf(ProvenanceFailureError);
  });
});

import { ContractFactory, Interface, isError, type JsonRpcApiProvider, type Log, type Wallet } from 'ethers';
import { anchorArtifact, anchorCodeVersion } from '../../contracts/artifact.ts';
import { AnchorSendFields } from './anchor-send-fields.ts';
import { ProvenanceFailureError, ProvenanceUnavailableError, isTransportFailure } from './errors.ts';
import type { AnchorReceipt, AnchorRange, AnchorRecord, Ledger } from './ledger.ts';
import { manifestDigest } from './manifest-digest.ts';

export interface EvmLedgerOptions {
  provider: JsonRpcApiProvider;
  /** Signs anchors; absent for a read-only ledger (audits, verification), which refuses to anchor. */
  signer?: Wallet;
  chainId: number;
  /** How often to ask for the receipt of a sent transaction. */
  receiptPollMs: number;
  /** A transaction not mined by then makes `anchor` fail as unavailable (it may still be mined; a retry finds it). */
  receiptTimeoutMs: number;
  /** Largest block span per eth_getLogs request (Besu and hosted nodes cap it). */
  maxLogRange?: number;
  /** Block the contract was deployed in, when known: where look-ups without a hint start. */
  firstBlock?: number;
  /** How long fee data may be reused between anchors (anchor-send-fields.ts); 0 by default. */
  feeDataMaxAgeMs?: number;
}

export interface EvmLedgerHooks {
  /** Called once after a deployment, to persist the address (and the deployment block). */
  onDeployed?: (address: string, blockNumber: number) => Promise<void>;
  onClose?: () => Promise<void>;
}

const anchorInterface = new Interface(anchorArtifact().abi as string[]);
const anchoredTopic = anchorInterface.getEvent('Anchored')!.topicHash;
/** The call that anchors these roots and digests: anchor for one, anchorMany for more. */
function anchorCallData(roots: string[], digests: string[]): string {
  return roots.length === 1 ? anchorInterface.encodeFunctionData('anchor', [roots[0], digests[0]]) : anchorInterface.encodeFunctionData('anchorMany', [roots, digests]);
}

/** The anchor call for `count` windows whose calldata costs the most gas: no zero byte in roots or digests. */
function dearestAnchorData(count: number): string {
  const dearest = new Array<string>(count).fill(`0x${'ff'.repeat(32)}`);
  return anchorCallData(dearest, dearest);
}

/**
 * The Ledger over any ethers provider: the embedded chain and JSON-RPC nodes differ only in how the
 * provider is made. One anchor at a time per process (a promise chain), so nonces never collide.
 */
export class EvmLedger implements Ledger {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly blockTimes = new Map<number, number>();
  private readonly sendFields: AnchorSendFields | undefined;

  private constructor(
    private readonly options: EvmLedgerOptions,
    private readonly address: string,
    /** The contract has anchorMany (it was deployed by this version); an earlier one anchors one root per transaction. */
    private readonly batches: boolean,
    private readonly firstBlock: number,
    private readonly onClose: () => Promise<void>,
  ) {
    this.sendFields = options.signer && new AnchorSendFields(options.provider, options.signer, address, { feeDataMaxAgeMs: options.feeDataMaxAgeMs ?? 0 });
  }

  /** Uses the contract at `address`, or deploys one (and reports it through `onDeployed`). */
  static async open(options: EvmLedgerOptions, address: string | undefined, hooks: EvmLedgerHooks = {}): Promise<EvmLedger> {
    const onClose = hooks.onClose ?? (async () => options.provider.destroy());
    try {
      if (address) {
        const version = await checkContract(options, address);
        return new EvmLedger(options, address, version === 2, options.firstBlock ?? 0, onClose);
      }
      const deployed = await deploy(options);
      await hooks.onDeployed?.(deployed.address, deployed.blockNumber);
      return new EvmLedger(options, deployed.address, true, deployed.blockNumber, onClose);
    } catch (err) {
      await onClose().catch(() => undefined);
      throw classify('open', err);
    }
  }

  get provider(): JsonRpcApiProvider {
    return this.options.provider;
  }

  async chainId(): Promise<number> {
    return this.options.chainId;
  }

  async contractAddress(): Promise<string> {
    return this.address;
  }

  blockNumber(): Promise<number> {
    return this.rpc('blockNumber', () => this.options.provider.getBlockNumber());
  }

  async anchor(root: string, manifestCid: string, options: { searchFromBlock?: number } = {}): Promise<AnchorReceipt> {
    const [receipt] = await this.anchorMany([{ root, manifestCid }], options);
    return receipt!;
  }

  anchorMany(windows: ReadonlyArray<{ root: string; manifestCid: string }>, options: { searchFromBlock?: number } = {}): Promise<AnchorReceipt[]> {
    const run = this.queue.then(() => this.anchorNow(windows.map((w) => ({ root: normalizeRoot(w.root), digest: manifestDigest(w.manifestCid) })), options.searchFromBlock));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async anchorNow(windows: Array<{ root: string; digest: string }>, searchFromBlock: number | undefined): Promise<AnchorReceipt[]> {
    const existing = await this.lookupMany(windows.map((w) => w.root), searchFromBlock);
    const unsent = windows.filter((w) => !existing.has(w.root));
    const sent = new Map<string, AnchorRecord>();
    // One transaction for all of them, or one each on a contract without anchorMany.
    const transactions = this.batches ? [unsent] : unsent.map((window) => [window]);
    for (const group of transactions) if (group.length > 0) for (const record of await this.send(group)) sent.set(record.root.toLowerCase(), record);
    return windows.map((w) => {
      const found = existing.get(w.root);
      if (found) return { ...found, alreadyAnchored: true };
      const record = sent.get(w.root);
      if (!record) throw new ProvenanceFailureError('ledger', `the anchor transaction emitted no Anchored event for ${w.root}`);
      return { ...record, alreadyAnchored: false };
    });
  }

  /** One transaction (anchor for one window, anchorMany for more): the Anchored records it made. */
  private async send(windows: Array<{ root: string; digest: string }>): Promise<AnchorRecord[]> {
    const signer = this.options.signer;
    const fields = this.sendFields;
    if (!signer || !fields) throw new ProvenanceFailureError('ledger', 'this ledger is read-only: it has no operator key');
    const data = anchorCallData(windows.map((w) => w.root), windows.map((w) => w.digest));
    let hash: string;
    try {
      // Signed here and sent raw: ethers' sendTransaction would also ask for the block number.
      const signed = await signer.signTransaction({ to: this.address, data, chainId: this.options.chainId, ...(await fields.next(windows.length, dearestAnchorData)) });
      hash = (await this.options.provider.send('eth_sendRawTransaction', [signed])) as string;
      fields.sent();
    } catch (err) {
      fields.failed();
      throw classify('anchor', err);
    }
    const receipt = await this.waitForReceipt(hash);
    if (receipt.status !== 1) {
      fields.failed();
      throw new ProvenanceFailureError('ledger', `anchor transaction ${hash} reverted`);
    }
    const logs = receipt.logs.filter((l) => l.address.toLowerCase() === this.address.toLowerCase() && l.topics[0] === anchoredTopic);
    return Promise.all(logs.map((log) => this.toRecord(log)));
  }

  /** The earliest anchor of each of `roots` found from `fromBlock` on (one eth_getLogs per block span for all of them). */
  private async lookupMany(roots: string[], fromBlock?: number): Promise<Map<string, AnchorRecord>> {
    const found = new Map<string, AnchorRecord>();
    const [from, to] = await this.blockRange({ fromBlock: Math.max(fromBlock ?? this.firstBlock, 0) });
    const span = this.options.maxLogRange ?? 5_000;
    for (let start = from; start <= to && found.size < roots.length; start += span) {
      const end = Math.min(to, start + span - 1);
      const missing = roots.filter((root) => !found.has(root));
      const logs = await this.rpc('lookup', () => this.options.provider.getLogs({ address: this.address, topics: [anchoredTopic, missing], fromBlock: start, toBlock: end }));
      for (const log of logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)) {
        const root = log.topics[1]!.toLowerCase();
        if (!found.has(root)) found.set(root, await this.toRecord(log));
      }
    }
    return found;
  }

  async lookup(root: string, fromBlock?: number): Promise<AnchorRecord | undefined> {
    const rootHex = normalizeRoot(root);
    return (await this.lookupMany([rootHex], fromBlock)).get(rootHex);
  }

  async anchorsInTransaction(txHash: string): Promise<AnchorRecord[]> {
    const receipt = await this.rpc('receipt', () => this.options.provider.getTransactionReceipt(txHash));
    if (!receipt || receipt.status !== 1) return [];
    const logs = receipt.logs.filter((l) => l.address.toLowerCase() === this.address.toLowerCase() && l.topics[0] === anchoredTopic);
    return Promise.all(logs.map((log) => this.toRecord(log)));
  }

  async anchorsInRange(range: AnchorRange): Promise<AnchorRecord[]> {
    const [from, to] = await this.blockRange(range);
    const records: AnchorRecord[] = [];
    const span = this.options.maxLogRange ?? 5_000;
    for (let start = from; start <= to; start += span) {
      const end = Math.min(to, start + span - 1);
      const logs = await this.rpc('anchorsInRange', () =>
        this.options.provider.getLogs({ address: this.address, topics: [anchoredTopic], fromBlock: start, toBlock: end }),
      );
      for (const log of logs) records.push(await this.toRecord(log));
    }
    return records.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  }

  async close(): Promise<void> {
    await this.queue;
    await this.onClose();
  }

  private async blockRange(range: AnchorRange): Promise<[number, number]> {
    const head = await this.blockNumber();
    if ('fromBlock' in range) return [Math.max(0, range.fromBlock), Math.min(head, range.toBlock ?? head)];
    const from = await this.firstBlockAtOrAfter(range.fromTime, head);
    const to = range.toTime === undefined ? head : (await this.firstBlockAtOrAfter(range.toTime + 1, head)) - 1;
    return [from, to];
  }

  /** Binary search over block timestamps (non-decreasing on every EVM chain); head + 1 when none. */
  private async firstBlockAtOrAfter(time: number, head: number): Promise<number> {
    let lo = 0;
    let hi = head + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await this.blockTime(mid)) >= time) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private async blockTime(blockNumber: number): Promise<number> {
    const cached = this.blockTimes.get(blockNumber);
    if (cached !== undefined) return cached;
    const block = await this.rpc('getBlock', () => this.options.provider.getBlock(blockNumber));
    if (!block) throw new ProvenanceUnavailableError('ledger', `block ${blockNumber} is not available yet`);
    // Block times never change; the cap only keeps a long-running server's memory flat.
    if (this.blockTimes.size >= 50_000) this.blockTimes.clear();
    this.blockTimes.set(blockNumber, block.timestamp);
    return block.timestamp;
  }

  private async toRecord(log: Log): Promise<AnchorRecord> {
    const parsed = anchorInterface.parseLog(log);
    if (!parsed) throw new ProvenanceFailureError('ledger', `log ${log.transactionHash}#${log.index} is not an Anchored event`);
    return {
      root: parsed.args[0] as string,
      manifestDigest: (parsed.args[1] as string).toLowerCase(),
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
      blockTime: await this.blockTime(log.blockNumber),
      logIndex: log.index,
      chainId: this.options.chainId,
      contract: this.address,
    };
  }

  private async waitForReceipt(hash: string) {
    const deadline = Date.now() + this.options.receiptTimeoutMs;
    for (;;) {
      const receipt = await this.rpc('receipt', () => this.options.provider.getTransactionReceipt(hash));
      if (receipt) return receipt;
      if (Date.now() > deadline) throw new ProvenanceUnavailableError('ledger', `transaction ${hash} not mined within ${this.options.receiptTimeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, this.options.receiptPollMs));
    }
  }

  private async rpc<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw classify(what, err);
    }
  }
}

async function deploy(options: EvmLedgerOptions): Promise<{ address: string; blockNumber: number }> {
  const artifact = anchorArtifact();
  if (!options.signer) throw new ProvenanceFailureError('ledger', 'a read-only ledger needs the address of a deployed ProvenanceAnchor');
  const factory = new ContractFactory(artifact.abi as string[], artifact.bytecode, options.signer);
  const tx = await options.signer.sendTransaction(await factory.getDeployTransaction());
  const deadline = Date.now() + options.receiptTimeoutMs;
  for (;;) {
    const receipt = await options.provider.getTransactionReceipt(tx.hash);
    if (receipt?.status === 1 && receipt.contractAddress) return { address: receipt.contractAddress, blockNumber: receipt.blockNumber };
    if (receipt) throw new ProvenanceFailureError('ledger', `deploying ProvenanceAnchor failed in ${tx.hash}`);
    if (Date.now() > deadline) throw new ProvenanceUnavailableError('ledger', `deployment ${tx.hash} not mined in time`);
    await new Promise((resolve) => setTimeout(resolve, options.receiptPollMs));
  }
}

async function checkContract(options: EvmLedgerOptions, address: string): Promise<1 | 2> {
  const version = anchorCodeVersion(await options.provider.getCode(address));
  if (!version) throw new ProvenanceFailureError('ledger', `${address} does not hold the ProvenanceAnchor contract`);
  if (!options.signer) return version;
  const result = await options.provider.call({ to: address, data: anchorInterface.encodeFunctionData('operator', []) });
  const operator = anchorInterface.decodeFunctionResult('operator', result)[0] as string;
  if (operator.toLowerCase() !== options.signer.address.toLowerCase()) {
    throw new ProvenanceFailureError('ledger', `ProvenanceAnchor at ${address} accepts anchors from ${operator} only, not from ${options.signer.address}`);
  }
  return version;
}

function normalizeRoot(root: string): string {
  const hex = root.startsWith('0x') ? root.slice(2) : root;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new ProvenanceFailureError('ledger', 'a root is 32 bytes of hex');
  return `0x${hex.toLowerCase()}`;
}

/** Name of the ProvenanceAnchor custom error in a failed call, wherever the node put the revert data. */
export function decodeAnchorRevert(err: unknown): string | undefined {
  const e = err as { data?: unknown; info?: { error?: { data?: unknown } } };
  const nested = e?.info?.error?.data;
  // ethers puts it in `data` for JSON-RPC nodes; ganache's in-process provider nests it as data.result.
  for (const data of [e?.data, nested, (nested as { result?: unknown })?.result]) {
    if (typeof data !== 'string' || data.length < 10) continue;
    try {
      const name = anchorInterface.parseError(data)?.name;
      if (name) return name;
    } catch {
      // not one of this contract's errors
    }
  }
  return undefined;
}

const retryLater = ['NETWORK_ERROR', 'TIMEOUT', 'NONCE_EXPIRED', 'REPLACEMENT_UNDERPRICED'] as const;

function classify(what: string, err: unknown): Error {
  if (err instanceof ProvenanceFailureError || err instanceof ProvenanceUnavailableError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const status = (err as { info?: { responseStatus?: string } })?.info?.responseStatus;
  const unavailable =
    isTransportFailure(err) ||
    retryLater.some((code) => isError(err, code)) ||
    (isError(err, 'SERVER_ERROR') && (!status || /^(429|5\d\d)/.test(status)));
  if (unavailable) return new ProvenanceUnavailableError('ledger', `chain unavailable (${what}): ${message}`, { cause: err });
  return new ProvenanceFailureError('ledger', `chain ${what} failed: ${message}`, { cause: err });
}

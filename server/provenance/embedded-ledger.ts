import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BrowserProvider, Wallet } from 'ethers';
import { EMBEDDED_CHAIN_ID, startEmbeddedChain } from './embedded-chain.ts';
import { EvmLedger } from './evm-ledger.ts';
import { ProvenanceFailureError } from './errors.ts';

export { EMBEDDED_CHAIN_ID };

interface ChainState {
  /** Operator key of this embedded chain: it only signs anchors on a chain nobody else can reach. */
  privateKey: string;
  contract?: string;
  /** Block the contract was deployed in: where root look-ups start. */
  deployBlock?: number;
}

/**
 * The default ledger: an EVM in a thread of this process (ganache 7.9.2, pinned: archived upstream,
 * kept behind the Ledger interface; see embedded-chain.ts) whose LevelDB lives in DATA_DIR/chain/db.
 * Each mined block is written before the transaction returns, so blocks survive a restart and a
 * kill -9 of the process. The contract is deployed on first start and its address kept in
 * DATA_DIR/chain/state.json.
 *
 * Nothing outside the process can reach this chain; `provider` lets a local verifier read it.
 */
/** `nice`: the chain thread's niceness (thread-priority.ts; the server passes PROVENANCE_THREAD_NICE). */
export async function openEmbeddedLedger(dataDir: string, nice = 0): Promise<EvmLedger> {
  const dir = path.join(dataDir, 'chain');
  await mkdir(dir, { recursive: true });
  const statePath = path.join(dir, 'state.json');
  const state = await readState(statePath);
  const chain = await startEmbeddedChain(dir, state.privateKey, nice);
  const provider = new BrowserProvider(chain, EMBEDDED_CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
  const signer = new Wallet(state.privateKey, provider);
  return EvmLedger.open(
    // Fees on this chain never rise (no other sender fills its blocks): asked for once a minute.
    { provider, signer, chainId: EMBEDDED_CHAIN_ID, receiptPollMs: 5, receiptTimeoutMs: 30_000, firstBlock: state.deployBlock, feeDataMaxAgeMs: 60_000 },
    state.contract,
    {
      onDeployed: (contract, deployBlock) => writeState(statePath, { ...state, contract, deployBlock }),
      onClose: async () => {
        provider.destroy();
        await chain.disconnect();
      },
    },
  );
}

/**
 * The embedded chain of a DATA_DIR, read-only, for audits and verification from the CLI while the
 * server is stopped: no genesis, no deployment, no operator key used.
 */
export async function openEmbeddedLedgerReadOnly(dataDir: string): Promise<EvmLedger> {
  const state = existsSync(path.join(dataDir, 'chain', 'state.json')) ? await readState(path.join(dataDir, 'chain', 'state.json')) : undefined;
  if (!state?.contract) throw new ProvenanceFailureError('ledger', `no ProvenanceAnchor deployed on the embedded chain in ${path.join(dataDir, 'chain')}`);
  const { provider, close } = await openEmbeddedChainProvider(dataDir);
  return EvmLedger.open({ provider, chainId: EMBEDDED_CHAIN_ID, receiptPollMs: 5, receiptTimeoutMs: 30_000, firstBlock: state.deployBlock }, state.contract, { onClose: close });
}

/** Read access for `vitalchain verify --data-dir` (the server must not be holding the database). */
export async function openEmbeddedChainProvider(dataDir: string): Promise<{ provider: BrowserProvider; close(): Promise<void> }> {
  // Without this check ganache would quietly start an empty chain there.
  if (!existsSync(path.join(dataDir, 'chain', 'db'))) throw new ProvenanceFailureError('ledger', `no embedded chain in ${path.join(dataDir, 'chain')}`);
  const chain = await startEmbeddedChain(path.join(dataDir, 'chain'), undefined);
  const provider = new BrowserProvider(chain, EMBEDDED_CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
  return {
    provider,
    close: async () => {
      provider.destroy();
      await chain.disconnect();
    },
  };
}

async function readState(file: string): Promise<ChainState> {
  try {
    const state = JSON.parse(await readFile(file, 'utf8')) as ChainState;
    if (typeof state.privateKey !== 'string') throw new Error('no privateKey');
    return state;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ProvenanceFailureError('ledger', `unreadable ${file}`, { cause: err });
    const state = { privateKey: Wallet.createRandom().privateKey };
    await writeState(file, state);
    return state;
  }
}

async function writeState(file: string, state: ChainState): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, flush: true });
  await rename(temp, file);
}

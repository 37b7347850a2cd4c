import { FetchRequest, JsonRpcProvider, Wallet } from 'ethers';
import { EvmLedger } from './evm-ledger.ts';
import { ProvenanceFailureError, ProvenanceUnavailableError, isTransportFailure } from './errors.ts';

export interface JsonRpcLedgerOptions {
  rpcUrl: string;
  /** The operator's key; without it the ledger is read-only and `contract` is required. */
  privateKey?: string;
  /** ANCHOR_CONTRACT; when absent the contract is deployed and its address reported via onDeployed. */
  contract?: string;
  /** Deployment block of `contract`, when known: where root look-ups without a hint start. */
  contractBlock?: number;
  onDeployed?: (address: string, blockNumber: number) => Promise<void>;
  requestTimeoutMs?: number;
  receiptPollMs?: number;
  receiptTimeoutMs?: number;
  maxLogRange?: number;
}

/**
 * Ledger on any EVM JSON-RPC node (a Besu QBFT consortium in production, anvil in tests). The chain
 * id is read once with a plain request before ethers is involved: an ethers provider that cannot
 * detect its network retries forever in the background instead of failing. Request batching is
 * off (batchMaxCount 1, no stall), which is what lets sequential transactions reach the node's own
 * throughput instead of ~20 tx/s.
 */
export async function openJsonRpcLedger(options: JsonRpcLedgerOptions): Promise<EvmLedger> {
  const timeout = options.requestTimeoutMs ?? 15_000;
  const chainId = await fetchChainId(options.rpcUrl, timeout);
  const request = new FetchRequest(options.rpcUrl);
  request.timeout = timeout;
  const provider = new JsonRpcProvider(request, chainId, { staticNetwork: true, batchMaxCount: 1, batchStallTime: 0, cacheTimeout: -1 });
  let signer: Wallet | undefined;
  try {
    signer = options.privateKey === undefined ? undefined : new Wallet(options.privateKey, provider);
  } catch (err) {
    provider.destroy();
    throw new ProvenanceFailureError('ledger', 'ETH_PRIVATE_KEY is not a valid private key', { cause: err });
  }
  return EvmLedger.open(
    { provider, signer, chainId, receiptPollMs: options.receiptPollMs ?? 100, receiptTimeoutMs: options.receiptTimeoutMs ?? 60_000, maxLogRange: options.maxLogRange, firstBlock: options.contractBlock },
    options.contract,
    { onDeployed: options.onDeployed },
  );
}

export async function fetchChainId(rpcUrl: string, timeoutMs: number): Promise<number> {
  let response: Response;
  try {
    response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    if (isTransportFailure(err)) throw new ProvenanceUnavailableError('ledger', `EVM node at ${rpcUrl} unreachable`, { cause: err });
    throw new ProvenanceFailureError('ledger', `cannot reach EVM node at ${rpcUrl}`, { cause: err });
  }
  if (response.status === 429 || response.status >= 500) throw new ProvenanceUnavailableError('ledger', `EVM node answered HTTP ${response.status}`);
  const body = (await response.json().catch(() => undefined)) as { result?: unknown } | undefined;
  if (typeof body?.result !== 'string') throw new ProvenanceFailureError('ledger', `${rpcUrl} did not answer eth_chainId`);
  return Number(BigInt(body.result));
}

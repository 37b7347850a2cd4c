import { create, type KuboRPCClient } from 'kubo-rpc-client';
import type { ContentStore } from './content-store.ts';
import { parseCid } from './embedded-content-store.ts';
import { ProvenanceFailureError, ProvenanceUnavailableError, isTransportFailure } from './errors.ts';
import { unixfsCid } from './unixfs-cid.ts';
import { KUBO_V1_IMPORT } from './content-store.ts';

export interface KuboContentStoreOptions {
  /** Per-request deadline; a node that does not answer in time counts as unavailable. */
  timeoutMs?: number;
}

/**
 * Content store on a Kubo node (or an IPFS Cluster proxy, which speaks the same RPC) through
 * kubo-rpc-client. Import parameters are sent explicitly, and the CID the node reports is checked
 * against the one computed locally: a node configured with another layout (e.g. the 1 MiB
 * `unixfs-v1-2025` profile for very large files) is refused rather than silently producing CIDs
 * the embedded store would not.
 */
export class KuboContentStore implements ContentStore {
  private readonly client: KuboRPCClient;
  private readonly timeoutMs: number;

  constructor(url: string, options: KuboContentStoreOptions = {}) {
    this.client = create({ url: rpcBase(url) });
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async put(bytes: Uint8Array, known?: string): Promise<string> {
    const expected = known ?? (await unixfsCid(bytes));
    const result = await this.call('add', () =>
      this.client.add(bytes, {
        cidVersion: KUBO_V1_IMPORT.cidVersion,
        rawLeaves: KUBO_V1_IMPORT.rawLeaves,
        chunker: `size-${KUBO_V1_IMPORT.chunkSize}`,
        hashAlg: 'sha2-256',
        pin: true,
        signal: AbortSignal.timeout(this.timeoutMs),
      }),
    );
    const cid = result.cid.toString();
    if (cid !== expected) {
      throw new ProvenanceFailureError('content', `IPFS node returned ${cid} where ipfs add --cid-version 1 gives ${expected}: check its Import settings`);
    }
    return cid;
  }

  async get(cid: string): Promise<Uint8Array> {
    const parsed = parseCid(cid);
    return this.call('cat', async () => {
      const chunks: Uint8Array[] = [];
      for await (const chunk of this.client.cat(parsed, { signal: AbortSignal.timeout(this.timeoutMs) })) chunks.push(chunk);
      return Buffer.concat(chunks);
    });
  }

  async has(cid: string): Promise<boolean> {
    const parsed = parseCid(cid);
    try {
      // offline: answer from the local repository instead of searching the network for a missing block.
      await this.client.block.stat(parsed, { offline: true, signal: AbortSignal.timeout(this.timeoutMs) } as Parameters<KuboRPCClient['block']['stat']>[1]);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw classify('block/stat', err);
    }
  }

  async close(): Promise<void> {}

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw classify(what, err);
    }
  }
}

function rpcBase(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/api/v0') ? trimmed : `${trimmed}/api/v0`;
}

function httpStatus(err: unknown): number | undefined {
  const status = (err as { response?: { status?: unknown } })?.response?.status;
  return typeof status === 'number' ? status : undefined;
}

/** Kubo answers "block was not found locally (offline)" / "ipld: could not find"; js-ipfs leaks its ENOENT. */
function isNotFound(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return httpStatus(err) !== undefined && /not found|could not find|no such (block|file)|not present|ENOENT/i.test(message);
}

function classify(what: string, err: unknown) {
  const status = httpStatus(err);
  const message = err instanceof Error ? err.message : String(err);
  if (isTransportFailure(err) || status === 429 || status === 502 || status === 503 || status === 504) {
    return new ProvenanceUnavailableError('content', `IPFS node unavailable (${what}): ${message}`, { cause: err });
  }
  return new ProvenanceFailureError('content', `IPFS ${what} failed${status ? ` with HTTP ${status}` : ''}: ${message}`, { cause: err });
}

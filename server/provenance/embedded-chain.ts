import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Eip1193Provider } from 'ethers';
import { ProvenanceFailureError, ProvenanceUnavailableError } from './errors.ts';

export const EMBEDDED_CHAIN_ID = 1337;

/** An embedded chain as an EIP-1193 provider, served by the chain thread (embedded-chain-thread.mjs). */
export interface EmbeddedChain extends Eip1193Provider {
  disconnect(): Promise<void>;
}

interface Reply {
  type: 'opened' | 'open-failed' | 'crashed' | 'reply' | 'closed';
  handle?: number;
  id?: number;
  result?: unknown;
  error?: { message: string; code?: unknown; data?: unknown };
  name?: string;
  message?: string;
}

interface Waiter {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/**
 * The one chain thread of this process, started on first use. It is unref'd while no chain is
 * open, so it never keeps a finished process alive.
 */
class ChainThread {
  private readonly worker = new Worker(new URL('./embedded-chain-thread.mjs', import.meta.url));
  private readonly waiters = new Map<string, Waiter>();
  private open = 0;
  private nextHandle = 1;
  private nextId = 1;
  private failure: Error | undefined;

  constructor() {
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => this.receive(reply));
    const fail = (err: Error) => {
      this.failure = err;
      for (const waiter of this.waiters.values()) waiter.reject(err);
      this.waiters.clear();
      if (thread === this) thread = undefined;
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new ProvenanceUnavailableError('ledger', 'the embedded chain thread stopped')));
  }

  async start(dir: string, operatorKey: string | undefined, nice: number): Promise<EmbeddedChain> {
    const handle = this.nextHandle++;
    this.retain();
    try {
      await this.call(`open:${handle}`, { type: 'open', handle, dbPath: path.join(dir, 'db'), chainId: EMBEDDED_CHAIN_ID, operatorKey, nice });
    } catch (err) {
      this.release();
      const inUse = (err as { name?: string }).name === 'OpenError';
      throw new ProvenanceFailureError('ledger', inUse ? `the embedded chain in ${dir} is in use by another process` : `the embedded chain did not start: ${(err as Error).message}`, { cause: err });
    }
    let closed = false;
    return {
      request: ({ method, params }) => {
        if (closed) return Promise.reject(new ProvenanceUnavailableError('ledger', 'the embedded chain is closed'));
        const id = this.nextId++;
        return this.call(`reply:${handle}:${id}`, { type: 'request', handle, id, method, params: params ?? [] });
      },
      disconnect: async () => {
        if (closed) return;
        closed = true;
        // ganache closes its database before the thread answers.
        await this.call(`closed:${handle}`, { type: 'close', handle }).catch(() => undefined);
        this.release();
      },
    };
  }

  private call(key: string, message: Record<string, unknown>): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiters.set(key, { resolve, reject });
      this.worker.postMessage(message);
    });
  }

  private receive(reply: Reply): void {
    if (reply.type === 'crashed') {
      this.failure = new ProvenanceUnavailableError('ledger', `the embedded chain failed: ${reply.message}`);
      return;
    }
    const key = reply.type === 'reply' ? `reply:${reply.handle}:${reply.id}` : reply.type === 'closed' ? `closed:${reply.handle}` : `open:${reply.handle}`;
    const waiter = this.waiters.get(key);
    if (!waiter) return;
    this.waiters.delete(key);
    if (reply.type === 'open-failed') return waiter.reject(Object.assign(new Error(reply.message), { name: reply.name }));
    if (!reply.error) return waiter.resolve(reply.result);
    // Shaped like the errors ganache throws in-process, so ethers and decodeAnchorRevert read them the same way.
    waiter.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code, data: reply.error.data }));
  }

  private retain(): void {
    if (this.open++ === 0) this.worker.ref();
  }

  private release(): void {
    if (--this.open === 0) this.worker.unref();
  }
}

let thread: ChainThread | undefined;

/**
 * Opens the chain whose LevelDB is `dir`/db in the chain thread and resolves once it answers. A
 * database held by another process is a typed failure (`in use by another process`), not a crash.
 */
export function startEmbeddedChain(dir: string, operatorKey: string | undefined, nice = 0): Promise<EmbeddedChain> {
  thread ??= new ChainThread();
  return thread.start(dir, operatorKey, nice);
}

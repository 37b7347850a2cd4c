// The embedded chain's thread: ganache on DATA_DIR/chain/db, answering EIP-1193 requests posted by
// embedded-chain.ts. Running the EVM here keeps its work (tens of ms per anchor, seconds to load)
// off the thread that serves HTTP. One thread per process hosts every chain opened (a server has
// one; tools and tests open several), so ganache's code is loaded once.
// Plain JavaScript on purpose: on Node 20 a `--import tsx` loader is not applied to a worker's entry
// module (nodejs/node#47747), and this file needs no types.
import { parentPort } from 'node:worker_threads';
import ganache from 'ganache';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

const chains = new Map();
let opening;

// LevelDB's OpenError (the database is held by another process) is emitted where nobody can catch
// it; report it as a failed open of the chain being opened instead of dying with it.
process.on('uncaughtException', (err) => {
  if (opening && err?.name === 'OpenError') opening.fail(err);
  else parentPort.postMessage({ type: 'crashed', message: String(err?.message ?? err) });
});

async function open({ handle, dbPath, chainId, operatorKey }) {
  const chain = ganache.provider({
    database: { dbPath },
    chain: { chainId, hardfork: 'shanghai' },
    // The genesis funds the operator; on later starts ganache reads accounts and balances from disk.
    wallet: operatorKey ? { accounts: [{ secretKey: operatorKey, balance: `0x${(10n ** 27n).toString(16)}` }] } : { totalAccounts: 0 },
    miner: { instamine: 'eager' },
    logging: { quiet: true },
  });
  await new Promise((resolve, reject) => {
    opening = { fail: reject };
    chain.request({ method: 'eth_chainId', params: [] }).then(resolve, reject);
  }).finally(() => (opening = undefined));
  chains.set(handle, chain);
}

// As thread-priority.ts (which this plain module cannot import): this thread only, Linux only.
function lowerPriority(nice) {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), nice);
  } catch {
    // Not Linux or not permitted: the thread keeps its priority.
  }
}

let queue = Promise.resolve();
parentPort.on('message', (message) => {
  if (message.type === 'open') {
    if (message.nice > 0) lowerPriority(message.nice);
    // Opens one at a time, so an OpenError belongs to the chain being opened.
    queue = queue.then(() =>
      open(message).then(
        () => parentPort.postMessage({ type: 'opened', handle: message.handle }),
        (err) => parentPort.postMessage({ type: 'open-failed', handle: message.handle, name: err?.name, message: String(err?.message ?? err) }),
      ),
    );
    return;
  }
  const chain = chains.get(message.handle);
  if (message.type === 'close') {
    chains.delete(message.handle);
    (chain ? chain.disconnect() : Promise.resolve()).catch(() => undefined).then(() => parentPort.postMessage({ type: 'closed', handle: message.handle }));
    return;
  }
  if (!chain) {
    parentPort.postMessage({ type: 'reply', handle: message.handle, id: message.id, error: { message: 'embedded chain is closed' } });
    return;
  }
  chain.request({ method: message.method, params: message.params }).then(
    (result) => parentPort.postMessage({ type: 'reply', handle: message.handle, id: message.id, result }),
    (err) => parentPort.postMessage({ type: 'reply', handle: message.handle, id: message.id, error: { message: String(err?.message ?? err), code: err?.code, data: err?.data } }),
  );
});

import { existsSync } from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Queryable } from '../store/database.ts';
import type { ContentStore } from './content-store.ts';
import { EmbeddedContentStore } from './embedded-content-store.ts';
import { openEmbeddedLedger, openEmbeddedLedgerReadOnly } from './embedded-ledger.ts';
import { ProvenanceFailureError } from './errors.ts';
import { FileKeyStore } from './file-key-store.ts';
import { fetchChainId, openJsonRpcLedger } from './json-rpc-ledger.ts';
import { resolveKek } from './kek.ts';
import type { KeyStore } from './key-store.ts';
import { KuboContentStore } from './kubo-content-store.ts';
import type { Ledger } from './ledger.ts';

/** The three back ends of the pipeline, chosen from the configuration (embedded unless told otherwise). */
export interface ProvenanceBackends {
  content: ContentStore;
  keys: KeyStore;
  /**
   * The ledger, opened on first use: a JSON-RPC node that is down at start must not stop the
   * server, and a server that never anchors never starts the embedded chain. Throws (typed) until
   * it can be opened; the next call tries again.
   */
  ledger(): Promise<Ledger>;
  close(): Promise<void>;
}

export interface BackendOptions {
  /**
   * Audits from the CLI: open what exists and create nothing (no key file, no chain, no contract);
   * the ledger cannot anchor.
   */
  readOnly?: boolean;
}

export async function openBackends(config: Config, db: Queryable, log: Logger, options: BackendOptions = {}): Promise<ProvenanceBackends> {
  if (options.readOnly && !existsSync(path.join(config.DATA_DIR, 'keys', 'patient-keys.jsonl'))) {
    throw new ProvenanceFailureError('keys', `no provenance key store in ${path.join(config.DATA_DIR, 'keys')} (DATA_DIR of the server to audit?)`);
  }
  const kek = await resolveKek({ VITALCHAIN_KEK: config.VITALCHAIN_KEK, VITALCHAIN_KEK_PREVIOUS: config.VITALCHAIN_KEK_PREVIOUS }, config.DATA_DIR);
  if (kek.warning) log.warn(kek.warning);
  const keys = await FileKeyStore.open(config.DATA_DIR, kek.kek, kek.previous);
  const content: ContentStore = config.KUBO_RPC_URL ? new KuboContentStore(config.KUBO_RPC_URL) : new EmbeddedContentStore(config.DATA_DIR);
  let opening: Promise<Ledger> | undefined;
  let closed = false;
  const open = () =>
    options.readOnly
      ? config.ETH_RPC_URL ? openRpcLedgerReadOnly(config, db) : openEmbeddedLedgerReadOnly(config.DATA_DIR)
      : config.ETH_RPC_URL ? openRpcLedger(config, db, log) : openEmbeddedLedger(config.DATA_DIR, config.PROVENANCE_THREAD_NICE);
  return {
    content,
    keys,
    ledger: () => {
      if (closed) return Promise.reject(new Error('provenance back ends are closed'));
      opening ??= open().catch((err) => {
        opening = undefined;
        throw err;
      });
      return opening;
    },
    close: async () => {
      closed = true;
      const ledger = await opening?.catch(() => undefined);
      await ledger?.close();
      await content.close();
      await keys.close();
    },
  };
}

async function openRpcLedgerReadOnly(config: Config, db: Queryable): Promise<Ledger> {
  const rpcUrl = config.ETH_RPC_URL!;
  if (config.ANCHOR_CONTRACT) return openJsonRpcLedger({ rpcUrl, contract: config.ANCHOR_CONTRACT });
  const { rows } = await db.query<{ contract: string; deploy_block: string }>(
    'SELECT contract, deploy_block FROM provenance_contract WHERE chain_id = $1 ORDER BY deploy_block DESC LIMIT 1',
    [await fetchChainId(rpcUrl, 15_000)],
  );
  if (!rows[0]) throw new ProvenanceFailureError('ledger', 'no ProvenanceAnchor recorded for this chain: pass ANCHOR_CONTRACT');
  return openJsonRpcLedger({ rpcUrl, contract: rows[0].contract, contractBlock: Number(rows[0].deploy_block) });
}

/**
 * JSON-RPC chain: ANCHOR_CONTRACT when given; otherwise the contract this server deployed there
 * before (provenance_contract, per chain and operator), deploying and recording one the first time.
 */
async function openRpcLedger(config: Config, db: Queryable, log: Logger): Promise<Ledger> {
  const rpcUrl = config.ETH_RPC_URL!;
  const privateKey = config.ETH_PRIVATE_KEY!.startsWith('0x') ? config.ETH_PRIVATE_KEY! : `0x${config.ETH_PRIVATE_KEY}`;
  if (config.ANCHOR_CONTRACT) return openJsonRpcLedger({ rpcUrl, privateKey, contract: config.ANCHOR_CONTRACT });
  const operator = new Wallet(privateKey).address;
  const chainId = await fetchChainId(rpcUrl, 15_000);
  const { rows } = await db.query<{ contract: string; deploy_block: string }>(
    'SELECT contract, deploy_block FROM provenance_contract WHERE chain_id = $1 AND operator = $2',
    [chainId, operator],
  );
  if (rows[0]) return openJsonRpcLedger({ rpcUrl, privateKey, contract: rows[0].contract, contractBlock: Number(rows[0].deploy_block) });
  return openJsonRpcLedger({
    rpcUrl,
    privateKey,
    onDeployed: async (contract, block) => {
      await db.query(
        `INSERT INTO provenance_contract (chain_id, operator, contract, deploy_block) VALUES ($1, $2, $3, $4)
         ON CONFLICT (chain_id, operator) DO UPDATE SET contract = EXCLUDED.contract, deploy_block = EXCLUDED.deploy_block`,
        [chainId, operator, contract, block],
      );
      log.info({ chainId, contract, block }, 'deployed ProvenanceAnchor (set ANCHOR_CONTRACT to pin it)');
    },
  });
}

/**
 * Where Merkle roots are anchored: an EVM chain running contracts/ProvenanceAnchor.sol. The embedded
 * default is an in-process chain persisted in DATA_DIR; `JsonRpcLedger` talks to any EVM node
 * (Besu QBFT consortium, anvil, …). Only a 32-byte root and the 32-byte digest of the manifest's CID
 * go on-chain, as an `Anchored` event: the log is the record (see manifest-digest.ts).
 *
 * Errors are `ProvenanceUnavailableError` (node unreachable or timing out: retry later) or
 * `ProvenanceFailureError` (rejected transaction, wrong contract, bad input).
 */
export interface AnchorRecord {
  /** 0x-prefixed 32-byte hex Merkle root. */
  root: string;
  /** 0x-prefixed sha2-256 digest inside the manifest's CID (manifest-digest.ts turns it back into CIDs). */
  manifestDigest: string;
  txHash: string;
  blockNumber: number;
  /** Block timestamp, Unix seconds. */
  blockTime: number;
  logIndex: number;
  chainId: number;
  contract: string;
}

export interface AnchorReceipt extends AnchorRecord {
  /**
   * True when the root was already on-chain and no transaction was sent. The record is then the
   * earliest anchor of the root: its manifest digest may differ from the one just offered.
   */
  alreadyAnchored: boolean;
}

/** Inclusive range, by block numbers or by block timestamps (Unix seconds). */
export type AnchorRange =
  | { fromBlock: number; toBlock?: number }
  | { fromTime: number; toTime?: number };

export interface Ledger {
  chainId(): Promise<number>;
  /** Address of the ProvenanceAnchor contract in use (deployed on first start when needed). */
  contractAddress(): Promise<string>;
  /**
   * Idempotent: a root already anchored (at or after `searchFromBlock`, by default since the
   * contract's deployment) returns the earliest record and sends nothing. A caller that knows a
   * block before which the root cannot be (its last recorded anchor) passes it, which keeps the
   * look-up to a few blocks.
   */
  anchor(root: string, manifestCid: string, options?: { searchFromBlock?: number }): Promise<AnchorReceipt>;
  /**
   * As `anchor`, for several windows, their receipts in the same order: those not on-chain yet go
   * in one transaction (one per window on a contract deployed before anchorMany existed).
   */
  anchorMany(windows: ReadonlyArray<{ root: string; manifestCid: string }>, options?: { searchFromBlock?: number }): Promise<AnchorReceipt[]>;
  /** The earliest anchor of `root` (the authoritative one, should it have been anchored twice). */
  lookup(root: string, fromBlock?: number): Promise<AnchorRecord | undefined>;
  /** Current head block number. */
  blockNumber(): Promise<number>;
  /** The anchors a transaction made (none when it is unknown, failed, or is not an anchor). */
  anchorsInTransaction(txHash: string): Promise<AnchorRecord[]>;
  /** Every anchor in the range, in chain order: what an audit compares with the database. */
  anchorsInRange(range: AnchorRange): Promise<AnchorRecord[]>;
  close(): Promise<void>;
}

/**
 * Content-addressed storage for encrypted bundles and manifests. `put` returns the CID that
 * `ipfs add --cid-version 1` gives for the same bytes, whichever implementation stores them, so the
 * embedded store and a Kubo node agree and data can move between them (CAR export / `dag import`).
 *
 * Errors are `ProvenanceUnavailableError` (retry later) or `ProvenanceFailureError` (see errors.ts).
 */
export interface ContentStore {
  /**
   * Writes land on this machine's disk, with nothing remote to wait for or to be down: a FHIR
   * write may wait for them as it waits for its database (an ingest payload is stored before its
   * request's transaction rather than spooled through PostgreSQL). Not set for an IPFS node.
   */
  readonly local?: boolean;
  /**
   * Stores the bytes (pinned, where the back end has pins) and returns their CIDv1 string. `cid`,
   * when the caller has already computed it with unixfsCid (the sealer thread, an ingest payload
   * sealed at its request), spares hashing the bytes again: the embedded store files them under
   * it, a Kubo node's answer is checked against it.
   */
  put(bytes: Uint8Array, cid?: string): Promise<string>;
  /** The bytes stored under `cid`; `ProvenanceFailureError` when this store does not hold them. */
  get(cid: string): Promise<Uint8Array>;
  has(cid: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Kubo's `ipfs add --cid-version 1` defaults (kubo docs/config.md): raw leaves, 256 KiB fixed-size
 * chunks, balanced DAG of at most 174 links per node, sha2-256. Pinned explicitly because the
 * importer's own defaults (and Helia's) follow the newer 1 MiB / 1024-link profile.
 */
export const KUBO_V1_IMPORT = {
  cidVersion: 1,
  rawLeaves: true,
  chunkSize: 262_144,
  maxChildrenPerNode: 174,
} as const;

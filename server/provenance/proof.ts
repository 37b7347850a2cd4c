import { LEAF_CONSTRUCTION, leafHash, sha256 } from './leaf.ts';
import type { AnchorManifest } from './manifest.ts';
import { MERKLE_CONSTRUCTION, MerkleTree } from './merkle.ts';

/**
 * A self-contained provenance proof for one resource version, checkable by anyone with access to
 * the chain (`vitalchain verify proof.json --rpc <url>`), without the server or its database:
 *
 *     { "format": "vitalchain-provenance-proof/1",
 *       "resource": { "type": "Observation", "id": "…", "version": "3" },
 *       "leaf":   { "construction": "sha256(salt || sha256(bytes))",
 *                   "salt": "<hex>", "bytesSha256": "<hex>", "bytesBase64"?: "<exact stored JSON>",
 *                   "value": "<hex leaf>" },
 *       "merkle": { "construction": "rfc9162-sha256",          // leaf node SHA-256(0x00‖leaf),
 *                   "leafIndex": 5, "treeSize": 1000,          // inner SHA-256(0x01‖l‖r),
 *                   "path": ["<hex>", …], "root": "0x…" },     // path checked per RFC 9162 §2.1.3.2
 *       "anchor": { "chainId": 1337, "contract": "0x…", "txHash": "0x…", "blockNumber": 42,
 *                   "blockTime": 1700000000, "manifestCid": "bafk…" },
 *       "bundleCid"?: "bafk…" }
 *
 * With `bytesBase64` the proof shows exactly what was stored; without it, it proves a version whose
 * SHA-256 is `bytesSha256` and the holder of the bytes can check that part themselves.
 */
export const PROOF_FORMAT = 'vitalchain-provenance-proof/1';

export interface ProvenanceProof {
  format: typeof PROOF_FORMAT;
  resource: { type: string; id: string; version: string };
  leaf: { construction: typeof LEAF_CONSTRUCTION; salt: string; bytesSha256: string; bytesBase64?: string; value: string };
  merkle: { construction: typeof MERKLE_CONSTRUCTION; leafIndex: number; treeSize: number; path: string[]; root: string };
  anchor: { chainId: number; contract: string; txHash: string; blockNumber: number; blockTime?: number; manifestCid: string };
  bundleCid?: string;
}

export interface ProofInput {
  version: { type: string; id: string; version: string; bytes: Buffer; salt: Buffer };
  leafIndex: number;
  /** Either the window's audit path and size (as buildAnchorWindow returned them) or its manifest. */
  merkle: { path: string[]; treeSize: number } | { manifest: AnchorManifest };
  anchor: { chainId: number; contract: string; txHash: string; blockNumber: number; blockTime?: number; manifestCid: string; root: string };
  bundleCid?: string;
  /** Put the stored bytes in the proof (default true). */
  includeBytes?: boolean;
}

export function createProof(input: ProofInput): ProvenanceProof {
  const { version, anchor } = input;
  const merkle =
    'manifest' in input.merkle
      ? {
          path: MerkleTree.build(input.merkle.manifest.leaves.map((leaf) => Buffer.from(leaf, 'hex'))).proof(input.leafIndex).map((node) => node.toString('hex')),
          treeSize: input.merkle.manifest.leafCount,
        }
      : input.merkle;
  return {
    format: PROOF_FORMAT,
    resource: { type: version.type, id: version.id, version: version.version },
    leaf: {
      construction: LEAF_CONSTRUCTION,
      salt: version.salt.toString('hex'),
      bytesSha256: sha256(version.bytes).toString('hex'),
      ...(input.includeBytes === false ? {} : { bytesBase64: version.bytes.toString('base64') }),
      value: leafHash(version.salt, version.bytes).toString('hex'),
    },
    merkle: { construction: MERKLE_CONSTRUCTION, leafIndex: input.leafIndex, treeSize: merkle.treeSize, path: [...merkle.path], root: anchor.root },
    anchor: {
      chainId: anchor.chainId,
      contract: anchor.contract,
      txHash: anchor.txHash,
      blockNumber: anchor.blockNumber,
      ...(anchor.blockTime === undefined ? {} : { blockTime: anchor.blockTime }),
      manifestCid: anchor.manifestCid,
    },
    ...(input.bundleCid ? { bundleCid: input.bundleCid } : {}),
  };
}

import { CID } from 'multiformats/cid';
import { LEAF_CONSTRUCTION } from './leaf.ts';
import { MERKLE_CONSTRUCTION, MerkleTree } from './merkle.ts';

/**
 * What one anchored root stands for, stored next to the bundles and named on-chain by its CID:
 *
 *     { "format": "vitalchain-anchor-manifest/1",
 *       "merkle": "rfc9162-sha256", "leaf": "sha256(salt || sha256(bytes))",
 *       "root": "0x…", "leafCount": n, "leaves": ["<64 hex>", …],   // in leaf-index order
 *       "bundles": ["bafk…", …] }                                  // encrypted bundles, first-use order
 *
 * Public by design: leaves are salted hashes and bundles are ciphertext, so it carries no PHI and
 * says nothing about which bundle belongs to whom. An auditor recomputes the root from the leaves.
 */
export const MANIFEST_FORMAT = 'vitalchain-anchor-manifest/1';

export interface AnchorManifest {
  format: typeof MANIFEST_FORMAT;
  merkle: typeof MERKLE_CONSTRUCTION;
  leaf: typeof LEAF_CONSTRUCTION;
  root: string;
  leafCount: number;
  leaves: string[];
  bundles: string[];
}

export function createManifest(leaves: readonly Buffer[], root: Buffer, bundles: readonly string[]): AnchorManifest {
  return {
    format: MANIFEST_FORMAT,
    merkle: MERKLE_CONSTRUCTION,
    leaf: LEAF_CONSTRUCTION,
    root: `0x${root.toString('hex')}`,
    leafCount: leaves.length,
    leaves: leaves.map(hex),
    bundles: [...bundles],
  };
}

function hex(bytes: Buffer): string {
  return bytes.toString('hex');
}

export function manifestBytes(manifest: AnchorManifest): Buffer {
  return Buffer.from(JSON.stringify(manifest));
}

/** Parses and checks a manifest: known format, well-formed fields, and a root that its leaves really give. */
export function parseManifest(bytes: Uint8Array): AnchorManifest {
  const m = JSON.parse(Buffer.from(bytes).toString('utf8')) as AnchorManifest;
  if (m.format !== MANIFEST_FORMAT || m.merkle !== MERKLE_CONSTRUCTION || m.leaf !== LEAF_CONSTRUCTION) throw new Error('not a vitalchain anchor manifest (v1)');
  if (!Array.isArray(m.leaves) || m.leaves.length !== m.leafCount || m.leafCount < 1) throw new Error('manifest leaf list does not match leafCount');
  if (!m.leaves.every((leaf) => /^[0-9a-f]{64}$/.test(leaf))) throw new Error('manifest leaves must be 32-byte lowercase hex');
  if (!Array.isArray(m.bundles)) throw new Error('manifest has no bundle list');
  for (const cid of m.bundles) CID.parse(cid);
  const root = `0x${MerkleTree.build(m.leaves.map((leaf) => Buffer.from(leaf, 'hex'))).root.toString('hex')}`;
  if (root !== m.root) throw new Error(`manifest leaves give root ${root}, not ${m.root}`);
  return m;
}

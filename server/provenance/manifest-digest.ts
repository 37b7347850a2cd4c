import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { create as createDigest } from 'multiformats/hashes/digest';
import { ProvenanceFailureError } from './errors.ts';

/**
 * On-chain, a manifest is named by the 32-byte sha2-256 digest inside its CIDv1 (see
 * contracts/ProvenanceAnchor.sol): the digest is all a CID binds. What the digest leaves open is the
 * codec, and `ipfs add --cid-version 1` uses two: a manifest up to one chunk (256 KiB) is a single
 * raw block, a larger one a UnixFS dag-pb root. Whoever holds the CID (the pipeline's database, a
 * proof) compares digests; whoever holds only the digest tries both CIDs.
 */
const SHA2_256 = 0x12;
const DAG_PB = 0x70;

/** 0x-prefixed hex digest of a manifest CID; refuses CIDs this scheme cannot name. */
export function manifestDigest(cid: string): string {
  let parsed: CID;
  try {
    parsed = CID.parse(cid);
  } catch (err) {
    throw new ProvenanceFailureError('ledger', 'manifest CID is not a CID', { cause: err });
  }
  if (parsed.version !== 1 || parsed.multihash.code !== SHA2_256 || (parsed.code !== raw.code && parsed.code !== DAG_PB)) {
    throw new ProvenanceFailureError('ledger', `manifest CID ${cid} is not a CIDv1 (raw or dag-pb) over sha2-256`);
  }
  return `0x${Buffer.from(parsed.multihash.digest).toString('hex')}`;
}

/** True when `cid` is a CID whose digest is `digest` (hex, with or without 0x). */
export function cidHasDigest(cid: string, digest: string): boolean {
  try {
    return manifestDigest(cid) === `0x${digest.replace(/^0x/, '').toLowerCase()}`;
  } catch {
    return false;
  }
}

/** The two CIDs a manifest with this digest can have: raw block first (every window up to ~2,000 leaves), then dag-pb. */
export function manifestCidCandidates(digest: string): string[] {
  const bytes = Buffer.from(digest.replace(/^0x/, ''), 'hex');
  if (bytes.length !== 32) throw new ProvenanceFailureError('ledger', 'a manifest digest is 32 bytes');
  const multihash = createDigest(SHA2_256, bytes);
  return [CID.createV1(raw.code, multihash).toString(), CID.createV1(DAG_PB, multihash).toString()];
}

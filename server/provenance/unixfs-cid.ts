import { hash } from 'node:crypto';
import { importBytes, type ImporterOptions, type WritableStorage } from 'ipfs-unixfs-importer';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { create as createDigest } from 'multiformats/hashes/digest';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';
import { balanced } from 'ipfs-unixfs-importer/layout';
import { KUBO_V1_IMPORT } from './content-store.ts';

/** Importer options that reproduce `ipfs add --cid-version 1` exactly (see KUBO_V1_IMPORT). */
export function kuboV1ImporterOptions(): ImporterOptions {
  return {
    cidVersion: KUBO_V1_IMPORT.cidVersion,
    rawLeaves: KUBO_V1_IMPORT.rawLeaves,
    chunker: fixedSize({ chunkSize: KUBO_V1_IMPORT.chunkSize }),
    layout: balanced({ maxChildrenPerNode: KUBO_V1_IMPORT.maxChildrenPerNode }),
  };
}

const discard: WritableStorage = { put: async (cid) => cid };

const SHA2_256 = 0x12;

/**
 * Up to one chunk, `ipfs add --cid-version 1 --raw-leaves` stores the bytes as a single raw block,
 * so the CID is CIDv1(raw, sha2-256(bytes)). Computing it directly skips the importer's async
 * pipeline, which costs several times the hash for the small bundles every window produces.
 */
export function singleBlockCid(bytes: Uint8Array): CID | undefined {
  if (bytes.length > KUBO_V1_IMPORT.chunkSize) return undefined;
  return CID.createV1(raw.code, createDigest(SHA2_256, hash('sha256', bytes, 'buffer')));
}

/** The CID `ipfs add --cid-version 1` gives these bytes, computed without storing anything. */
export async function unixfsCid(bytes: Uint8Array): Promise<string> {
  const single = singleBlockCid(bytes);
  if (single) return single.toString();
  const { cid } = await importBytes(bytes, discard, kuboV1ImporterOptions());
  return cid.toString();
}

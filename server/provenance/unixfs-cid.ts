import { hash } from 'node:crypto';
import { importBytes, type ImporterOptions, type WritableStorage } from 'ipfs-unixfs-importer';
import { base32 } from 'multiformats/bases/base32';
import * as raw from 'multiformats/codecs/raw';
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

/** A CIDv1 of a raw block's sha2-256 starts with these bytes: version 1, codec raw, sha2-256, 32-byte digest. */
const RAW_SHA256_HEAD = Buffer.from([0x01, raw.code, SHA2_256, 32]);

/**
 * Up to one chunk, `ipfs add --cid-version 1 --raw-leaves` stores the bytes as a single raw block,
 * so the CID is CIDv1(raw, sha2-256(bytes)): its 36 bytes, written out and printed as multibase
 * base32. Computing it directly skips the importer's async pipeline, which costs several times the
 * hash for the small bundles every window produces; made as a CID object (whose constructor checks
 * and copies its parts) and then printed, it cost more than hashing a window's bundle of ten
 * readings (scratch: ~5 µs against ~4).
 */
export function singleBlockCidText(bytes: Uint8Array): string | undefined {
  if (bytes.length > KUBO_V1_IMPORT.chunkSize) return undefined;
  const cid = Buffer.allocUnsafe(RAW_SHA256_HEAD.length + 32);
  RAW_SHA256_HEAD.copy(cid, 0);
  cid.write(hash('sha256', bytes, 'binary'), RAW_SHA256_HEAD.length, 32, 'binary');
  return base32.encode(cid);
}

/** The CID `ipfs add --cid-version 1` gives these bytes, computed without storing anything. */
export async function unixfsCid(bytes: Uint8Array): Promise<string> {
  const single = singleBlockCidText(bytes);
  if (single) return single;
  const { cid } = await importBytes(bytes, discard, kuboV1ImporterOptions());
  return cid.toString();
}

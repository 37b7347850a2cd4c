import type { ContentStore } from './content-store.ts';
import { ProvenanceFailureError } from './errors.ts';
import { parseManifest, type AnchorManifest } from './manifest.ts';
import { MerkleTree } from './merkle.ts';
import { unixfsCid } from './unixfs-cid.ts';

/**
 * Reads from the content store, trusting nothing it serves: bytes count only if they hash to the
 * CID asked for. Manifests (and the Merkle tree their leaves give) are kept in a small LRU: content
 * under a CID never changes, so a cached one is as good as a fresh one, and $verify then costs one
 * tree walk instead of fetching and rebuilding a 1,000-leaf tree each time.
 */
export class VerifiedContent {
  private readonly manifests = new Map<string, Promise<{ manifest: AnchorManifest; tree: MerkleTree }>>();

  constructor(
    readonly store: ContentStore,
    private readonly capacity = 64,
  ) {}

  async bytes(cid: string): Promise<Buffer> {
    const bytes = Buffer.from(await this.store.get(cid));
    if ((await unixfsCid(bytes)) !== cid) throw new ProvenanceFailureError('content', `the content store served bytes that do not hash to ${cid}`);
    return bytes;
  }

  manifest(cid: string): Promise<{ manifest: AnchorManifest; tree: MerkleTree }> {
    let entry = this.manifests.get(cid);
    if (entry) {
      this.manifests.delete(cid);
    } else {
      entry = this.bytes(cid).then((bytes) => {
        const manifest = parseManifest(bytes);
        return { manifest, tree: MerkleTree.build(manifest.leaves.map((leaf) => Buffer.from(leaf, 'hex'))) };
      });
      entry.catch(() => this.manifests.delete(cid));
    }
    this.manifests.set(cid, entry);
    if (this.manifests.size > this.capacity) this.manifests.delete(this.manifests.keys().next().value!);
    return entry;
  }
}

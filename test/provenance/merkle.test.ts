import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MerkleTree, innerNodeHash, leafNodeHash, rootFromInclusionPath, verifyInclusion } from '../../server/provenance/merkle.ts';

const sha = (...parts: Uint8Array[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const h = (s: string) => Buffer.from(s, 'hex');

// Certificate Transparency's reference data (RFC 6962 / RFC 9162 implementations all test against it).
const CT_DATA = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(h);
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** RFC 9162 §2.1.1 MTH, written straight from the recursive definition (independent of the level-wise builder). */
function referenceRoot(data: Buffer[]): Buffer {
  if (data.length === 1) return sha(Buffer.from([0]), data[0]);
  let k = 1;
  while (k * 2 < data.length) k *= 2;
  return sha(Buffer.from([1]), referenceRoot(data.slice(0, k)), referenceRoot(data.slice(k)));
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]), recursive. */
function referencePath(m: number, data: Buffer[]): Buffer[] {
  if (data.length === 1) return [];
  let k = 1;
  while (k * 2 < data.length) k *= 2;
  return m < k ? [...referencePath(m, data.slice(0, k)), referenceRoot(data.slice(k))] : [...referencePath(m - k, data.slice(k)), referenceRoot(data.slice(0, k))];
}

describe('Merkle tree (RFC 9162)', () => {
  it('reproduces the Certificate Transparency tree heads for sizes 1..8', () => {
    for (let n = 1; n <= 8; n++) expect(hex(MerkleTree.build(CT_DATA.slice(0, n)).root), `size ${n}`).toBe(CT_ROOTS[n - 1]);
  });

  it('reproduces the CT inclusion paths for leaves 0 and 5 of 8', () => {
    const tree = MerkleTree.build(CT_DATA);
    expect(tree.proof(0).map(hex)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(tree.proof(5).map(hex)).toEqual([
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
  });

  it('hashes small trees exactly as written out by hand', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((s) => Buffer.from(s));
    const la = sha(Buffer.from([0]), a);
    const lb = sha(Buffer.from([0]), b);
    const lc = sha(Buffer.from([0]), c);
    expect(leafNodeHash(a)).toEqual(la);
    expect(MerkleTree.build([a]).root).toEqual(la);
    expect(MerkleTree.build([a, b]).root).toEqual(sha(Buffer.from([1]), la, lb));
    // Three leaves: the odd one is carried up, not duplicated.
    expect(MerkleTree.build([a, b, c]).root).toEqual(sha(Buffer.from([1]), sha(Buffer.from([1]), la, lb), lc));
    expect(innerNodeHash(la, lb)).toEqual(sha(Buffer.from([1]), la, lb));
    expect(MerkleTree.build([a, b, c]).proof(2)).toEqual([sha(Buffer.from([1]), la, lb)]);
    expect(MerkleTree.build([a, b, c]).proof(0)).toEqual([lb, lc]);
  });

  it('does not let [a, b, c] and [a, b, c, c] share a root (no duplicated last node)', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((s) => Buffer.from(s));
    expect(MerkleTree.build([a, b, c]).root).not.toEqual(MerkleTree.build([a, b, c, c]).root);
  });

  it('builds, for every size 1..33, the RFC root and the RFC path of every leaf, and every proof verifies', () => {
    const data = Array.from({ length: 33 }, (_, i) => Buffer.from(`version-${i}`));
    for (let n = 1; n <= 33; n++) {
      const leaves = data.slice(0, n);
      const tree = MerkleTree.build(leaves);
      expect(tree.root, `root of ${n}`).toEqual(referenceRoot(leaves));
      for (let i = 0; i < n; i++) {
        const path = tree.proof(i);
        expect(path, `path ${i} of ${n}`).toEqual(referencePath(i, leaves));
        expect(verifyInclusion(leaves[i], i, n, path, tree.root)).toBe(true);
      }
    }
  });

  it('rejects tampered leaves, paths, indexes, sizes and roots', () => {
    const data = Array.from({ length: 33 }, (_, i) => Buffer.from(`version-${i}`));
    for (const n of [1, 2, 3, 7, 8, 9, 16, 17, 33]) {
      const leaves = data.slice(0, n);
      const tree = MerkleTree.build(leaves);
      for (let i = 0; i < n; i++) {
        const path = tree.proof(i);
        expect(verifyInclusion(Buffer.from('forged'), i, n, path, tree.root)).toBe(false);
        if (n > 1) {
          expect(verifyInclusion(leaves[i], (i + 1) % n, n, path, tree.root)).toBe(false);
          const flipped = path.map((p, j) => (j === path.length - 1 ? Buffer.from(p.map((x, k) => (k === 0 ? x ^ 1 : x))) : p));
          expect(verifyInclusion(leaves[i], i, n, flipped, tree.root)).toBe(false);
          expect(verifyInclusion(leaves[i], i, n, path.slice(0, -1), tree.root)).toBe(false);
        }
        expect(verifyInclusion(leaves[i], i, n, [...path, tree.root], tree.root)).toBe(false);
        expect(verifyInclusion(leaves[i], i, n, path, sha(tree.root))).toBe(false);
      }
      expect(rootFromInclusionPath(leaves[0], n, n, [])).toBeUndefined();
      expect(rootFromInclusionPath(leaves[0], -1, n, [])).toBeUndefined();
    }
  });

  it('refuses an empty tree and out-of-range proofs', () => {
    expect(() => MerkleTree.build([])).toThrow(RangeError);
    expect(() => MerkleTree.build([Buffer.from('a')]).proof(1)).toThrow(RangeError);
  });
});

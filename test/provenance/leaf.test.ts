import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leafHash, writeLeaf } from '../../server/provenance/leaf.ts';

describe('writeLeaf', () => {
  it('writes exactly leafHash(salt, bytes) at the offset, for 32-byte salts and for other lengths, leaving the rest alone', () => {
    const target = Buffer.alloc(32 * 40, 0xee);
    const expected: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const salt = randomBytes(i % 10 === 9 ? 16 : 32);
      const bytes = randomBytes(i * 97);
      writeLeaf(salt, bytes, target, i * 32);
      expected.push(leafHash(salt, bytes));
    }
    expect(target.equals(Buffer.concat(expected))).toBe(true);
    const padded = Buffer.alloc(70, 0xee);
    writeLeaf(randomBytes(32), Buffer.from('{}'), padded, 19);
    expect(padded.subarray(0, 19).every((b) => b === 0xee) && padded.subarray(51).every((b) => b === 0xee)).toBe(true);
  });
});

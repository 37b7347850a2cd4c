import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlockPacks, decodeLocation, encodeLocation, type PackLocation } from '../../server/provenance/block-packs.ts';
import { withTempDir } from './tmp-dir.ts';

describe('BlockPacks', () => {
  it('appends blocks once, reads each back by location, and starts a new pack when one is full', async () => {
    await withTempDir(async (dir) => {
      const packs = new BlockPacks(dir, 10_000);
      const blocks = Array.from({ length: 30 }, (_, i) => randomBytes(500 + i * 37));
      const locations: PackLocation[] = [];
      // Batches of five, concurrently: appends are serialised, none overlaps another.
      const batches = await Promise.all(Array.from({ length: 6 }, (_, b) => packs.append(blocks.slice(b * 5, b * 5 + 5))));
      for (const batch of batches) locations.push(...batch);
      for (const [i, location] of locations.entries()) expect(Buffer.from(await packs.read(location)).equals(blocks[i]!)).toBe(true);
      expect(new Set(locations.map((l) => l.pack)).size).toBeGreaterThan(1);
      const files = fs.readdirSync(dir).sort();
      expect(files[0]).toBe('000001.pack');
      for (const file of files) expect(fs.statSync(path.join(dir, file)).size).toBeLessThanOrEqual(10_000 + 2_000);
      await packs.close();
    });
  });

  it('after a restart, and after a torn write left bytes at the end, appends go after them and old blocks still read', async () => {
    await withTempDir(async (dir) => {
      const first = new BlockPacks(dir);
      const [kept] = await first.append([Buffer.from('first block')]);
      await first.close();
      fs.appendFileSync(path.join(dir, '000001.pack'), 'half of a block that was never located');
      const second = new BlockPacks(dir);
      const [next] = await second.append([Buffer.from('second block')]);
      expect(next!.offset).toBe(fs.statSync(path.join(dir, '000001.pack')).size - 'second block'.length);
      expect(Buffer.from(await second.read(kept!)).toString()).toBe('first block');
      expect(Buffer.from(await second.read(next!)).toString()).toBe('second block');
      await expect(second.read({ pack: 1, offset: next!.offset, length: 1_000 })).rejects.toThrow(/ends before/);
      await second.close();
    });
  });

  it('encodes a location in 14 bytes, offsets past 4 GiB included', () => {
    const location = { pack: 7, offset: 5 * 2 ** 32 + 123, length: 262_144 };
    expect(encodeLocation(location).length).toBe(14);
    expect(decodeLocation(encodeLocation(location))).toEqual(location);
  });
});

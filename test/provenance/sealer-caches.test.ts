import { describe, expect, it } from 'vitest';
import { HeldVersions } from '../../server/provenance/held-versions.ts';
import { RecentLeaves, type LeafRun } from '../../server/provenance/recent-leaves.ts';
import type { HeldBatch } from '../../server/provenance/sealer-protocol.ts';

/** One commit as Sealer.hold sends it: texts back to back in one buffer. */
function commit(entries: Array<{ rid: number; version: number; json: string; subject: string }>): HeldBatch {
  const bytes = Buffer.from(entries.map((e) => e.json).join(''));
  const ends: number[] = [];
  let end = 0;
  for (const e of entries) ends.push((end += Buffer.byteLength(e.json)));
  const subjects = [...new Set(entries.map((e) => e.subject))];
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return { rids: entries.map((e) => e.rid), versions: entries.map((e) => e.version), bytes: copy, ends, subjects, subjectOf: entries.map((e) => subjects.indexOf(e.subject)) };
}

const text = (location: { source: Buffer; start: number; end: number } | undefined) => location && location.source.subarray(location.start, location.end).toString();

describe('the sealer thread’s caches', () => {
  it('holds versions by rid and version, two versions of one resource at once, each taken once', () => {
    const held = new HeldVersions();
    held.hold(commit([{ rid: 1, version: 1, json: '{"a":1}', subject: 'Patient/p' }, { rid: 2, version: 1, json: '{"b":1}', subject: '#shared' }]));
    held.hold(commit([{ rid: 1, version: 2, json: '{"a":2}', subject: 'Patient/p' }]));
    // One commit with two versions of one resource (a transaction that wrote it twice).
    held.hold(commit([{ rid: 7, version: 1, json: '{"c":1}', subject: '#shared' }, { rid: 7, version: 2, json: '{"c":2}', subject: '#shared' }]));
    expect(text(held.take(7, 2))).toBe('{"c":2}');
    expect(text(held.take(7, 1))).toBe('{"c":1}');
    expect(text(held.take(1, 2))).toBe('{"a":2}');
    expect(held.take(1, 2)).toBeUndefined();
    const first = held.take(1, 1);
    expect(text(first)).toBe('{"a":1}');
    expect(first?.subject).toBe('Patient/p');
    expect(held.take(3, 1)).toBeUndefined();
    expect(held.take(2, 1)?.subject).toBe('#shared');
  });

  it('drops the oldest commits past its byte bound, and nothing after clear()', () => {
    const held = new HeldVersions(20);
    held.hold(commit([{ rid: 1, version: 1, json: '{"x":"0123456789"}', subject: '#shared' }]));
    held.hold(commit([{ rid: 2, version: 1, json: '{"y":"0123456789"}', subject: '#shared' }]));
    expect(held.take(1, 1)).toBeUndefined();
    expect(text(held.take(2, 1))).toBe('{"y":"0123456789"}');
    held.hold(commit([{ rid: 3, version: 1, json: '{}', subject: '#shared' }]));
    held.clear();
    expect(held.take(3, 1)).toBeUndefined();
  });

  function run(first: number, rids: number[], subject = 'Patient/p'): LeafRun {
    const source = Buffer.from(rids.map((rid) => `{"r":${rid}}`).join(''));
    const starts: number[] = [];
    const ends: number[] = [];
    let at = 0;
    for (const rid of rids) {
      starts.push(at);
      ends.push((at += `{"r":${rid}}`.length));
    }
    return {
      first, rids, types: rids.map(() => 'Observation'), ids: rids.map((rid) => `o${rid}`), versions: rids.map(() => 1), subjects: rids.map(() => subject),
      sources: rids.map(() => source), starts, ends, salts: Buffer.alloc(32 * rids.length, 1), leaves: Buffer.alloc(32 * rids.length, 2),
    };
  }

  it('gives a window spanning runs in leaf order, and nothing for a window it does not hold whole', () => {
    const recent = new RecentLeaves();
    recent.add(run(11, [4, 5, 6], 'Patient/q'));
    recent.add(run(8, [1, 2, 3]));
    const window = recent.window(9, 12)!;
    expect(window.map((v) => [v.id, v.bytes!.toString(), v.patient])).toEqual([['o2', '{"r":2}', 'Patient/p'], ['o3', '{"r":3}', 'Patient/p'], ['o4', '{"r":4}', 'Patient/q'], ['o5', '{"r":5}', 'Patient/q']]);
    expect(recent.subjects(8, 13)?.sort()).toEqual(['Patient/p', 'Patient/q']);
    expect(recent.window(7, 9)).toBeUndefined();
    expect(recent.window(12, 14)).toBeUndefined();
    recent.release(8, 10);
    expect(recent.window(8, 10)).toBeUndefined();
    expect(recent.window(11, 13)).toHaveLength(3);
  });

  it('forgets an erased patient’s versions: no window over them is served from memory', () => {
    const recent = new RecentLeaves();
    recent.add(run(1, [1, 2], 'Patient/p'));
    recent.add(run(3, [3, 4], 'Patient/q'));
    recent.forget('Patient/p', new Set());
    expect(recent.window(1, 2)).toBeUndefined();
    expect(recent.window(3, 4)).toHaveLength(2);
    recent.forget('Patient/none', new Set([4]));
    expect(recent.window(3, 4)).toBeUndefined();
  });

  it('keeps within its byte bound, oldest run dropped first', () => {
    const recent = new RecentLeaves(10);
    recent.add(run(1, [1]));
    recent.add(run(2, [2]));
    expect(recent.window(1, 1)).toBeUndefined();
    expect(recent.window(2, 2)).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import { WindowCount } from '../../server/provenance/pipeline-stages.ts';

describe('WindowCount', () => {
  it('is unknown until looked up, then counts what this process adds', () => {
    const count = new WindowCount();
    count.add(2);
    expect(count.known).toBeUndefined();
    count.lookedUp(1, count.lookingUp());
    count.add(2);
    expect(count.known).toBe(3);
    count.forget();
    expect(count.known).toBeUndefined();
  });

  it('is unknown again when a change came while the look-up ran: the look-up may have missed it', () => {
    const count = new WindowCount();
    const mark = count.lookingUp();
    count.add(1);
    count.lookedUp(0, mark);
    expect(count.known).toBeUndefined();
    count.lookedUp(1, count.lookingUp());
    expect(count.known).toBe(1);
  });
});

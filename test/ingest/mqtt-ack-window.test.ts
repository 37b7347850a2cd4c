import { describe, expect, it } from 'vitest';
import { AckWindow } from '../../server/ingest/mqtt-ack-window.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** An ingest the test finishes by hand. */
function deferred() {
  let finish!: (acknowledge: boolean) => void;
  const done = new Promise<boolean>((resolve) => (finish = resolve));
  return { done, finish };
}

describe('AckWindow', () => {
  it('runs at most its limit at once and acknowledges in arrival order, each after its own ingest', async () => {
    const window = new AckWindow(2);
    const acks: number[] = [];
    const ingests = [0, 1, 2].map(() => deferred());
    const start = async (n: number) => {
      expect(await window.free()).toBe(true);
      window.run(async () => ((await ingests[n]!.done) ? () => acks.push(n) : undefined));
    };
    await start(0);
    await start(1);
    let third = false;
    const starting = start(2).then(() => (third = true));
    await tick();
    expect([window.inFlight, third]).toEqual([2, false]);

    ingests[1]!.finish(true); // finishes before the first: its slot frees, its PUBACK waits
    await starting;
    expect(acks).toEqual([]);
    ingests[2]!.finish(true);
    await tick();
    expect(acks).toEqual([]);
    ingests[0]!.finish(true);
    await tick();
    expect(acks).toEqual([0, 1, 2]);
  });

  it('never acknowledges an ingest that gave up or failed, and does not let it hold back later ones', async () => {
    const window = new AckWindow(3);
    const acks: string[] = [];
    window.run(async () => undefined);
    window.run(async () => {
      throw new Error('database down');
    });
    window.run(async () => () => acks.push('third'));
    await window.close();
    expect(acks).toEqual(['third']);
  });

  it('close lets running ingests finish and tells waiting messages not to start', async () => {
    const window = new AckWindow(1);
    const acks: string[] = [];
    const first = deferred();
    window.run(async () => ((await first.done) ? () => acks.push('first') : undefined));
    const waiting = window.free();
    const closed = window.close();
    expect(await waiting).toBe(false);
    first.finish(true);
    await closed;
    expect(acks).toEqual(['first']);
    expect(window.inFlight).toBe(0);
  });
});

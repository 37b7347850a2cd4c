import type { Outbox } from '../../server/store/outbox.ts';

/**
 * Waits until the named outbox consumer has processed every event, including the events its own
 * writes produced: the cursor reaches the head and the head stays put. Returns the head.
 */
export async function settle(outbox: Outbox, consumer: string, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const head = await outbox.headSeq();
    while ((await outbox.cursor(consumer)) < head) {
      if (Date.now() > deadline) throw new Error(`consumer ${consumer} did not reach seq ${head}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    if ((await outbox.headSeq()) === head) return head;
  }
}

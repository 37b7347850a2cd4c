/** What an ingest hands back: the acknowledgement to send once every earlier message's is out, or nothing. */
export type Acknowledge = (() => void) | undefined;

interface Entry {
  done: boolean;
  acknowledge: Acknowledge;
}

/**
 * Runs up to `limit` MQTT message ingests at once and sends their acknowledgements in the order
 * the messages arrived (MQTT 5 §4.6: a receiver acknowledges QoS 1 messages in receive order),
 * each only after its own ingest finished. A message that finished behind a slower one waits for
 * it: its ingest slot is free again, only its PUBACK is held back.
 */
export class AckWindow {
  /** Messages not yet acknowledged (or given up), in receive order. */
  private readonly entries: Entry[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly waiting: Array<() => void> = [];
  private closed = false;

  constructor(private readonly limit: number) {}

  /** Resolves true once an ingest slot is free, false when the window was closed meanwhile. */
  async free(): Promise<boolean> {
    while (!this.closed && this.running.size >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    return !this.closed;
  }

  /** Starts one message's ingest in a slot (call after free() said true). A failed ingest is never acknowledged. */
  run(ingest: () => Promise<Acknowledge>): void {
    const entry: Entry = { done: false, acknowledge: undefined };
    this.entries.push(entry);
    const task: Promise<void> = ingest()
      .then(
        (acknowledge) => void (entry.acknowledge = acknowledge),
        () => undefined,
      )
      .finally(() => {
        entry.done = true;
        this.running.delete(task);
        while (this.entries[0]?.done) this.entries.shift()!.acknowledge?.();
        this.waiting.shift()?.();
      });
    this.running.add(task);
  }

  /** Ingests running now (for logs and tests). */
  get inFlight(): number {
    return this.running.size;
  }

  /** No new ingest starts (waiters get false); resolves once those running have finished and been acknowledged. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    while (this.running.size > 0) await Promise.all(this.running);
  }
}

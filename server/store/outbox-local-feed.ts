import type { OutboxEvent } from './outbox.ts';
import type { CommittedWrite } from './repository.ts';

/** One unbroken run of positions of one commit, as columns (version i is at first + i). */
interface Run {
  first: number;
  commitId: number;
  rids: number[];
  types: string[];
  ids: string[];
  versions: number[];
  actions: Array<OutboxEvent['action']>;
  lastUpdated: string[];
}

/** What the feed can give a consumer at `position`. */
export type LocalTake =
  /** The next events, read from memory, and the position they reach. */
  | { events: OutboxEvent[]; through: number }
  /**
   * The next event held here is at `before`: the positions between are another process's
   * commits or numbers no commit kept, to be read from the table. Every one of them is settled:
   * `before` was drawn under the commit-order lock after all of them, and has committed.
   */
  | { before: number }
  | undefined;

/**
 * The outbox events of this process's own commits, as the repository reports them after COMMIT,
 * kept for one consumer so that it need not read them back from the outbox table. The provenance
 * consumer reads every committed version: read back as joined text, 1,250 events at a time, they
 * cost PostgreSQL ~2.7 µs of CPU per event (scratch measurement, 200,000 events), more than any
 * other statement provenance adds per reading, and the server ~0.7 µs more to split them apart.
 *
 * Only an unbroken run of positions starting right after the consumer's is taken from here: seq
 * order is commit order, so no commit of another process can later appear inside such a run.
 * Whatever lies before the first event held (other processes' commits, numbers a rolled-back
 * transaction drew, events dropped from here) is read from the table. Bounded: past `maxEvents`
 * the oldest runs go, and the consumer reads those from the table.
 */
export class OutboxLocalFeed {
  private runs: Run[] = [];
  private held = 0;

  constructor(private readonly maxEvents = 100_000) {}

  /** A commit report: its results that carry a position (outbox events this process numbered). */
  add(results: readonly CommittedWrite[]): void {
    let run: Run | undefined;
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      if (result.seq === undefined || result.commitId === undefined || result.action === 'none') continue;
      if (!run || run.first + run.rids.length !== result.seq || run.commitId !== result.commitId) {
        if (run) this.insert(run);
        run = { first: result.seq, commitId: result.commitId, rids: [], types: [], ids: [], versions: [], actions: [], lastUpdated: [] };
      }
      run.rids.push(result.rid);
      run.types.push(result.type);
      run.ids.push(result.id);
      run.versions.push(result.version);
      run.actions.push(result.action);
      run.lastUpdated.push(result.lastUpdated);
    }
    if (run) this.insert(run);
    while (this.held > this.maxEvents && this.runs.length > 0) this.held -= this.runs.shift()!.rids.length;
  }

  clear(): void {
    this.runs = [];
    this.held = 0;
  }

  /** Up to `limit` events after `position`, if the next one is held here (see LocalTake). */
  take(position: number, limit: number): LocalTake {
    this.dropThrough(position);
    const head = this.runs[0];
    if (!head) return undefined;
    if (head.first > position + 1) return { before: head.first };
    const events: OutboxEvent[] = [];
    let next = position + 1;
    for (const run of this.runs) {
      if (run.first !== next || events.length >= limit) break;
      const count = Math.min(run.rids.length, limit - events.length);
      for (let i = 0; i < count; i++) {
        events.push({ seq: run.first + i, commitId: run.commitId, rid: run.rids[i]!, type: run.types[i]!, id: run.ids[i]!, version: run.versions[i]!, action: run.actions[i]!, lastUpdated: run.lastUpdated[i]! });
      }
      next = run.first + count;
      if (count < run.rids.length) break;
    }
    return { events, through: next - 1 };
  }

  /** Runs in position order; a report that arrives late (its COMMIT answered after a later one's) goes where it belongs. */
  private insert(run: Run): void {
    let at = this.runs.length;
    while (at > 0 && this.runs[at - 1]!.first > run.first) at--;
    this.runs.splice(at, 0, run);
    this.held += run.rids.length;
  }

  /** Forgets every event at or before `position`, cutting a run that straddles it. */
  private dropThrough(position: number): void {
    while (this.runs.length > 0) {
      const run = this.runs[0]!;
      const last = run.first + run.rids.length - 1;
      if (last <= position) {
        this.runs.shift();
        this.held -= run.rids.length;
        continue;
      }
      if (run.first <= position) {
        const cut = position - run.first + 1;
        for (const column of [run.rids, run.types, run.ids, run.versions, run.actions, run.lastUpdated] as unknown[][]) column.splice(0, cut);
        run.first += cut;
        this.held -= cut;
      }
      return;
    }
  }
}

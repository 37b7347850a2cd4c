import type { Logger } from '../log.ts';
import type { Database } from '../store/database.ts';
import { isRetryable } from './errors.ts';

/** One kind of work the worker does; each backs off on its own, so a dead chain does not stop bundling. */
export interface WorkerStage {
  name: string;
  /** Does what it can; true when it changed anything. */
  run(): Promise<boolean>;
  /** When idle, how soon this stage wants to run again on its own (e.g. a window closing by time). */
  dueInMs?(): number | undefined;
}

export interface AnchorWorkerOptions {
  db: Database;
  log: Logger;
  /**
   * Lanes run concurrently, the stages of a lane in order, round after round: a slow chain holds
   * up anchoring only, not the building of the next windows. A lane sleeps until woken by name
   * (work handed over in this process) or its idle poll (work from other processes).
   */
  lanes: { name: string; stages: WorkerStage[] }[];
  /** Longest sleep when nothing is due (other processes' leaves are not announced here). */
  idleMs?: number;
  /** Called each time the lease is taken: whatever the stages knew may have changed while another process held it. */
  onLease?(): void;
}

const LEASE_KEY = 7_341_010;
const MAX_BACKOFF_MS = 5_000;

/**
 * The anchoring side of the pipeline: closes windows over the recorded leaves and takes each one
 * through its stages. Everything it knows is in the database, so it resumes where a crash left it.
 * One process runs it at a time (advisory lease). `exclusive` serialises a unit of its work with
 * $erase, which must never interleave with sealing a bundle.
 */
export class AnchorWorker {
  private stopped = false;
  private readonly wakers = new Map<string, Set<() => void>>();
  private lock: Promise<unknown> = Promise.resolve();
  private readonly backoff = new Map<string, { until: number; ms: number }>();
  private loop: Promise<void> | undefined;

  constructor(private readonly options: AnchorWorkerOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Wakes one lane, or all of them. */
  wake(lane?: string): void {
    for (const [name, wakers] of this.wakers) if (lane === undefined || name === lane) for (const wake of wakers) wake();
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
    await this.lock;
  }

  private async run(): Promise<void> {
    const { db, log, idleMs = 1_000 } = this.options;
    while (!this.stopped) {
      const lease = await db.tryLease(LEASE_KEY).catch(() => undefined);
      if (!lease) {
        await this.sleep('lease', idleMs);
        continue;
      }
      try {
        this.options.onLease?.();
        await Promise.all(this.options.lanes.map((lane) => this.runLane(lane.name, lane.stages)));
      } catch (err) {
        if (!this.stopped) {
          log.warn({ err }, 'provenance worker lost its database connection; retrying');
          await this.sleep('lease', 1_000);
        }
      } finally {
        await lease.release().catch(() => undefined);
      }
    }
  }

  /** Rounds of a lane until stopped; a database failure outside the stages ends them all (the lease is retaken). */
  private async runLane(lane: string, stages: WorkerStage[]): Promise<void> {
    const idleMs = this.options.idleMs ?? 1_000;
    while (!this.stopped) {
      let woken = false;
      const wake = () => (woken = true);
      this.wakersOf(lane).add(wake);
      let progressed = false;
      for (const stage of stages) {
        if (this.stopped) break;
        if ((this.backoff.get(stage.name)?.until ?? 0) > Date.now()) continue;
        progressed = (await this.attempt(stage)) || progressed;
      }
      this.wakersOf(lane).delete(wake);
      if (progressed || woken || this.stopped) continue;
      const due = [idleMs, ...stages.map((s) => s.dueInMs?.()).filter((ms): ms is number => ms !== undefined)];
      for (const stage of stages) {
        const until = this.backoff.get(stage.name)?.until;
        if (until !== undefined) due.push(until - Date.now());
      }
      await this.sleep(lane, Math.max(5, Math.min(...due)));
    }
  }

  private async attempt(stage: WorkerStage): Promise<boolean> {
    try {
      const changed = await stage.run();
      if (this.backoff.delete(stage.name)) this.options.log.info({ stage: stage.name }, 'provenance stage recovered');
      return changed;
    } catch (err) {
      const previous = this.backoff.get(stage.name);
      const retryable = isRetryable(err);
      const ms = retryable ? Math.min(MAX_BACKOFF_MS, previous ? previous.ms * 2 : 250) : 10_000;
      this.backoff.set(stage.name, { until: Date.now() + ms, ms });
      // One line per outage, not one per retry; never the data, only what failed.
      if (!previous || !retryable) this.options.log[retryable ? 'warn' : 'error']({ stage: stage.name, err: (err as Error).message }, retryable ? 'provenance back end unavailable; will retry' : 'provenance stage failed; will retry');
      return false;
    }
  }

  private wakersOf(lane: string): Set<() => void> {
    let set = this.wakers.get(lane);
    if (!set) this.wakers.set(lane, (set = new Set()));
    return set;
  }

  private sleep(lane: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakersOf(lane).delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakersOf(lane).add(wake);
    });
  }
}

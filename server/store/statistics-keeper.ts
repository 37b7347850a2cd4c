import type { Logger } from '../log.ts';
import type { Database } from './database.ts';

const TABLES = ['resource', 'resource_version', 'outbox', 'idx_token', 'idx_string', 'idx_date', 'idx_number', 'idx_quantity', 'idx_reference', 'idx_uri', 'idx_composite', 'idx_identifier_type', 'idx_observation'];

/**
 * Keeps planner statistics current while data pours in. Autovacuum analyzes only about once a
 * minute, and a bulk load into fresh tables can otherwise run for a long time on plans made for
 * empty tables. Each time the number of versions written has grown fourfold (from a floor), one
 * background ANALYZE runs — never inside a write transaction, never two at once. Fourfold, not
 * twofold: the planner scales row counts by the tables' current size on its own, so statistics
 * only need refreshing for their shape (common values, histograms), which changes little once a
 * table holds thousands of rows; each ANALYZE samples every table (on PGlite it stalls the one
 * thread for up to a second), and doubling ran five of them in a 100,000-reading load.
 */
/**
 * Rows sampled per table are 300 × this. These statistics only have to tell the planner that a
 * growing table is no longer empty, its size and its common values; autovacuum's own ANALYZE,
 * with the full default target (100), replaces them when it runs. Sampling 3,000 rows instead
 * of 30,000 made one ANALYZE of a 100,000-reading database take 83 ms instead of 511 ms here.
 */
const STATISTICS_TARGET = 10;

export class StatisticsKeeper {
  private readonly tables = [...TABLES];
  private written = 0;
  private nextAt: number;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly floor = 5_000,
  ) {
    this.nextAt = floor;
  }

  /** Tables a feature fills as versions are written (searches plan over them too). */
  watch(tables: readonly string[]): void {
    for (const table of tables) if (!this.tables.includes(table)) this.tables.push(table);
  }

  recordWrites(count: number): void {
    this.written += count;
    if (this.written < this.nextAt || this.running || this.stopped) return;
    this.nextAt = Math.max(this.floor, this.written * 4);
    this.running = (async () => {
      const started = Date.now();
      try {
        await this.db.transaction(async (tx) => {
          await tx.query(`SET LOCAL default_statistics_target = ${STATISTICS_TARGET}`);
          await tx.query(`ANALYZE ${this.tables.join(', ')}`);
        });
        this.log.debug({ ms: Date.now() - started, versionsWritten: this.written }, 'planner statistics refreshed');
      } catch (error) {
        if (!this.stopped) this.log.warn({ err: error }, 'ANALYZE failed');
      } finally {
        this.running = undefined;
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}

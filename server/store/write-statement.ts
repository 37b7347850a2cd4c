import type { BulkColumn, BulkRows } from './bulk-column.ts';
import { rowsSource, usesCopy } from './bulk-insert.ts';
import type { Queryable } from './database.ts';
import type { EncodedRows } from './encoded-rows.ts';
import { statementName } from './statement-names.ts';

/**
 * The row changes of one write — resource updates, version rows, index deletions and
 * insertions, and a small commit's outbox events (repository.ts) — sent as one SQL statement of
 * data-modifying CTEs instead of one statement each.
 * A one-reading $ingest or a REST update otherwise paid about a dozen round trips
 * (ten index-table deletions alone for an update), each a parse, a plan and a wait; on a
 * small write those, not the rows, were most of its time.
 *
 * All sub-statements of one statement see the same snapshot and none sees another's changes,
 * so deleting a resource's old index rows and inserting its new ones in the same statement is
 * exact: the DELETE finds only the rows that were there before.
 *
 * Large batches on an engine with COPY (PGlite) still go through COPY, after the statement, so a
 * deletion never meets the rows copied in.
 */
export class WriteStatement {
  private readonly parts: string[] = [];
  private readonly params: unknown[] = [];
  private readonly copies: Array<{ table: string; columns: readonly BulkColumn[]; rows: BulkRows }> = [];
  private summarized: { part: number; summary: string } | undefined;

  constructor(private readonly tx: Queryable) {}

  insert(table: string, columns: readonly BulkColumn[], rows: BulkRows | EncodedRows): void {
    if (rows.count === 0) return;
    if (usesCopy(this.tx, rows)) {
      this.copies.push({ table, columns, rows });
      return;
    }
    const source = rowsSource(this.tx, this.params.length + 1, columns, rows);
    this.params.push(...source.params);
    this.parts.push(`INSERT INTO ${table} (${columns.map((column) => column.name).join(', ')}) ${source.sql}`);
  }

  /** UPDATE table AS alias SET … FROM (rows) AS u WHERE …: `statement` gets the rows' SELECT. */
  updateFrom(columns: readonly BulkColumn[], rows: BulkRows, statement: (source: string) => string): void {
    if (rows.count === 0) return;
    const source = rowsSource(this.tx, this.params.length + 1, columns, rows);
    this.params.push(...source.params);
    this.parts.push(statement(source.sql));
  }

  /** Any other statement, its parameters numbered from the `firstParam` it is given. */
  add(build: (firstParam: number) => { sql: string; params: unknown[] }): void {
    const built = build(this.params.length + 1);
    this.params.push(...built.params);
    this.parts.push(built.sql);
  }

  /**
   * Like add(), for the one part whose RETURNING rows the statement sums up: `summary` is a select
   * list over them (as `returned`), and run() gives back that one row.
   */
  addSummarized(build: (firstParam: number) => { sql: string; params: unknown[] }, summary: string): void {
    if (this.summarized) throw new Error('a write statement sums up one part only');
    this.add(build);
    this.summarized = { part: this.parts.length - 1, summary };
  }

  /** DELETE FROM table WHERE column = ANY(ids): the row ids travel as one bigint array parameter. */
  deleteWhereIn(table: string, column: string, ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.params.push(ids);
    this.parts.push(`DELETE FROM ${table} WHERE ${column} = ANY($${this.params.length}::int8[])`);
  }

  /** Runs the parts, then the copies; the summary row of the summarized part, if there is one. */
  async run(): Promise<Record<string, unknown> | undefined> {
    let summary: Record<string, unknown> | undefined;
    if (this.parts.length > 0) {
      const { summarized } = this;
      const last = summarized ? `SELECT ${summarized.summary} FROM w${summarized.part} AS returned` : 'SELECT 1';
      const sql = this.parts.length === 1 && !summarized ? this.parts[0]! : `WITH ${this.parts.map((part, index) => `w${index} AS (${part})`).join(',\n')}\n${last}`;
      const { rows } = await this.tx.query<Record<string, unknown>>(sql, this.params, statementName(sql));
      if (summarized) summary = rows[0];
    }
    for (const { table, columns, rows } of this.copies) await this.tx.copyRows!(table, columns, rows);
    return summary;
  }
}

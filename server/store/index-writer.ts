import { INDEX_TABLES, type IndexRows, type IndexTable } from '../fhir/search/index/index-rows.ts';
import { BulkRows, type BulkColumn, type ColumnType } from './bulk-column.ts';
import { EncodedRows } from './encoded-rows.ts';
import type { WriteStatement } from './write-statement.ts';

/** Columns per index table after rid, in IndexRows tuple order. */
const COLUMNS: Record<IndexTable, Array<[string, ColumnType]>> = {
  token: [['pid', 'int4'], ['system', 'text'], ['code', 'text'], ['text', 'text']],
  string: [['pid', 'int4'], ['value', 'text'], ['exact', 'text']],
  date: [['pid', 'int4'], ['low', 'timestamptz'], ['high', 'timestamptz']],
  number: [['pid', 'int4'], ['value', 'numeric'], ['low', 'numeric'], ['high', 'numeric']],
  quantity: [
    ['pid', 'int4'], ['system', 'text'], ['code', 'text'], ['unit', 'text'], ['value', 'numeric'], ['low', 'numeric'],
    ['high', 'numeric'], ['canonical_code', 'text'], ['canonical_value', 'numeric'],
  ],
  reference: [['pid', 'int4'], ['target_type', 'text'], ['target_id', 'text'], ['target_version', 'text'], ['url', 'text']],
  uri: [['pid', 'int4'], ['uri', 'text']],
  composite: [
    ['pid', 'int4'], ['k_system', 'text'], ['k_code', 'text'], ['t_system', 'text'], ['t_code', 'text'],
    ['q_value', 'numeric'], ['q_system', 'text'], ['q_code', 'text'], ['q_unit', 'text'], ['q_canonical_code', 'text'], ['q_canonical_value', 'numeric'],
    ['n1', 'numeric'], ['n2', 'numeric'], ['s_value', 'text'], ['d_low', 'timestamptz'], ['d_high', 'timestamptz'],
  ],
  identifier_type: [['pid', 'int4'], ['type_system', 'text'], ['type_code', 'text'], ['value', 'text']],
  observation: [
    ['subject_type', 'text'], ['subject_id', 'text'], ['system', 'text'], ['code', 'text'],
    ['group_system', 'text'], ['group_code', 'text'], ['low', 'timestamptz'], ['high', 'timestamptz'],
  ],
};

const TABLE_COLUMNS = Object.fromEntries(
  INDEX_TABLES.map((table) => [table, [{ name: 'rid', type: 'int8' }, ...COLUMNS[table].map(([name, type]) => ({ name, type }))]]),
) as Record<IndexTable, BulkColumn[]>;

/**
 * The index rows of many resources, for one insert per table (a transaction of a thousand
 * Observations inserts into ten tables, not thousands of times). Where the engine takes binary
 * arrays each resource's rows are encoded as they are added, so a large write does not keep
 * tens of thousands of row tuples alive until its statement is built; elsewhere (PGlite's COPY
 * and jsonb transports) the tuples are kept.
 */
export class IndexRowsBatch {
  private readonly tables = new Map<IndexTable, EncodedRows | KeptRows>();

  constructor(private readonly binary: boolean) {}

  add(rid: number, indexRows: IndexRows): void {
    for (const table of INDEX_TABLES) {
      const rows: ReadonlyArray<readonly unknown[]> = indexRows[table];
      if (rows.length === 0) continue;
      let target = this.tables.get(table);
      if (!target) this.tables.set(table, (target = this.binary ? new EncodedRows(TABLE_COLUMNS[table]) : new KeptRows()));
      for (const row of rows) target.add(rid, row);
    }
  }

  /** One insert per table that got rows, in INDEX_TABLES order. */
  addTo(statement: WriteStatement): void {
    for (const table of INDEX_TABLES) {
      const rows = this.tables.get(table);
      if (rows) statement.insert(`idx_${table}`, TABLE_COLUMNS[table], rows instanceof KeptRows ? new BulkRows(rows.tuples, rows.rids) : rows);
    }
  }
}

/** Row tuples kept as they are, each with its resource's rid, for engines without binary arrays. */
class KeptRows {
  readonly tuples: Array<readonly unknown[]> = [];
  readonly rids: number[] = [];

  add(rid: number, tuple: readonly unknown[]): void {
    this.tuples.push(tuple);
    this.rids.push(rid);
  }
}

/** Adds the deletion of the resources' current index rows (they are being replaced or deleted). */
export function addIndexDeletions(statement: WriteStatement, rids: number[]): void {
  for (const table of INDEX_TABLES) statement.deleteWhereIn(`idx_${table}`, 'rid', rids);
}

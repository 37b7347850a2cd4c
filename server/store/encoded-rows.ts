import { BinaryArrayBuilder } from './binary-array.ts';
import type { BulkColumn } from './bulk-column.ts';

/**
 * Bulk rows written straight into their binary arrays (binary-array.ts) as they are added,
 * for engines that take binary parameters (PostgreSQL): nothing of a row is kept as a
 * JavaScript value once added (see BinaryArrayBuilder for why that matters).
 */
export class EncodedRows {
  private readonly arrays: BinaryArrayBuilder[];

  constructor(columns: readonly BulkColumn[]) {
    this.arrays = columns.map((column) => new BinaryArrayBuilder(column.type));
  }

  get count(): number {
    return this.arrays[0]!.length;
  }

  /** One row: `lead` is its first column's value, `rest` the values of the columns after it. */
  add(lead: unknown, rest: readonly unknown[]): void {
    const arrays = this.arrays;
    arrays[0]!.add(lead);
    for (let c = 1; c < arrays.length; c++) arrays[c]!.add(rest[c - 1]);
  }

  /** One binary array per column. */
  finish(): Buffer[] {
    return this.arrays.map((array) => array.finish());
  }
}

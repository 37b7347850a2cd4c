/**
 * Loads a data frame from an installed R package's lazy-load data base (data/Rdata.rdx index +
 * data/Rdata.rdb objects), e.g. MASS's Pima.tr, as named columns. Factors become their level labels.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, inflateSync } from 'node:zlib';
import { NA_INTEGER, unserialize, type RValue, type RVector } from './r-serialization.ts';

export type Column = Array<number | string | null>;

function isVector(v: RValue): v is RVector {
  return v !== null && 'values' in v;
}

function names(v: RVector): string[] {
  const n = v.attributes.get('names');
  if (!n || !isVector(n)) throw new Error('R object has no names');
  return n.values as string[];
}

/** Reads the object `name` from `<dataDir>/Rdata.rdx` and `.rdb`. */
export function readLazyLoadObject(dataDir: string, name: string): RValue {
  const index = unserialize(new Uint8Array(gunzipSync(readFileSync(join(dataDir, 'Rdata.rdx')))));
  if (!index || !isVector(index)) throw new Error('unexpected Rdata.rdx layout');
  const variables = index.values[names(index).indexOf('variables')] as RVector;
  const at = names(variables).indexOf(name);
  if (at < 0) throw new Error(`${name} not found in ${dataDir}/Rdata.rdx`);
  const [offset, length] = (variables.values[at] as RVector).values as number[];
  const blob = readFileSync(join(dataDir, 'Rdata.rdb')).subarray(offset, offset + length);
  // Each entry: 4-byte big-endian uncompressed length, then a zlib stream (R's compress = TRUE).
  const expected = blob.readUInt32BE(0);
  const raw = inflateSync(blob.subarray(4));
  if (raw.length !== expected) throw new Error(`${name}: inflated ${raw.length} bytes, index says ${expected}`);
  return unserialize(new Uint8Array(raw));
}

/** A data.frame as named columns; factor columns are mapped to their labels, NA to null. */
export function dataFrameColumns(value: RValue): Map<string, Column> {
  if (!value || !isVector(value) || value.kind !== 'list') throw new Error('not a data frame');
  const cls = value.attributes.get('class');
  if (!cls || !isVector(cls) || !cls.values.includes('data.frame')) throw new Error('not a data frame');
  const columns = new Map<string, Column>();
  names(value).forEach((col, i) => {
    const v = value.values[i] as RVector;
    const levels = v.attributes.get('levels');
    if (levels && isVector(levels)) {
      columns.set(col, (v.values as number[]).map((code) => (code === NA_INTEGER ? null : (levels.values[code - 1] as string))));
    } else if (v.kind === 'integer' || v.kind === 'logical') {
      columns.set(col, (v.values as number[]).map((x) => (x === NA_INTEGER ? null : x)));
    } else {
      columns.set(col, v.values as Column);
    }
  });
  return columns;
}

/**
 * One column of bulk rows as a PostgreSQL array in the binary wire format (what array_send
 * writes and array_recv reads). node-postgres sends a Buffer parameter as binary, so
 * `unnest($1::int8[], $2::text[], …)` receives the rows without any text parsing on the server:
 * no JSON lexing, no per-column `->>` extraction, no numeric or timestamp literal parsing — and
 * the client builds one off-heap Buffer instead of a multi-megabyte JSON string for the garbage
 * collector to copy. Measured on bench:ingest (PostgreSQL), against the jsonb parameter this
 * replaced: see the README's ingestion figures.
 */
import type { BulkRows, ColumnType } from './bulk-column.ts';

const ELEMENT_OID: Record<ColumnType, number> = { int8: 20, int4: 23, bool: 16, text: 25, bytea: 17, numeric: 1700, timestamptz: 1184 };

/** 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch, in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 4_294_967_296;

class Writer {
  offset = 0;
  constructor(public buffer: Buffer) {}

  /** Room for `bytes` more; sizes are estimated for ASCII, so UTF-8 beyond it may need more. */
  reserve(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + bytes));
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }

  // Byte stores rather than Buffer#writeInt32BE: without its range checks, on every value.
  int32(value: number): void {
    const buffer = this.buffer;
    const at = this.offset;
    buffer[at] = value >>> 24;
    buffer[at + 1] = value >>> 16;
    buffer[at + 2] = value >>> 8;
    buffer[at + 3] = value;
    this.offset = at + 4;
  }

  int16(value: number): void {
    this.buffer[this.offset] = value >>> 8;
    this.buffer[this.offset + 1] = value;
    this.offset += 2;
  }

  /** A 64-bit integer given as two's-complement halves. */
  int64(high: number, low: number): void {
    this.int32(high);
    this.int32(low);
  }
}

/**
 * Bytes the array's elements take, length words included: exact but for text, which is sized as
 * ASCII (one byte per character) and grows the buffer when it is not — sizing every string for
 * the worst case of UTF-8 would allocate three times the stored JSON per request.
 */
function elementsSize(type: ColumnType, values: readonly unknown[]): number {
  let size = 0;
  switch (type) {
    case 'text':
      for (const value of values) size += value === null || value === undefined ? 4 : 4 + String(value).length;
      return size;
    case 'numeric':
      for (const value of values) size += value === null || value === undefined ? 4 : 16 + String(value).length;
      return size;
    case 'bytea':
      for (const value of values) size += value === null || value === undefined ? 4 : 4 + (typeof value === 'string' ? value.length : (value as Uint8Array).length);
      return size;
    default:
      return values.length * 12;
  }
}

/** Writes one non-NULL element of each type, length word included. */
const ELEMENT: Record<ColumnType, (writer: Writer, value: unknown) => void> = {
  int8: (writer, value) => {
    writer.int32(8);
    writeInt64(writer, value);
  },
  int4: (writer, value) => {
    writer.int32(4);
    writer.int32(Number(value));
  },
  bool: (writer, value) => {
    writer.int32(1);
    writer.buffer[writer.offset++] = value ? 1 : 0;
  },
  timestamptz: (writer, value) => {
    writer.int32(8);
    writeTimestamp(writer, value);
  },
  text: (writer, value) => writeText(writer, typeof value === 'string' ? value : String(value)),
  numeric: (writer, value) => writeNumeric(writer, typeof value === 'number' ? numberText(value) : String(value)),
  bytea: (writer, value) => {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'hex') : (value as Uint8Array);
    writer.int32(bytes.length);
    writer.buffer.set(bytes, writer.offset);
    writer.offset += bytes.length;
  },
};

/**
 * A one-dimensional array of `type` holding one column of `rows` (null and undefined are SQL
 * NULL), values as described in bulk-column.ts. The column is copied out of its rows once and
 * written by one element writer, not through a per-value accessor and type switch: this runs over
 * every column of every bulk insert.
 */
export function binaryArray(type: ColumnType, rows: BulkRows, column: number): Buffer {
  const values = rows.column(column);
  // Sized exactly up front (text as ASCII), so from the shared pool and without a room check per value.
  const array = new BinaryArrayBuilder(type, elementsSize(type, values), { pooled: true });
  array.addSized(values);
  return array.finish();
}

/** Room one non-NULL element may need, length word included; text reserves its own (writeText). */
function elementRoom(type: ColumnType, value: unknown): number {
  switch (type) {
    case 'text':
      return 0;
    case 'numeric':
      return 16 + String(value).length;
    case 'bytea':
      return 4 + (typeof value === 'string' ? value.length : (value as Uint8Array).length);
    default:
      return 12;
  }
}

/**
 * A binary array built one element at a time, for values that should not wait in JavaScript
 * objects until the whole batch is known: a request's index rows are written here as each
 * resource's rows are extracted, so the tuples die young instead of being promoted with the
 * request and marked by every major collection until it commits (index-writer.ts). binaryArray
 * writes a whole column through it at once.
 */
export class BinaryArrayBuilder {
  private readonly writer: Writer;
  private readonly write: (writer: Writer, value: unknown) => void;
  private count = 0;
  private hasNull = 0;

  /** `pooled`: the buffer may come from the shared allocation pool (it is not kept while rows are collected). */
  constructor(
    private readonly type: ColumnType,
    sizeHint = 256,
    { pooled = false }: { pooled?: boolean } = {},
  ) {
    this.writer = new Writer(pooled ? Buffer.allocUnsafe(20 + sizeHint) : Buffer.allocUnsafeSlow(20 + sizeHint));
    this.writer.offset = 20;
    this.write = ELEMENT[type];
  }

  get length(): number {
    return this.count;
  }

  add(value: unknown): void {
    if (value === null || value === undefined) return this.addNull();
    this.count++;
    this.writer.reserve(elementRoom(this.type, value));
    this.write(this.writer, value);
  }

  /** Values whose room the size hint already holds (elementsSize): no room check but text's own. */
  addSized(values: readonly unknown[]): void {
    const { writer, write } = this;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === null || value === undefined) this.addNull();
      else {
        this.count++;
        write(writer, value);
      }
    }
  }

  /** The array so far (header included); adding more afterwards starts from where it ended. */
  finish(): Buffer {
    const end = this.writer.offset;
    this.writer.offset = 0;
    this.writer.int32(1);
    this.writer.int32(this.hasNull);
    this.writer.int32(ELEMENT_OID[this.type]);
    this.writer.int32(this.count);
    this.writer.int32(1);
    this.writer.offset = end;
    return this.writer.buffer.subarray(0, end);
  }

  private addNull(): void {
    this.count++;
    this.hasNull = 1;
    // A text wider than its estimate may have used a later element's room.
    this.writer.reserve(4);
    this.writer.int32(-1);
  }
}

function writeInt64(writer: Writer, value: unknown): void {
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    const high = Math.floor(value / TWO_32);
    writer.int64(high, value - high * TWO_32);
    return;
  }
  writer.buffer.writeBigInt64BE(BigInt(value as string | bigint), writer.offset);
  writer.offset += 8;
}

/** Below this many characters a JavaScript loop copies ASCII faster than a call into Buffer#write. */
const SHORT_TEXT = 64;

function writeText(writer: Writer, text: string): void {
  const length = text.length;
  writer.reserve(4 + length);
  const buffer = writer.buffer;
  const start = writer.offset + 4;
  if (length < SHORT_TEXT) {
    let i = 0;
    for (; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0x7f) break;
      buffer[start + i] = code;
    }
    if (i === length) {
      writer.int32(length);
      writer.offset = start + length;
      return;
    }
  }
  // Room for UTF-8's worst case (three bytes per UTF-16 unit) saves measuring the text first.
  writer.reserve(4 + 3 * length);
  const written = writer.buffer.write(text, writer.offset + 4, 'utf8');
  writer.int32(written);
  writer.offset += written;
}

function numberText(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`numeric column given ${value}`);
  return String(value);
}

/**
 * numeric_send's layout: digit count, weight (of the first base-10000 digit), sign, display scale,
 * then the base-10000 digits. The display scale keeps the precision as written ("1.50" stays 1.50).
 * One pass over the characters, no intermediate strings: index rows carry several decimals each.
 */
function writeNumeric(writer: Writer, text: string): void {
  const length = text.length;
  let i = 0;
  const first = text.charCodeAt(0);
  const negative = first === 45;
  if (negative || first === 43) i = 1;
  const intStart = i;
  while (i < length && isDigit(text.charCodeAt(i))) i++;
  const intLength = i - intStart;
  let fracStart = i;
  let fracLength = 0;
  if (i < length && text.charCodeAt(i) === 46) {
    fracStart = ++i;
    while (i < length && isDigit(text.charCodeAt(i))) i++;
    fracLength = i - fracStart;
  }
  let exponent = 0;
  if (i < length && (text.charCodeAt(i) | 0x20) === 101) {
    i++;
    const expNegative = text.charCodeAt(i) === 45;
    if (expNegative || text.charCodeAt(i) === 43) i++;
    const expStart = i;
    while (i < length && isDigit(text.charCodeAt(i))) exponent = exponent * 10 + text.charCodeAt(i++) - 48;
    if (i === expStart) i = -1;
    if (expNegative) exponent = -exponent;
  }
  if (i !== length || intLength + fracLength === 0) throw new RangeError(`not a decimal: ${text.slice(0, 40)}`);
  // Digit k of the number (integer then fraction digits) has place value 10^(point - 1 - k).
  const count = intLength + fracLength;
  const point = intLength + exponent;
  const dscale = Math.max(0, fracLength - exponent);
  let lead = 0;
  while (lead < count && digitAt(text, lead, intStart, intLength, fracStart) === 0) lead++;
  let end = count;
  while (end > lead && digitAt(text, end - 1, intStart, intLength, fracStart) === 0) end--;
  if (lead === end) {
    writer.int32(8);
    writer.int64(0, dscale);
    return;
  }
  const firstWeight = Math.floor((point - 1 - lead) / 4);
  const groups = firstWeight - Math.floor((point - end) / 4) + 1;
  writer.int32(8 + groups * 2);
  writer.int16(groups);
  writer.int16(firstWeight);
  writer.int16(negative ? 0x4000 : 0);
  writer.int16(dscale);
  let weight = firstWeight;
  let group = 0;
  for (let k = lead; k < end; k++) {
    const place = point - 1 - k;
    const digitWeight = Math.floor(place / 4);
    if (digitWeight !== weight) {
      writer.int16(group);
      // Whole zero groups between non-zero digits (e.g. 1e8 + 1).
      for (let w = weight - 1; w > digitWeight; w--) writer.int16(0);
      weight = digitWeight;
      group = 0;
    }
    group += digitAt(text, k, intStart, intLength, fracStart) * POWERS[place - digitWeight * 4];
  }
  writer.int16(group);
}

const POWERS = [1, 10, 100, 1000];

/** Digit k of the integer digits followed by the fraction digits. */
function digitAt(text: string, k: number, intStart: number, intLength: number, fracStart: number): number {
  return text.charCodeAt(k < intLength ? intStart + k : fracStart + k - intLength) - 48;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** timestamptz is a 64-bit count of microseconds since 2000-01-01; ±infinity are its extremes. */
function writeTimestamp(writer: Writer, value: unknown): void {
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (value instanceof Date) ms = value.getTime();
  else if (value === 'infinity') ms = Infinity;
  else if (value === '-infinity') ms = -Infinity;
  else {
    ms = Date.parse(String(value));
    if (Number.isNaN(ms)) throw new RangeError(`not an instant: ${String(value).slice(0, 40)}`);
  }
  if (ms === Infinity) return writer.int64(0x7fffffff, 0xffffffff);
  if (ms === -Infinity) return writer.int64(-0x80000000, 0);
  // ms × 1000 passes 2^53 for far dates, so it is assembled from parts that stay exact:
  // (a · 2^22 + b) · 1000 with b < 2^22, and the low 32 bits of a · 1000 · 2^22 are (a · 1000 mod 2^10) · 2^22.
  const since = Math.round(ms) - PG_EPOCH_MS;
  const a = Math.floor(since / 4_194_304);
  const thousandA = a * 1000;
  const lowOfA = ((thousandA % 1024) + 1024) % 1024;
  const low = lowOfA * 4_194_304 + (since - a * 4_194_304) * 1000;
  const high = (thousandA - lowOfA) / 1024 + Math.floor(low / TWO_32);
  writer.int64(high, low % TWO_32);
}

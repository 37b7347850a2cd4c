import { describe, expect, it } from 'vitest';
import { dataFrameColumns } from '../../models/pima/r-data-frame.ts';
import { unserialize } from '../../models/pima/r-serialization.ts';

/** Writes R's XDR serialization by hand, following R Internals, for a data frame built here. */
class XdrWriter {
  private readonly parts: Buffer[] = [Buffer.from('X\n', 'latin1')];
  int(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  double(v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    this.parts.push(b);
    return this;
  }
  charsxp(s: string | null): this {
    if (s === null) return this.int(9).int(-1);
    const bytes = Buffer.from(s, 'utf8');
    this.int(9 | (1 << 15) /* UTF-8 gp bit, ignored by the reader */).int(bytes.length);
    this.parts.push(bytes);
    return this;
  }
  strsxp(values: Array<string | null>): this {
    this.int(16).int(values.length);
    values.forEach((v) => this.charsxp(v));
    return this;
  }
  symbol(name: string): this {
    return this.int(1).charsxp(name);
  }
  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}

const OBJECT = 1 << 8;
const ATTR = 1 << 9;
const TAG = 1 << 10;
const LISTSXP_TAGGED = 2 | TAG;
const NILVALUE = 254;

describe('R serialization reader', () => {
  it('reads a data frame with a double column (NA included), a factor and shared symbols', () => {
    const w = new XdrWriter().int(2).int(0x040201).int(0x020300);
    // list(a = c(1.5, NA, -3), f = factor(c("x", "y", NA)), n = c(7L, NA, 9L)), class data.frame
    w.int(19 | OBJECT | ATTR).int(3);
    w.int(14).int(3).double(1.5).double(Number.NaN).double(-3);
    w.int(13 | OBJECT | ATTR).int(3).int(1).int(2).int(-2147483648);
    w.int(LISTSXP_TAGGED).symbol('levels').strsxp(['x', 'y']); // symbol #1
    w.int(LISTSXP_TAGGED).symbol('class').strsxp(['factor']); // symbol #2
    w.int(NILVALUE);
    w.int(13).int(3).int(7).int(-2147483648).int(9);
    // Attributes of the list: names, class (symbol #2 again, as a reference), row.names c(NA, -3).
    w.int(LISTSXP_TAGGED).symbol('names').strsxp(['a', 'f', 'n']);
    w.int(LISTSXP_TAGGED).int((2 << 8) | 255).strsxp(['data.frame']);
    w.int(LISTSXP_TAGGED).symbol('row.names').int(13).int(2).int(-2147483648).int(-3);
    w.int(NILVALUE);

    const columns = dataFrameColumns(unserialize(w.bytes()));
    expect([...columns.keys()]).toEqual(['a', 'f', 'n']);
    expect(columns.get('a')![0]).toBe(1.5);
    expect(Number.isNaN(columns.get('a')![1])).toBe(true);
    expect(columns.get('a')![2]).toBe(-3);
    expect(columns.get('f')).toEqual(['x', 'y', null]);
    expect(columns.get('n')).toEqual([7, null, 9]);
  });

  it('rejects what it cannot read instead of guessing', () => {
    expect(() => unserialize(new Uint8Array(Buffer.from('A\n')))).toThrow(/XDR/);
    const closure = new XdrWriter().int(2).int(0).int(0).int(3 /* CLOSXP */).bytes();
    expect(() => unserialize(closure)).toThrow(/unsupported R object type 3/);
  });
});

/**
 * Reads R's XDR serialization format (the bytes behind saveRDS and lazy-load databases), enough of
 * it for data frames: vectors, attributes, symbols and references. R packages ship their data sets
 * only in this binary form (MASS/data/Rdata.rdb), and no npm package reads it, so the Pima training
 * script decodes it here instead of needing R.
 *
 * Format: R Internals, "Serialization Formats": a header ("X\n", versions), then items, each a
 * 32-bit flags word (type in the low byte, object/attribute/tag bits 8–10) followed by its payload.
 */
const NILSXP = 0;
const SYMSXP = 1;
const LISTSXP = 2;
const CHARSXP = 9;
const LGLSXP = 10;
const INTSXP = 13;
const REALSXP = 14;
const STRSXP = 16;
const VECSXP = 19;
const REFSXP = 255;
const NILVALUE_SXP = 254;
const GLOBALENV_SXP = 253;
const EMPTYENV_SXP = 242;
const BASEENV_SXP = 241;

export const NA_INTEGER = -2147483648;

export type RValue =
  | null
  | { kind: 'symbol'; name: string }
  | { kind: 'environment'; name: string }
  | { kind: 'pairlist'; items: Array<{ tag?: string; value: RValue }> }
  | RVector;

export interface RVector {
  kind: 'logical' | 'integer' | 'double' | 'character' | 'list';
  values: Array<number | string | null | RValue>;
  attributes: Map<string, RValue>;
}

class Reader {
  private offset = 0;
  private readonly refs: RValue[] = [];
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  int(): number {
    const v = this.view.getInt32(this.offset, false);
    this.offset += 4;
    return v;
  }

  double(): number {
    const v = this.view.getFloat64(this.offset, false);
    this.offset += 8;
    return v;
  }

  string(length: number): string {
    const text = new TextDecoder('utf-8').decode(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return text;
  }

  header(): void {
    if (this.bytes[0] !== 0x58 || this.bytes[1] !== 0x0a) throw new Error('not an XDR R serialization (expected "X\\n")');
    this.offset = 2;
    const version = this.int();
    this.int(); // writer version
    this.int(); // minimal reader version
    if (version === 3) this.string(this.int()); // native encoding
    else if (version !== 2) throw new Error(`unsupported R serialization version ${version}`);
  }

  length(): number {
    const n = this.int();
    if (n !== -1) return n;
    const upper = this.int();
    const lower = this.int();
    return upper * 2 ** 32 + (lower >>> 0);
  }

  item(): RValue {
    const flags = this.int();
    const type = flags & 0xff;
    const hasAttributes = (flags & (1 << 9)) !== 0;
    const hasTag = (flags & (1 << 10)) !== 0;
    switch (type) {
      case NILVALUE_SXP:
      case NILSXP:
        return null;
      case GLOBALENV_SXP:
        return { kind: 'environment', name: 'global' };
      case EMPTYENV_SXP:
        return { kind: 'environment', name: 'empty' };
      case BASEENV_SXP:
        return { kind: 'environment', name: 'base' };
      case REFSXP: {
        const index = flags >> 8 || this.int();
        return this.refs[index - 1];
      }
      case SYMSXP: {
        const name = this.item() as unknown as string;
        const symbol: RValue = { kind: 'symbol', name };
        this.refs.push(symbol);
        return symbol;
      }
      case CHARSXP: {
        const n = this.int();
        return (n === -1 ? null : this.string(n)) as unknown as RValue;
      }
      case LISTSXP:
        return this.pairlist(hasAttributes, hasTag);
      case LGLSXP:
      case INTSXP:
        return this.vector(type === LGLSXP ? 'logical' : 'integer', () => this.int(), hasAttributes);
      case REALSXP:
        return this.vector('double', () => this.double(), hasAttributes);
      case STRSXP:
        return this.vector('character', () => this.item() as unknown as string | null, hasAttributes);
      case VECSXP:
        return this.vector('list', () => this.item(), hasAttributes);
      default:
        throw new Error(`unsupported R object type ${type} at byte ${this.offset - 4}`);
    }
  }

  private vector(kind: RVector['kind'], read: () => RVector['values'][number], hasAttributes: boolean): RVector {
    const n = this.length();
    const values: RVector['values'] = new Array(n);
    for (let i = 0; i < n; i++) values[i] = read();
    return { kind, values, attributes: hasAttributes ? this.attributes() : new Map() };
  }

  private pairlist(hasAttributes: boolean, hasTag: boolean): RValue {
    const items: Array<{ tag?: string; value: RValue }> = [];
    let attrs = hasAttributes;
    let tagged = hasTag;
    for (;;) {
      if (attrs) this.item();
      const tag = tagged ? (this.item() as { name: string } | null)?.name : undefined;
      items.push({ tag, value: this.item() });
      // The CDR is the next cell of the same list, or the terminating NULL.
      const flags = this.int();
      const type = flags & 0xff;
      if (type === NILVALUE_SXP) break;
      if (type !== LISTSXP) throw new Error('improper pairlist');
      attrs = (flags & (1 << 9)) !== 0;
      tagged = (flags & (1 << 10)) !== 0;
    }
    return { kind: 'pairlist', items };
  }

  private attributes(): Map<string, RValue> {
    const list = this.item();
    const map = new Map<string, RValue>();
    if (list && 'kind' in list && list.kind === 'pairlist') for (const { tag, value } of list.items) if (tag) map.set(tag, value);
    return map;
  }
}

/** Decodes one serialized R object (already decompressed). */
export function unserialize(bytes: Uint8Array): RValue {
  const reader = new Reader(bytes);
  reader.header();
  return reader.item();
}

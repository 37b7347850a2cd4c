import { JsonSyntaxError, parseJson, parseJsonArrayElement } from '../../server/fhir/json/index.ts';

/** A payload split out of a JSON body; `whole` marks a body that is one JSON value rather than an array of payloads. */
export interface JsonBodyValue {
  value: unknown;
  whole?: boolean;
}

// The parser refuses nesting past 200 levels; the scanner cuts a unit there so hostile input cannot grow its stack.
const MAX_DEPTH = 200;

type State =
  | 'start'
  | 'array-open' // after '[': ']' closes an empty array
  | 'array-next' // after ',': the next element must follow
  | 'element'
  | 'after-array'
  | 'document' // one JSON object: scanned for its end, so what follows it is known early
  | 'after-document'
  | 'document-hold' // a scalar or a malformed object: held and parsed whole at the end
  | 'ndjson';

/**
 * Splits a JSON request body into payloads while it arrives, holding only the element being
 * received. A top-level array gives one payload per element: a small scanner that follows strings,
 * escapes and bracket depth finds where each element ends, and the element is parsed by the
 * server's JSON parser (decimal precision and duplicate-key checks as everywhere) in the same
 * state it would be in when parsing the whole array, so reasons are parseJson's and line/column are
 * relative to the whole body. Wherever the scanner meets something odd (a mismatched bracket, too
 * deep nesting) it hands the text up to that character to the parser, which is bound to fail there
 * or earlier, with the message it gives for the whole body.
 *
 * Any other body is one JSON value. When it is followed by more content it was several values:
 * with `strict` (the Content-Type said JSON) that is an error as for parseJson; otherwise the text
 * so far is handed back in `ndjson` to be read as NDJSON, as splitBody always did.
 */
export class JsonBodySplitter {
  /** Set when a non-strict body turned out to be several JSON values: the text so far, to be read as NDJSON from here on. */
  ndjson: string | undefined;
  private text = '';
  /** Absolute offset of text[0]. */
  private base = 0;
  private pos = 0;
  private state: State = 'start';
  private unitStart = 0;
  private unitLine = 1;
  private unitColumn = 1;
  private readonly stack: number[] = [];
  private inString = false;
  private line = 1;
  /** Absolute offset where `line` starts. */
  private lineStart = 0;
  private documentEnd = 0;

  constructor(private readonly strict: boolean) {}

  push(chunk: string): JsonBodyValue[] {
    this.text += chunk;
    const out: JsonBodyValue[] = [];
    this.scan(out);
    this.compact();
    return out;
  }

  end(): JsonBodyValue[] {
    const out: JsonBodyValue[] = [];
    switch (this.state) {
      case 'array-open':
      case 'array-next':
        this.startUnit(this.text.length);
        out.push({ value: this.element(this.text.length) });
        break;
      case 'element':
        out.push({ value: this.element(this.text.length) });
        break;
      case 'start':
      case 'document':
      case 'after-document':
      case 'document-hold':
        this.endDocument(out);
        break;
    }
    return out;
  }

  private scan(out: JsonBodyValue[]): void {
    while (this.pos < this.text.length) {
      switch (this.state) {
        case 'start': {
          const c = this.skipWhitespace();
          if (c === 91) {
            this.pos++;
            this.state = 'array-open';
          } else if (c === 123) this.state = 'document';
          else if (c >= 0) this.state = 'document-hold';
          break;
        }
        case 'array-open':
        case 'array-next': {
          const c = this.skipWhitespace();
          if (c < 0) break;
          if (c === 93 && this.state === 'array-open') {
            this.pos++;
            this.state = 'after-array';
          } else {
            this.startUnit(this.pos);
            this.state = 'element';
          }
          break;
        }
        case 'element': {
          const cut = this.scanUnit();
          if (cut < 0) break;
          out.push({ value: this.element(cut + 1) });
          this.pos = cut + 1;
          this.state = this.text.charCodeAt(cut) === 93 ? 'after-array' : 'array-next';
          break;
        }
        case 'after-array':
          if (this.skipWhitespace() >= 0) this.fail('Unexpected content after the JSON value');
          break;
        case 'document': {
          const cut = this.scanUnit();
          if (cut < 0) break;
          this.pos = cut + 1;
          if (this.stack.length === 0 && this.text.charCodeAt(cut) === 125) {
            this.documentEnd = this.pos;
            this.state = 'after-document';
          } else this.state = 'document-hold';
          break;
        }
        case 'after-document':
          if (this.skipWhitespace() >= 0) this.severalValues();
          break;
        case 'document-hold':
        case 'ndjson':
          this.pos = this.text.length;
          break;
      }
    }
  }

  /** Skips whitespace; the next character's code, or -1 when the text received so far ends first. */
  private skipWhitespace(): number {
    const text = this.text;
    for (; this.pos < text.length; this.pos++) {
      const c = text.charCodeAt(this.pos);
      if (c === 10) {
        this.line++;
        this.lineStart = this.base + this.pos + 1;
      } else if (c !== 32 && c !== 13 && c !== 9) return c;
    }
    return -1;
  }

  private startUnit(at: number): void {
    this.unitStart = at;
    this.unitLine = this.line;
    this.unitColumn = this.base + at - this.lineStart + 1;
    this.stack.length = 0;
    this.inString = false;
  }

  /**
   * Scans the current unit from `pos` on. Returns the index of the character that ends it — for an
   * array element the ',' or ']' after it, for a document the '}' closing it — or of the odd
   * character where it must be cut; -1 when more text is needed.
   */
  private scanUnit(): number {
    const text = this.text;
    const stack = this.stack;
    const element = this.state === 'element';
    let pos = this.pos;
    let cut = -1;
    if (this.inString) {
      const end = closingQuote(text, pos);
      if (end < 0) {
        this.pos = text.length;
        return -1;
      }
      this.inString = false;
      pos = end + 1;
    }
    for (; pos < text.length; pos++) {
      const c = text.charCodeAt(pos);
      if (c === 34) {
        // Strings are skipped whole. A raw line break inside one is invalid JSON that fails this
        // unit at the parser, so line counting may pass over strings.
        const end = closingQuote(text, pos + 1);
        if (end < 0) {
          this.inString = true;
          pos = text.length;
          break;
        }
        pos = end;
      } else if (c === 10) {
        this.line++;
        this.lineStart = this.base + pos + 1;
      } else if (c === 123 || c === 91) {
        stack.push(c === 123 ? 125 : 93);
        if (stack.length > MAX_DEPTH) {
          cut = pos;
          break;
        }
      } else if (c === 125 || c === 93) {
        if (stack.length === 0 || stack[stack.length - 1] !== c) {
          cut = pos;
          break;
        }
        stack.pop();
        if (!element && stack.length === 0) {
          cut = pos;
          break;
        }
      } else if (c === 44 && element && stack.length === 0) {
        cut = pos;
        break;
      }
    }
    this.pos = cut < 0 ? pos : cut;
    return cut;
  }

  /** Parses the unit from unitStart up to `end` (exclusive) as an array element; errors located in the whole body. */
  private element(end: number): unknown {
    try {
      return parseJsonArrayElement(this.text.slice(this.unitStart, end)).value;
    } catch (error) {
      if (!(error instanceof JsonSyntaxError)) throw error;
      throw new JsonSyntaxError(error.reason, this.unitLine + error.line - 1, error.line === 1 ? this.unitColumn + error.column - 1 : error.column);
    }
  }

  /** Content after the first value of a document (the text is still whole: nothing is dropped in document states). */
  private severalValues(): void {
    parseJson(this.text.slice(0, this.documentEnd));
    if (this.strict) this.fail('Unexpected content after the JSON value');
    this.ndjson = this.text;
    this.text = '';
    this.pos = 0;
    this.state = 'ndjson';
  }

  private endDocument(out: JsonBodyValue[]): void {
    try {
      out.push({ value: parseJson(this.text), whole: true });
    } catch (error) {
      if (this.strict || !(error instanceof JsonSyntaxError) || !error.reason.startsWith('Unexpected content after the JSON value')) throw error;
      this.ndjson = this.text;
      this.state = 'ndjson';
    }
  }

  private fail(reason: string): never {
    throw new JsonSyntaxError(reason, this.line, this.base + this.pos - this.lineStart + 1);
  }

  /** Drops what array states no longer need; documents are kept whole (parsed whole, or re-read as NDJSON). */
  private compact(): void {
    if (this.state === 'start' || this.state === 'document' || this.state === 'after-document' || this.state === 'document-hold' || this.state === 'ndjson') return;
    const keep = this.state === 'element' ? this.unitStart : this.pos;
    if (keep === 0) return;
    this.text = this.text.slice(keep);
    this.base += keep;
    this.pos -= keep;
    this.unitStart -= keep;
  }
}

/**
 * Index of the quote that closes a string whose content goes on at `from`, or -1 when the text
 * received so far ends first. A quote preceded by an odd run of backslashes is escaped; the run
 * is counted in the text itself (the unit is kept from its start), so escapes split across
 * chunks need no state.
 */
function closingQuote(text: string, from: number): number {
  for (let quote = text.indexOf('"', from); quote >= 0; quote = text.indexOf('"', quote + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes++;
    if (backslashes % 2 === 0) return quote;
  }
  return -1;
}

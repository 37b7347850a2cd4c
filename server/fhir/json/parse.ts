import { FhirDecimal } from './decimal.ts';

/** Where and why a JSON text is malformed; line and column are 1-based. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${reason} at line ${line}, column ${column}`);
  }
}

export interface ParseOptions {
  /** Objects and arrays nested deeper than this are refused (hostile input guard). */
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 200;

/**
 * JSON parser for FHIR bodies. We write our own rather than use JSON.parse because FHIR needs
 * three things JSON.parse cannot give on Node 20: decimal precision kept (see FhirDecimal),
 * duplicate property names rejected (FHIR forbids them; JSON.parse silently keeps the last),
 * and nesting bounded so hostile input cannot exhaust the stack of later tree walkers.
 * Error positions are reported as line and column so clients can find the problem.
 */
export function parseJson(text: string, options: ParseOptions = {}): unknown {
  const parser = new Parser(text, options.maxDepth ?? DEFAULT_MAX_DEPTH);
  parser.skipWhitespace();
  const value = parser.parseValue(0);
  parser.skipWhitespace();
  if (parser.pos < text.length) parser.fail('Unexpected content after the JSON value');
  return value;
}

/**
 * One element of a top-level JSON array, for splitting an array body element by element as it
 * arrives (mappings/split/json-body-splitter.ts). `text` runs from the element's first character
 * through the `,` or `]` that follows it (or to the end of the body). The element is parsed as
 * parseArray parses it inside the whole body (same nesting count, same checks after it), so
 * errors carry the reason parseJson would give for the whole body, at positions relative to `text`.
 */
export function parseJsonArrayElement(text: string, options: ParseOptions = {}): { value: unknown; last: boolean } {
  const parser = new Parser(text, options.maxDepth ?? DEFAULT_MAX_DEPTH);
  const value = parser.parseValue(1);
  parser.skipWhitespace();
  const c = text.charCodeAt(parser.pos);
  if (c !== 44 && c !== 93) parser.fail("Expected ',' or ']' in array");
  return { value, last: c === 93 };
}

class Parser {
  pos = 0;
  constructor(
    readonly text: string,
    readonly maxDepth: number,
  ) {}

  fail(reason: string, at = this.pos): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new JsonSyntaxError(reason, line, at - lineStart + 1);
  }

  skipWhitespace(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 32 || c === 10 || c === 13 || c === 9) pos++;
      else break;
    }
    this.pos = pos;
  }

  parseValue(depth: number): unknown {
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 123: // {
        return this.parseObject(depth + 1);
      case 91: // [
        return this.parseArray(depth + 1);
      case 34: // "
        return this.parseString();
      case 116: // t
        return this.parseLiteral('true', true);
      case 102: // f
        return this.parseLiteral('false', false);
      case 110: // n
        return this.parseLiteral('null', null);
      default:
        if (c === 45 || (c >= 48 && c <= 57)) return this.parseNumber();
        if (Number.isNaN(c)) this.fail('Unexpected end of JSON input');
        this.fail(`Unexpected character '${this.text[this.pos]}'`);
    }
  }

  parseLiteral<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail(`Invalid literal, expected '${word}'`);
    this.pos += word.length;
    return value;
  }

  parseObject(depth: number): Record<string, unknown> {
    if (depth > this.maxDepth) this.fail(`JSON nested deeper than ${this.maxDepth} levels`);
    const out: Record<string, unknown> = {};
    this.pos++;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 125) {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== 34) this.fail('Expected a property name in double quotes');
      const keyAt = this.pos;
      const key = this.parseString();
      if (Object.prototype.hasOwnProperty.call(out, key)) this.fail(`Duplicate property '${key}'`, keyAt);
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== 58) this.fail("Expected ':' after property name");
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue(depth);
      // "__proto__" must become an own property, never the object's prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      if (c === 44) {
        this.pos++;
        this.skipWhitespace();
      } else if (c === 125) {
        this.pos++;
        return out;
      } else this.fail("Expected ',' or '}' in object");
    }
  }

  parseArray(depth: number): unknown[] {
    if (depth > this.maxDepth) this.fail(`JSON nested deeper than ${this.maxDepth} levels`);
    const out: unknown[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 93) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      if (c === 44) {
        this.pos++;
        this.skipWhitespace();
      } else if (c === 93) {
        this.pos++;
        return out;
      } else this.fail("Expected ',' or ']' in array");
    }
  }

  parseString(): string {
    const text = this.text;
    const start = this.pos;
    let pos = start + 1;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 34) break;
      if (c === 92) {
        escaped = true;
        pos += 2;
        continue;
      }
      // charCodeAt past the end is NaN, and NaN < 32 is false: test for the end explicitly.
      if (Number.isNaN(c)) this.fail('Unterminated string', start);
      if (c < 32) this.fail('Unescaped control character in string', pos);
      pos++;
    }
    this.pos = pos + 1;
    if (!escaped) return text.slice(start + 1, pos);
    // Escape sequences are rare in FHIR; the native parser decodes them exactly.
    try {
      return JSON.parse(text.slice(start, pos + 1)) as string;
    } catch {
      return this.fail('Invalid escape sequence in string', start);
    }
  }

  parseNumber(): number | FhirDecimal {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    if (text.charCodeAt(pos) === 45) pos++;
    const intStart = pos;
    while (isDigit(text.charCodeAt(pos))) pos++;
    if (pos === intStart) this.fail('Invalid number', start);
    if (pos - intStart > 1 && text.charCodeAt(intStart) === 48) this.fail('Leading zeros are not allowed in numbers', start);
    if (text.charCodeAt(pos) === 46) {
      pos++;
      const fracStart = pos;
      while (isDigit(text.charCodeAt(pos))) pos++;
      if (pos === fracStart) this.fail('Invalid number: digits expected after the decimal point', start);
    }
    const e = text.charCodeAt(pos);
    if (e === 101 || e === 69) {
      pos++;
      const sign = text.charCodeAt(pos);
      if (sign === 43 || sign === 45) pos++;
      const expStart = pos;
      while (isDigit(text.charCodeAt(pos))) pos++;
      if (pos === expStart) this.fail('Invalid number: digits expected in the exponent', start);
    }
    this.pos = pos;
    const literal = text.slice(start, pos);
    const value = Number(literal);
    return String(value) === literal ? value : new FhirDecimal(literal);
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

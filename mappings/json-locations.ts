import { JsonSyntaxError } from '../server/fhir/json/index.ts';

export type JsonPathSegments = readonly (string | number)[];

export interface LocatedJson {
  value: unknown;
  /** 1-based line and column where the value at `path` starts (the key, for object members), if present. */
  locate(path: JsonPathSegments): { line: number; column: number } | undefined;
}

/**
 * Parses a JSON document (a mapping or MedTech template sent as text) and remembers where every
 * value starts, so validation issues found on the parsed value can point at line and column in
 * the text the user edits. A UTF-8 BOM (Microsoft's templates have one) is skipped. Templates are
 * small; payloads use the server's parser instead.
 */
export function parseLocatedJson(text: string): LocatedJson {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const offset = source.length === text.length ? 0 : 1;
  const positions = new Map<string, number>();
  let pos = 0;

  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineColumn = (at: number) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (lineStarts[mid]! <= at) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: at - lineStarts[low]! + 1 + (low === 0 ? offset : 0) };
  };
  const fail = (reason: string): never => {
    const { line, column } = lineColumn(Math.min(pos, source.length));
    throw new JsonSyntaxError(reason, line, column);
  };
  const ws = () => {
    while (pos < source.length && ' \t\r\n'.includes(source[pos]!)) pos++;
  };
  const string = (): string => {
    const start = pos;
    pos++;
    while (pos < source.length && source[pos] !== '"') {
      if (source[pos] === '\\') pos++;
      else if (source.charCodeAt(pos) < 32) fail('Unescaped control character in string');
      pos++;
    }
    if (pos >= source.length) fail('Unterminated string');
    pos++;
    try {
      return JSON.parse(source.slice(start, pos)) as string;
    } catch {
      return fail('Invalid escape sequence in string');
    }
  };
  const value = (path: string, depth: number): unknown => {
    if (depth > 200) fail('JSON nested deeper than 200 levels');
    ws();
    if (!positions.has(path)) positions.set(path, pos);
    const c = source[pos];
    if (c === '{') {
      pos++;
      const out: Record<string, unknown> = {};
      ws();
      if (source[pos] === '}') {
        pos++;
        return out;
      }
      for (;;) {
        ws();
        if (source[pos] !== '"') fail('Expected a property name in double quotes');
        const keyAt = pos;
        const key = string();
        if (Object.prototype.hasOwnProperty.call(out, key)) fail(`Duplicate property '${key}'`);
        const childPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        positions.set(childPath, keyAt);
        ws();
        if (source[pos] !== ':') fail("Expected ':' after property name");
        pos++;
        const child = value(childPath, depth + 1);
        positions.set(childPath, keyAt);
        Object.defineProperty(out, key, { value: child, enumerable: true, writable: true, configurable: true });
        ws();
        if (source[pos] === ',') pos++;
        else if (source[pos] === '}') {
          pos++;
          return out;
        } else fail("Expected ',' or '}' in object");
      }
    }
    if (c === '[') {
      pos++;
      const out: unknown[] = [];
      ws();
      if (source[pos] === ']') {
        pos++;
        return out;
      }
      for (;;) {
        out.push(value(`${path}/${out.length}`, depth + 1));
        ws();
        if (source[pos] === ',') pos++;
        else if (source[pos] === ']') {
          pos++;
          return out;
        } else fail("Expected ',' or ']' in array");
      }
    }
    if (c === '"') return string();
    const literal = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(source.slice(pos, pos + 64));
    if (!literal) return fail(pos >= source.length ? 'Unexpected end of JSON input' : `Unexpected character '${source[pos]}'`);
    pos += literal[0].length;
    return literal[0] === 'true' ? true : literal[0] === 'false' ? false : literal[0] === 'null' ? null : Number(literal[0]);
  };

  const parsed = value('', 0);
  ws();
  if (pos < source.length) fail('Unexpected content after the JSON value');
  return {
    value: parsed,
    locate(path) {
      const pointer = path.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
      let at = positions.get(pointer);
      // Fall back to the nearest located ancestor (a missing property is reported on its object).
      for (let cut = path.length - 1; at === undefined && cut >= 0; cut--) {
        at = positions.get(path.slice(0, cut).map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join(''));
      }
      return at === undefined ? undefined : lineColumn(at);
    },
  };
}

/** `['template', 0, 'typeName']` → `$.template[0].typeName`, for issue paths. */
export function jsonPathText(path: JsonPathSegments): string {
  return `$${path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : /^[A-Za-z_][\w-]*$/.test(segment) ? `.${segment}` : `['${segment}']`)).join('')}`;
}

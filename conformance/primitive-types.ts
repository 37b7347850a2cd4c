import { FhirDecimal } from '../server/fhir/json/index.ts';
import { typeModel } from './type-model.ts';
import type { ValidationContext } from './validation-context.ts';
import { describeJson, quoteValue } from './validation-issue.ts';

/** Checks one primitive JSON value (never null/undefined) and reports what is wrong with it. */
export type PrimitiveCheck = (value: unknown, path: string, ctx: ValidationContext) => void;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
// Control characters other than tab, LF and CR have no place in FHIR strings.
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
// Whitespace in FHIR's (Java) regexes is ASCII only: a no-break space is content, not whitespace.
const ALL_WHITESPACE = /^[ \t\n\x0B\f\r]*$/;
const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/;
const DECIMAL_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/** The value regex a primitive type's StructureDefinition declares, anchored. */
function definitionRegex(typeName: string): RegExp | undefined {
  const type = typeModel().types.get(typeName);
  const valueElement = type?.elements.get(`${typeName}.value`);
  const regex: string | undefined = valueElement?.definition.type?.[0]?.extension?.find((ext: { url: string }) =>
    ext.url.endsWith('/regex'),
  )?.valueString;
  return regex === undefined ? undefined : new RegExp(`^(?:${javaWhitespace(regex)})$`);
}

const JAVA_SPACE = ' \\t\\n\\x0B\\f\\r';
const JAVA_SPACE_CHARS = [' ', '\t', '\n', '\x0B', '\f', '\r'];
const ESCAPED_CHAR: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

/**
 * The definitions' regexes are Java regexes, where \s is ASCII whitespace only; in JavaScript it
 * also matches no-break and other Unicode spaces, which would reject valid strings such as
 * "CHEST\u00a0". Rewrites \s and \S to their Java meaning, including the `[ \r\n\t\S]` class
 * the string type uses (= anything but vertical tab and form feed).
 */
function javaWhitespace(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1];
      out += next === 's' ? `[${JAVA_SPACE}]` : next === 'S' ? `[^${JAVA_SPACE}]` : c + next;
      i++;
    } else if (c === '[') {
      const end = classEnd(source, i);
      out += javaClass(source.slice(i + 1, end));
      i = end;
    } else {
      out += c;
    }
  }
  return out;
}

function classEnd(source: string, start: number): number {
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === ']') return i;
  }
  return source.length;
}

function javaClass(body: string): string {
  const negated = body.startsWith('^');
  const members = negated ? body.slice(1) : body;
  if (!members.includes('\\S')) return `[${members.replace(/\\s/g, JAVA_SPACE).replace(/^/, negated ? '^' : '')}]`;
  // A positive class with \S: everything except the Java whitespace the class does not list.
  const listed = new Set<string>();
  for (let i = 0; i < members.length; i++) {
    if (members[i] === '\\') {
      const next = members[++i];
      if (next !== 'S') listed.add(ESCAPED_CHAR[next] ?? next);
    } else {
      listed.add(members[i]);
    }
  }
  const excluded = JAVA_SPACE_CHARS.filter((ch) => !listed.has(ch));
  return excluded.length === 0 ? '[^]' : `[^${excluded.map((ch) => JSON.stringify(ch).slice(1, -1).replace('\\u000b', '\\x0B')).join('')}]`;
}

const checks = new Map<string, PrimitiveCheck>();

/** The check for a FHIR primitive type code (built once per type, from its definition). */
export function primitiveCheck(typeName: string): PrimitiveCheck {
  let check = checks.get(typeName);
  if (!check) {
    check = buildCheck(typeName);
    checks.set(typeName, check);
  }
  return check;
}

function buildCheck(typeName: string): PrimitiveCheck {
  switch (typeName) {
    case 'boolean':
      return (value, path, ctx) => {
        if (typeof value !== 'boolean') wrongJsonType(ctx, path, typeName, 'a JSON boolean', value);
      };
    case 'integer':
      return integerCheck(typeName, INT32_MIN);
    case 'unsignedInt':
      return integerCheck(typeName, 0);
    case 'positiveInt':
      return integerCheck(typeName, 1);
    case 'decimal':
      return decimalCheck;
    case 'base64Binary':
      return stringCheck(typeName, isBase64);
    case 'date':
    case 'dateTime':
    case 'instant': {
      const regex = definitionRegex(typeName)!;
      return stringCheck(typeName, (text) => regex.test(text) && isRealDate(text));
    }
    case 'uri': {
      const regex = definitionRegex('uri')!;
      const oid = definitionRegex('oid')!;
      const uuid = definitionRegex('uuid')!;
      return stringCheck(typeName, (text) => {
        if (!regex.test(text)) return false;
        // A uri in the urn:oid:/urn:uuid: namespaces must also be a well-formed OID or UUID
        // (R4 writes system|version pairs into uri elements, e.g. expansion parameters).
        const bar = text.indexOf('|');
        const urn = bar < 0 ? text : text.slice(0, bar);
        if (urn.startsWith('urn:oid:')) return oid.test(urn);
        // UUIDs are case-insensitive on input (RFC 4122); only the uuid type demands lower case.
        if (urn.startsWith('urn:uuid:')) return uuid.test(urn.toLowerCase());
        return true;
      });
    }
    case 'xhtml':
      return stringCheck(typeName, isXhtmlDiv);
    default: {
      const regex = definitionRegex(typeName);
      return stringCheck(typeName, regex ? (text) => regex.test(text) : () => true);
    }
  }
}

function wrongJsonType(ctx: ValidationContext, path: string, typeName: string, expected: string, value: unknown): void {
  ctx.structure('structure', `${path}: a ${typeName} must be ${expected}, found ${describeJson(value)}`, path);
}

function stringCheck(typeName: string, isValid: (text: string) => boolean): PrimitiveCheck {
  // Only string declares a maxLength (1 MB); base64Binary attachments may be larger.
  const maxLength: number = typeModel().types.get(typeName)?.elements.get(`${typeName}.value`)?.definition.maxLength ?? Infinity;
  return (value, path, ctx) => {
    if (typeof value !== 'string') return wrongJsonType(ctx, path, typeName, 'a JSON string', value);
    if (value.length === 0) return ctx.structure('value', `${path}: a ${typeName} cannot be empty (omit the element instead)`, path);
    if (value.length > maxLength) return ctx.structure('value', `${path}: the ${typeName} is longer than ${maxLength} characters`, path);
    if (CONTROL_CHARS.test(value)) return ctx.structure('value', `${path}: the ${typeName} contains control characters`, path);
    if (ALL_WHITESPACE.test(value)) return ctx.structure('value', `${path}: the ${typeName} is only whitespace`, path);
    if (!isValid(value)) ctx.structure('value', `${path}: ${quoteValue(value)} is not a valid ${typeName}`, path);
  };
}

function integerCheck(typeName: string, min: number): PrimitiveCheck {
  return (value, path, ctx) => {
    let number: number;
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) return ctx.structure('value', `${path}: ${value} is not a valid ${typeName} (not a whole number)`, path);
      number = value;
    } else if (value instanceof FhirDecimal) {
      // "1.0" or "1e2" are decimals in JSON even though they denote whole numbers.
      if (!INTEGER_TEXT.test(value.text)) return ctx.structure('value', `${path}: ${quoteValue(value.text)} is not a valid ${typeName} (written as a decimal)`, path);
      number = Number(value.text);
    } else {
      return wrongJsonType(ctx, path, typeName, 'a JSON number', value);
    }
    if (number < min || number > INT32_MAX) {
      ctx.structure('value', `${path}: ${number} is outside the range of ${typeName} (${min}..${INT32_MAX})`, path);
    }
  };
}

const decimalCheck: PrimitiveCheck = (value, path, ctx) => {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) ctx.structure('value', `${path}: ${value} is not a valid decimal`, path);
  } else if (value instanceof FhirDecimal) {
    if (!DECIMAL_TEXT.test(value.text)) ctx.structure('value', `${path}: ${quoteValue(value.text)} is not a valid decimal`, path);
  } else {
    wrongJsonType(ctx, path, 'decimal', 'a JSON number', value);
  }
};

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The regexes accept 2023-02-30; a date must also exist in the calendar. */
function isRealDate(text: string): boolean {
  if (text.length < 10) return true;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  if (day <= 28) return true;
  if (month === 2 && day === 29) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= DAYS_IN_MONTH[month - 1];
}

/**
 * base64 checked by hand: the definition's regex backtracks badly on megabyte attachments, and a
 * single linear pass can also check that padding only appears at the end.
 */
function isBase64(text: string): boolean {
  let count = 0;
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    const isAlphabet = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;
    if (c === 61) padding++;
    else if (!isAlphabet || padding > 0) return false;
    count++;
  }
  return count % 4 === 0 && padding <= 2;
}

const XHTML_DIV = /^\s*<div(\s[^>]*)?>/;
const XHTML_NAMESPACE = /^\s*<div\s[^>]*xmlns\s*=\s*["']http:\/\/www\.w3\.org\/1999\/xhtml["']/;

/** Narrative.div must be an XHTML div element in the XHTML namespace. */
function isXhtmlDiv(text: string): boolean {
  return XHTML_DIV.test(text) && XHTML_NAMESPACE.test(text) && /<\/div>\s*$/.test(text);
}

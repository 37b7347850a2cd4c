import { numericText, isNumeric } from '../../json/index.ts';
import type { SearchParamDefinition } from '../definitions/search-parameters.ts';
import type { TypedNode } from '../definitions/typed-node.ts';
import { decimalRange } from '../values/decimal-range.ts';
import { MAX_TIME, MIN_TIME, parseDateRange, periodRange, type DateRange } from '../values/date-range.ts';
import { normalizeString } from '../values/normalize-string.ts';
import { referenceParts } from '../values/reference-parts.ts';
import type { IndexContext } from './extract-index.ts';
import type { IndexRows } from './index-rows.ts';

/** Index string values are bounded: long narratives are not useful prefixes and bloat the index. */
const MAX_INDEXED_STRING = 256;

/**
 * Index rows for one value of one parameter, by parameter type: tokens from Coding,
 * CodeableConcept, Identifier, ContactPoint and primitives; strings from HumanName and Address
 * parts; dates as precision ranges; numbers and quantities with their implicit precision range.
 */
/** The value[x] of an Extension a parameter reaches (extension('…') paths), as its own type. */
function extensionValue(extension: any): TypedNode | undefined {
  if (!extension || typeof extension !== 'object') return undefined;
  for (const key of Object.keys(extension)) {
    if (key.startsWith('value') && key.length > 5) return { value: extension[key], type: key[5].toLowerCase() === key[5] ? key.slice(5) : lowerFirstPrimitive(key.slice(5)) };
  }
  return undefined;
}

const PRIMITIVE_NAMES = new Set([
  'Base64Binary', 'Boolean', 'Canonical', 'Code', 'Date', 'DateTime', 'Decimal', 'Id', 'Instant', 'Integer',
  'Markdown', 'Oid', 'PositiveInt', 'String', 'Time', 'UnsignedInt', 'Uri', 'Url', 'Uuid',
]);

function lowerFirstPrimitive(name: string): string {
  return PRIMITIVE_NAMES.has(name) ? name[0].toLowerCase() + name.slice(1) : name;
}

/** Index rows for one value (of `type`, with its implied code system) of a parameter. */
export function addValue(rows: IndexRows, param: { type: SearchParamDefinition['type'] }, pid: number, value: any, type: string, system: string | undefined, context: IndexContext): void {
  if (type === 'Extension') {
    const inner = extensionValue(value);
    if (inner) return addValue(rows, param, pid, inner.value, inner.type, undefined, context);
  }
  switch (param.type) {
    case 'token':
      return addToken(rows, pid, value, type, system);
    case 'string':
      return addString(rows, pid, value, type);
    case 'date':
      return addDate(rows, pid, value, type);
    case 'number':
      return addNumber(rows, pid, value);
    case 'quantity':
      return addQuantity(rows, pid, value, type, context);
    case 'reference':
      return addReference(rows, pid, value, type, context);
    case 'uri':
      if (typeof value === 'string') rows.uri.push([pid, value]);
      return;
  }
}

function addToken(rows: IndexRows, pid: number, value: any, type: string, system: string | undefined): void {
  switch (type) {
    case 'Coding':
      if (value.code !== undefined || value.system !== undefined) rows.token.push([pid, value.system ?? null, value.code ?? null, textOf(value.display)]);
      return;
    case 'CodeableConcept': {
      const text = typeof value.text === 'string' ? textOf(value.text) : undefined;
      let textIndexed = false;
      for (const coding of value.coding ?? []) {
        if (coding && (coding.code !== undefined || coding.system !== undefined)) {
          const display = textOf(coding.display);
          rows.token.push([pid, coding.system ?? null, coding.code ?? null, display]);
          if (text !== null && display === text) textIndexed = true;
        }
      }
      // :text only asks whether some row of the parameter starts with the words, so a text that
      // repeats a coding's display (device Observations: "heart rate" twice) needs no row of its own.
      if (text !== undefined && !textIndexed) rows.token.push([pid, null, null, text]);
      return;
    }
    case 'Identifier':
      if (value.value !== undefined || value.system !== undefined) rows.token.push([pid, value.system ?? null, value.value ?? null, textOf(value.type?.text)]);
      if (typeof value.value === 'string') {
        for (const coding of value.type?.coding ?? []) {
          if (coding?.code !== undefined) rows.identifier_type.push([pid, coding.system ?? null, coding.code, value.value]);
        }
      }
      return;
    case 'ContactPoint':
      if (value.value !== undefined) rows.token.push([pid, value.system ?? null, value.value, null]);
      return;
    case 'boolean':
      rows.token.push([pid, null, String(value), null]);
      return;
    default:
      if (typeof value === 'string') rows.token.push([pid, system ?? null, value, null]);
      else if (isNumeric(value)) rows.token.push([pid, null, numericText(value), null]);
  }
}

/**
 * Token text (display, CodeableConcept.text) is stored normalized: only :text reads it.
 * Normalized token texts are kept by their text. Codings repeat their displays across resources (every
 * heart-rate reading says "Heart rate" three times), and Unicode normalization of each was about
 * 2 % of device-ingest CPU. Short texts only, and emptied when full, so it stays small.
 */
const normalizedTexts = new Map<string, string>();
const MAX_NORMALIZED_TEXTS = 2_000;
const MAX_CACHED_TEXT = 64;

function textOf(text: unknown): string | null {
  if (typeof text !== 'string' || text.length === 0) return null;
  if (text.length > MAX_CACHED_TEXT) return normalizeString(text.slice(0, MAX_INDEXED_STRING));
  let normalized = normalizedTexts.get(text);
  if (normalized === undefined) {
    if (normalizedTexts.size >= MAX_NORMALIZED_TEXTS) normalizedTexts.clear();
    normalizedTexts.set(text, (normalized = normalizeString(text)));
  }
  return normalized;
}

function pushString(rows: IndexRows, pid: number, text: unknown): void {
  if (typeof text !== 'string' || text.length === 0) return;
  const exact = text.slice(0, MAX_INDEXED_STRING);
  rows.string.push([pid, normalizeString(exact), exact]);
}

function addString(rows: IndexRows, pid: number, value: any, type: string): void {
  if (type === 'HumanName') {
    pushString(rows, pid, value.family);
    for (const part of [...(value.given ?? []), ...(value.prefix ?? []), ...(value.suffix ?? [])]) pushString(rows, pid, part);
    pushString(rows, pid, value.text);
  } else if (type === 'Address') {
    for (const line of value.line ?? []) pushString(rows, pid, line);
    for (const key of ['city', 'district', 'state', 'postalCode', 'country', 'text']) pushString(rows, pid, value[key]);
  } else if (typeof value === 'string') pushString(rows, pid, value);
}

function pushDate(rows: IndexRows, pid: number, range: DateRange | undefined): void {
  if (!range) return;
  rows.date.push([pid, instantBound(range.low, MIN_TIME, -Infinity), instantBound(range.high, MAX_TIME, Infinity)]);
}

const YEAR_1 = Date.parse('0001-01-01T00:00:00.000Z');
const YEAR_10000 = Date.parse('+010000-01-01T00:00:00.000Z');

/**
 * An index bound in Unix milliseconds; the open bounds and years outside 1–9999 (which PostgreSQL's
 * text input does not take) are ±Infinity, stored as ±infinity. Numbers, not ISO text: the
 * PostgreSQL path sends them as binary timestamps without formatting or parsing.
 */
export function instantBound(ms: number, bound: number, infinity: number): number {
  if (ms > MIN_TIME && ms < MAX_TIME && ms >= YEAR_1 && ms < YEAR_10000) return ms;
  return ms === bound || ms < YEAR_1 || ms >= YEAR_10000 ? infinity : ms;
}

export function addDate(rows: IndexRows, pid: number, value: any, type: string): void {
  if (typeof value === 'string') return pushDate(rows, pid, parseDateRange(value));
  if (type === 'Period') return pushDate(rows, pid, periodRange(value));
  if (type === 'Timing') {
    const events = (value.event ?? []).map((event: string) => parseDateRange(event)).filter(Boolean) as DateRange[];
    const bounds = value.repeat?.boundsPeriod ? periodRange(value.repeat.boundsPeriod) : undefined;
    if (bounds) events.push(bounds);
    if (events.length > 0) pushDate(rows, pid, { low: Math.min(...events.map((e) => e.low)), high: Math.max(...events.map((e) => e.high)) });
  }
}

function addNumber(rows: IndexRows, pid: number, value: any): void {
  if (!isNumeric(value)) return;
  const range = decimalRange(numericText(value));
  if (range) rows.number.push([pid, range.value, range.low, range.high]);
}

const QUANTITY_TYPES = new Set(['Quantity', 'Age', 'Duration', 'Distance', 'Count', 'SimpleQuantity', 'MoneyQuantity']);

function addQuantity(rows: IndexRows, pid: number, value: any, type: string, context: IndexContext): void {
  if (!value || typeof value !== 'object') return;
  if (QUANTITY_TYPES.has(type)) return pushQuantity(rows, pid, value, context);
  if (type === 'Money' && isNumeric(value.value)) {
    return pushQuantity(rows, pid, { value: value.value, system: 'urn:iso:std:iso:4217', code: value.currency }, context);
  }
  if (type === 'Range') {
    const low = value.low && isNumeric(value.low.value) ? decimalRange(numericText(value.low.value)) : undefined;
    const high = value.high && isNumeric(value.high.value) ? decimalRange(numericText(value.high.value)) : undefined;
    if (!low && !high) return;
    const unit = value.low ?? value.high;
    rows.quantity.push([
      pid, unit.system ?? null, unit.code ?? null, unit.unit ?? null,
      (low ?? high)!.value, low?.value ?? '-1e300', high?.value ?? '1e300', null, null,
    ]);
  }
}

function pushQuantity(rows: IndexRows, pid: number, quantity: any, context: IndexContext): void {
  if (!isNumeric(quantity.value)) return;
  const range = decimalRange(numericText(quantity.value));
  if (!range) return;
  let canonicalCode: string | null = null;
  let canonicalValue: string | null = null;
  if (context.canonicalize && quantity.system === 'http://unitsofmeasure.org' && typeof quantity.code === 'string') {
    const canonical = context.canonicalize(Number(range.value), quantity.code);
    if (canonical && Number.isFinite(canonical.value)) {
      canonicalCode = canonical.code;
      canonicalValue = String(canonical.value);
    }
  }
  rows.quantity.push([
    pid, quantity.system ?? null, quantity.code ?? null, quantity.unit ?? null,
    range.value, range.low, range.high, canonicalCode, canonicalValue,
  ]);
}

function addReference(rows: IndexRows, pid: number, value: any, type: string, context: IndexContext): void {
  if (typeof value === 'string') {
    // canonical / uri elements searched by a reference parameter
    rows.reference.push([pid, null, null, null, value]);
    return;
  }
  if (type !== 'Reference' || !value || typeof value !== 'object') return;
  if (typeof value.reference === 'string') {
    const parts = referenceParts(value.reference, context.baseUrl);
    if (parts) rows.reference.push([pid, parts.type ?? value.type ?? null, parts.id ?? null, parts.version ?? null, parts.url ?? null]);
  }
  // Logical references by identifier serve the :identifier modifier.
  const identifier = value.identifier;
  if (identifier && (identifier.value !== undefined || identifier.system !== undefined)) {
    rows.token.push([pid, identifier.system ?? null, identifier.value ?? null, null]);
  }
}

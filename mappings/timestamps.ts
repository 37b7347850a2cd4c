/**
 * Timestamp conversions for device sources, all producing FHIR dateTime strings with an offset.
 * Sources that send local times without an offset (Fitbit intraday, BLE Date_Time, Dexcom
 * receivers, MedTech payloads) are resolved with the caller's time zone, or read as UTC with a
 * warning so the reading is not silently shifted.
 */

const ISO_WITH_OFFSET = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})$/;
const ISO_LOCAL = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function withSeconds(time: string): string {
  return time.length === 5 ? `${time}:00` : time;
}

function normalizeOffset(offset: string): string {
  if (offset === 'Z') return 'Z';
  const digits = offset.replace(':', '');
  return `${digits.slice(0, 3)}:${digits.slice(3, 5)}`;
}

function offsetText(minutes: number): string {
  if (minutes === 0) return 'Z';
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

/** Offset in minutes of an IANA zone or fixed `±hh:mm` at a UTC instant; undefined for unknown zones. */
export function zoneOffsetMinutes(timeZone: string, utcMillis: number): number | undefined {
  const fixed = /^(?:UTC)?([+-])(\d{2}):?(\d{2})$/.exec(timeZone);
  if (fixed) return (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3]));
  if (timeZone === 'UTC' || timeZone === 'Z') return 0;
  let formatter = zoneFormatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    } catch {
      return undefined;
    }
    zoneFormatters.set(timeZone, formatter);
  }
  const parts: Record<string, number> = {};
  for (const part of formatter.formatToParts(new Date(utcMillis))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return Math.round((asUtc - Math.floor(utcMillis / 1000) * 1000) / 60000);
}

/** A local wall-clock date and time in a zone → FHIR dateTime with that zone's offset at that moment. */
export function localToDateTime(date: string, time: string, timeZone: string): string | undefined {
  const local = Date.parse(`${date}T${withSeconds(time)}Z`);
  if (Number.isNaN(local)) return undefined;
  let offset = zoneOffsetMinutes(timeZone, local);
  if (offset === undefined) return undefined;
  // Second pass: the offset at the corrected instant (DST transitions).
  offset = zoneOffsetMinutes(timeZone, local - offset * 60000) ?? offset;
  return `${date}T${withSeconds(time)}${offsetText(offset)}`;
}

export interface ParsedTime {
  value: string;
  /** True when the source had no offset and UTC (or the caller's zone) was assumed. */
  assumedZone?: boolean;
}

/**
 * ISO-8601 text → FHIR dateTime. Offsets are kept; text without an offset is placed in `timeZone`
 * (or UTC). Returns undefined for anything that is not a real calendar date and time (hour 24,
 * February 30th).
 */
export function parseIsoDateTime(text: string, timeZone?: string): ParsedTime | undefined {
  const trimmed = text.trim();
  let match = ISO_WITH_OFFSET.exec(trimmed);
  if (match) {
    const value = `${match[1]}T${withSeconds(match[2]!)}${normalizeOffset(match[3]!)}`;
    return isRealDateTime(value) ? { value } : undefined;
  }
  match = ISO_LOCAL.exec(trimmed);
  if (match) {
    const value = localToDateTime(match[1]!, match[2]!, timeZone ?? 'UTC');
    return value && isRealDateTime(value) ? { value, assumedZone: true } : undefined;
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed) && isRealDateTime(`${trimmed}T00:00:00Z`)) return { value: trimmed };
  return undefined;
}

/** The number written by `count` ASCII digits at `start`, or -1 when any of them is not a digit. */
export function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Rejects syntactically fine but impossible times (T24:46, 2021-02-30) that Date.parse would roll
 * over. Checks `YYYY-MM-DDThh:mm:ss` at the start, character by character: it runs for every
 * reading, where a regular expression, its captures and a Date cost about 2 % of ingest CPU.
 */
export function isRealDateTime(value: string): boolean {
  if (value.length < 19 || value[4] !== '-' || value[7] !== '-' || value[10] !== 'T' || value[13] !== ':' || value[16] !== ':') return false;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  const hour = digitsAt(value, 11, 2);
  const minute = digitsAt(value, 14, 2);
  const second = digitsAt(value, 17, 2);
  if (year < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

export function fromUnixSeconds(seconds: number, timeZone?: string): string {
  return fromUnixMillis(seconds * 1000, timeZone);
}

/** Instant → dateTime in the given zone (UTC when none), to the millisecond only when non-zero. */
export function fromUnixMillis(millis: number, timeZone?: string): string {
  const offset = timeZone ? (zoneOffsetMinutes(timeZone, millis) ?? 0) : 0;
  const iso = new Date(millis + offset * 60000).toISOString();
  const base = iso.endsWith('.000Z') ? iso.slice(0, 19) : iso.slice(0, 23);
  return `${base}${offsetText(offset)}`;
}

/** Wall-clock fields without offset (BLE Date_Time) → dateTime in the zone (UTC when none). */
export function fieldsToDateTime(year: number, month: number, day: number, hour: number, minute: number, second: number, timeZone?: string): ParsedTime | undefined {
  const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  const time = `${pad(hour)}:${pad(minute)}:${pad(second)}`;
  if (!isRealDateTime(`${date}T${time}`)) return undefined;
  const value = localToDateTime(date, time, timeZone ?? 'UTC');
  return value ? { value, assumedZone: true } : undefined;
}

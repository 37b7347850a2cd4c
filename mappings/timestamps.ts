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

/** Rejects syntactically fine but impossible times (T24:46, 2021-02-30) that Date.parse would roll over. */
export function isRealDateTime(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  if (hour > 23 || minute > 59 || second > 59 || month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
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

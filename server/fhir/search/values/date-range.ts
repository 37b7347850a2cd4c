/**
 * FHIR dates are ranges: "2013-01" means all of January 2013. A value is indexed and searched
 * as [low, high) in epoch milliseconds, with the width its precision implies. Values without a
 * time zone are read as UTC (the server's zone), as the spec allows.
 */
export interface DateRange {
  low: number;
  high: number;
}

const DATE_PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export function parseDateRange(text: string): DateRange | undefined {
  const m = DATE_PATTERN.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  if (month > 11 || day < 1 || day > 31) return undefined;
  const offsetMs = zoneOffsetMs(zone);
  if (offsetMs === undefined) return undefined;
  const base = Date.UTC(year, month, day, h ? Number(h) : 0, mi ? Number(mi) : 0, s ? Number(s) : 0) - offsetMs;
  // Date.UTC maps years 0..99 to 1900..1999; correct it.
  const low = year < 100 ? shiftYear(base, year) : base;
  if (Number.isNaN(low)) return undefined;
  let high: number;
  if (frac !== undefined) {
    const digits = Math.min(frac.length, 3);
    const ms = Number(frac.slice(0, digits).padEnd(3, '0'));
    const unit = 10 ** (3 - digits);
    return { low: low + ms, high: low + ms + unit };
  } else if (s !== undefined) high = low + 1000;
  else if (mi !== undefined) high = low + 60_000;
  else if (h !== undefined) high = low + 3_600_000;
  else if (d !== undefined) high = addUtc(low, 0, 0, 1);
  else if (mo !== undefined) high = addUtc(low, 0, 1, 0);
  else high = addUtc(low, 1, 0, 0);
  return { low, high };
}

function zoneOffsetMs(zone: string | undefined): number | undefined {
  if (!zone || zone === 'Z') return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 14 || minutes > 59) return undefined;
  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}

function shiftYear(ms: number, year: number): number {
  const date = new Date(ms);
  date.setUTCFullYear(year);
  return date.getTime();
}

function addUtc(ms: number, years: number, months: number, days: number): number {
  const date = new Date(ms);
  date.setUTCFullYear(date.getUTCFullYear() + years, date.getUTCMonth() + months, date.getUTCDate() + days);
  return date.getTime();
}

/** Smallest and largest representable instants stand in for open-ended periods. */
export const MIN_TIME = Date.UTC(-4000, 0, 1);
export const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export function periodRange(period: { start?: string; end?: string }): DateRange | undefined {
  const start = period.start ? parseDateRange(period.start) : undefined;
  const end = period.end ? parseDateRange(period.end) : undefined;
  if (!start && !end) return undefined;
  return { low: start?.low ?? MIN_TIME, high: end?.high ?? MAX_TIME };
}

/**
 * ISO 8601 durations as model cards write look-back windows and prediction horizons ("PT24H",
 * "P14D", "P1Y"). Years and months have no fixed length; cards use them only for coarse windows,
 * so they count as 365 and 30 days.
 */
const PATTERN = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function isIsoDuration(text: string): boolean {
  return PATTERN.test(text) && text !== 'P' && !text.endsWith('T');
}

const cache = new Map<string, number>();

export function durationMs(text: string): number {
  let ms = cache.get(text);
  if (ms === undefined) cache.set(text, (ms = parse(text)));
  return ms;
}

function parse(text: string): number {
  const m = PATTERN.exec(text);
  if (!m || !isIsoDuration(text)) throw new Error(`not an ISO 8601 duration: ${text}`);
  const n = (i: number) => (m[i] ? Number(m[i]) : 0);
  return n(1) * 365 * DAY + n(2) * 30 * DAY + n(3) * 7 * DAY + n(4) * DAY + n(5) * HOUR + n(6) * MINUTE + n(7) * SECOND;
}

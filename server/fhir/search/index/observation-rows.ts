import { MAX_TIME, MIN_TIME, parseDateRange, periodRange, type DateRange } from '../values/date-range.ts';
import { referenceParts } from '../values/reference-parts.ts';
import type { IndexContext } from './extract-index.ts';
import { emptyIndexRows, type IndexRows } from './index-rows.ts';
import { addDate, instantBound } from './value-rows.ts';

/**
 * The device-data fast path: one row per coding of Observation.code for a local subject, with
 * the effective time as a range. Searches by patient + code (+ date) and $lastn read only this.
 */
export function addObservationRows(rows: IndexRows, observation: Record<string, any>, context: IndexContext): void {
  const reference = observation.subject?.reference;
  if (typeof reference !== 'string') return;
  const subject = referenceParts(reference, context.baseUrl);
  if (!subject?.id) return;
  const codings: any[] = (observation.code?.coding ?? []).filter((c: any) => c && typeof c.code === 'string');
  const range = effectiveRange(observation);
  const low = range ? instantBound(range.low, MIN_TIME, -Infinity) : null;
  const high = range ? instantBound(range.high, MAX_TIME, Infinity) : null;
  // Observations coded only by text still belong to the subject: one row without a code.
  if (codings.length === 0) {
    rows.observation.push([subject.type ?? null, subject.id, null, null, null, null, low, high]);
    return;
  }
  const group = codings[0];
  for (const coding of codings) {
    rows.observation.push([subject.type ?? null, subject.id, coding.system ?? null, coding.code, group.system ?? null, group.code, low, high]);
  }
}

function effectiveRange(observation: Record<string, any>): DateRange | undefined {
  if (typeof observation.effectiveDateTime === 'string') return parseDateRange(observation.effectiveDateTime);
  if (typeof observation.effectiveInstant === 'string') return parseDateRange(observation.effectiveInstant);
  if (observation.effectivePeriod) return periodRange(observation.effectivePeriod);
  if (observation.effectiveTiming) {
    const scratch = emptyIndexRows();
    addDate(scratch, 0, observation.effectiveTiming, 'Timing');
    const [row] = scratch.date;
    return row ? { low: Number.isFinite(row[1]) ? row[1] : MIN_TIME, high: Number.isFinite(row[2]) ? row[2] : MAX_TIME } : undefined;
  }
  return undefined;
}


/**
 * Picks the value a model input uses from a patient's Observations: the latest valid reading of
 * the input's codes — as the Observation's own value or as a component (a blood-pressure panel's
 * systolic) — taken no later than the scoring time and no earlier than the look-back window.
 * Readings that cannot be used are reported with the reason instead of silently dropped.
 */
import { numericValue } from '../fhir/json/index.ts';
import { convertUcum, normalizeUnit } from '../../terminology/ucum.ts';
import type { CardCoding, CardInput } from './model-card.ts';
import { UCUM } from './risk-codes.ts';
import { parseFhirDateTime } from './fhir-time.ts';

/** Observation statuses whose values scoring may use; preliminary, cancelled and entered-in-error are not. */
const USABLE_STATUS = new Set(['final', 'amended', 'corrected']);

export type FhirJson = Record<string, unknown>;

export interface Reading {
  /** `Observation/<id>/_history/<versionId>`, or `Observation/<id>` when the version is unknown; absent for inline resources without id. */
  reference?: string;
  observation: FhirJson;
  /** The matching code (Observation.code or the component's). */
  code: CardCoding;
  /** Value in the input's unit (quantities), or the answer's value (coded inputs). */
  value: number;
  unit?: string;
  /** Original value text and unit as recorded, for explanations. */
  recorded: string;
  /** The answer coding, for coded inputs. */
  answer?: CardCoding;
  /** Epoch ms of the reading (effective[x]). */
  time: number;
}

export interface RejectedReading {
  reference?: string;
  title: string;
  reason: string;
}

export interface ReadingChoice {
  reading?: Reading;
  rejected: RejectedReading[];
}

export function versionedReference(resource: FhirJson): string | undefined {
  const id = typeof resource.id === 'string' ? resource.id : undefined;
  if (!id) return undefined;
  const type = typeof resource.resourceType === 'string' ? resource.resourceType : 'Observation';
  const version = (resource.meta as FhirJson | undefined)?.versionId;
  return typeof version === 'string' ? `${type}/${id}/_history/${version}` : `${type}/${id}`;
}

/** Epoch ms of effective[x]: dateTime, instant, or a period's end (its start if open). */
export function effectiveTime(obs: FhirJson): number | undefined {
  const period = obs.effectivePeriod as FhirJson | undefined;
  const text = obs.effectiveDateTime ?? obs.effectiveInstant ?? period?.end ?? period?.start;
  if (typeof text !== 'string') return undefined;
  const ms = parseFhirDateTime(text);
  return Number.isNaN(ms) ? undefined : ms;
}

export function matchingCoding(concept: unknown, codes: readonly CardCoding[]): CardCoding | undefined {
  const codings = (concept as FhirJson | undefined)?.coding;
  if (!Array.isArray(codings)) return undefined;
  for (const c of codings as FhirJson[]) {
    const hit = codes.find((k) => k.system === c.system && k.code === c.code);
    if (hit) return hit;
  }
  return undefined;
}

/**
 * The value in `unit`, or a reason why it cannot be had. With a molar mass (g/mol), amount
 * concentrations and mass concentrations convert into each other (glucose mmol/L ↔ mg/dL).
 */
export function quantityIn(quantity: unknown, unit: string | undefined, molarMass?: number): number | string {
  const q = quantity as FhirJson | undefined;
  const value = numericValue(q?.value);
  if (value === undefined || !Number.isFinite(value)) return 'no numeric value';
  if (!unit) return value;
  const system = q?.system;
  let from = typeof q?.code === 'string' && (system === undefined || system === UCUM) ? q.code : undefined;
  if (from === undefined && typeof q?.unit === 'string') from = normalizeUnit(q.unit, unit);
  if (from === undefined) return 'no UCUM unit';
  const converted = convertUcum(value, from, unit) ?? (molarMass ? viaMolarMass(value, from, unit, molarMass) : undefined);
  return converted === undefined ? `unit ${from} is not convertible to ${unit}` : converted;
}

function viaMolarMass(value: number, from: string, to: string, molarMass: number): number | undefined {
  const molPerL = convertUcum(value, from, 'mol/L');
  if (molPerL !== undefined) return convertUcum(molPerL * molarMass, 'g/L', to);
  const gPerL = convertUcum(value, from, 'g/L');
  return gPerL === undefined ? undefined : convertUcum(gPerL / molarMass, 'mol/L', to);
}

/** One place an Observation holds a value under a code: the Observation itself or a component. */
interface Candidate {
  obs: FhirJson;
  holder: FhirJson;
  system: unknown;
  code: unknown;
  time: number | undefined;
  reference: string | undefined;
}

/** Time and reference of an Observation, parsed only when one of its codes is asked for. */
class LazyCandidate implements Candidate {
  private parsed = false;
  private t: number | undefined;
  private ref: string | undefined;
  constructor(
    readonly obs: FhirJson,
    readonly holder: FhirJson,
    readonly system: unknown,
    readonly code: unknown,
  ) {}
  get time(): number | undefined {
    this.parse();
    return this.t;
  }
  get reference(): string | undefined {
    this.parse();
    return this.ref;
  }
  private parse(): void {
    if (this.parsed) return;
    this.parsed = true;
    this.t = effectiveTime(this.obs);
    this.ref = versionedReference(this.obs);
  }
}

/**
 * The Observations of a patient indexed by code (Observation.code and component codes), built in
 * one pass so that extracting many inputs does not walk every resource once per input.
 */
export class ObservationIndex {
  /** system → code → holders */
  private readonly bySystem = new Map<unknown, Map<unknown, Candidate[]>>();

  constructor(resources: readonly FhirJson[]) {
    for (const obs of resources) {
      if (obs.resourceType !== 'Observation') continue;
      this.add(obs, obs);
      const components = obs.component;
      if (Array.isArray(components)) for (const c of components as FhirJson[]) this.add(obs, c);
    }
  }

  private add(obs: FhirJson, holder: FhirJson): void {
    const codings = (holder.code as FhirJson | undefined)?.coding;
    if (!Array.isArray(codings)) return;
    for (const c of codings as FhirJson[]) {
      let codes = this.bySystem.get(c.system);
      if (!codes) this.bySystem.set(c.system, (codes = new Map()));
      let list = codes.get(c.code);
      if (!list) codes.set(c.code, (list = []));
      list.push(new LazyCandidate(obs, holder, c.system, c.code));
    }
  }

  private holders(coding: CardCoding): Candidate[] {
    return this.bySystem.get(coding.system)?.get(coding.code) ?? [];
  }

  /** Value holders coded with any of `codes`, each holder once (an Observation may carry two of them). */
  candidates(codes: readonly CardCoding[]): Candidate[] {
    if (codes.length === 1) return this.holders(codes[0]);
    const seen = new Set<FhirJson>();
    const out: Candidate[] = [];
    for (const coding of codes) {
      for (const c of this.holders(coding)) {
        if (seen.has(c.holder)) continue;
        seen.add(c.holder);
        out.push(c);
      }
    }
    return out;
  }
}

function readValue(holder: FhirJson, input: CardInput): { value: number; recorded: string; answer?: CardCoding } | string {
  if (holder.dataAbsentReason) return 'data absent';
  if (input.answers) {
    const answer = matchingCoding(holder.valueCodeableConcept, input.answers);
    if (!answer) return 'answer code not recognised';
    const { value, ...coding } = answer as CardCoding & { value: number };
    return { value, recorded: answer.display ?? answer.code, answer: coding };
  }
  const quantity = holder.valueQuantity as FhirJson | undefined;
  // Counts ([#] Pregnancies) are often recorded as valueInteger: a dimensionless number.
  const integer = holder.valueInteger;
  if (!quantity && typeof integer !== 'number') return 'no valueQuantity';
  const value = quantity ? quantityIn(quantity, input.unit, input.molarMass) : (integer as number);
  if (typeof value === 'string') return value;
  if ((input.min !== undefined && value < input.min) || (input.max !== undefined && value > input.max)) {
    return `${value} ${input.unit ?? ''} is outside the plausible range ${input.min ?? '-∞'}..${input.max ?? '∞'}`.replace('  ', ' ');
  }
  if (!quantity) return { value, recorded: String(value) };
  const recordedUnit = (quantity.unit ?? quantity.code ?? '') as string;
  return { value, recorded: `${String(numericValue(quantity.value))}${recordedUnit ? ` ${recordedUnit}` : ''}` };
}

/** Newest first; ties broken by last update, then version/id, so the choice is deterministic. */
function newerFirst(a: Candidate, b: Candidate): number {
  if (a.time !== b.time) return (b.time ?? 0) - (a.time ?? 0);
  const updated = (c: Candidate) => Date.parse(String((c.obs.meta as FhirJson | undefined)?.lastUpdated ?? '')) || 0;
  if (updated(a) !== updated(b)) return updated(b) - updated(a);
  return (b.reference ?? '').localeCompare(a.reference ?? '', 'en', { numeric: true });
}

type Source = readonly FhirJson[] | ObservationIndex;

/**
 * Candidates of `input` in (at − lookbackMs, at] with a usable status, unordered. Readings in the
 * window without an effective time or with an unusable status go to `rejected`.
 */
function windowCandidates(source: Source, input: CardInput, at: number, lookbackMs: number, rejected: RejectedReading[]): Candidate[] {
  const index = source instanceof ObservationIndex ? source : new ObservationIndex(source);
  const inWindow: Candidate[] = [];
  for (const c of index.candidates(input.codes)) {
    if (c.time === undefined) {
      rejected.push({ reference: c.reference, title: input.title, reason: 'no effective time' });
      continue;
    }
    if (c.time > at || c.time <= at - lookbackMs) continue;
    if (!USABLE_STATUS.has(String(c.obs.status))) {
      rejected.push({ reference: c.reference, title: input.title, reason: `status ${String(c.obs.status)}` });
      continue;
    }
    inWindow.push(c);
  }
  return inWindow;
}

function toReading(c: Candidate, input: CardInput, value: { value: number; recorded: string; answer?: CardCoding }): Reading {
  const code = input.codes.find((k) => k.system === c.system && k.code === c.code)!;
  return { reference: c.reference, observation: c.obs, code, unit: input.unit, time: c.time!, ...value };
}

/**
 * The latest usable reading of `input`, taken in (at − lookbackMs, at]. `rejected` lists the
 * readings in the window that could not be used: bad status or time, and — being read newest
 * first — values newer than the one chosen that failed (unit, range, absent data).
 */
export function latestReading(source: Source, input: CardInput, at: number, lookbackMs: number): ReadingChoice {
  const rejected: RejectedReading[] = [];
  const pool = windowCandidates(source, input, at, lookbackMs, rejected);
  // Usually the newest value is usable: a linear scan for it beats sorting the whole window.
  while (pool.length > 0) {
    let best = 0;
    for (let i = 1; i < pool.length; i++) if (newerFirst(pool[i], pool[best]) < 0) best = i;
    const c = pool[best];
    const value = readValue(c.holder, input);
    if (typeof value !== 'string') return { reading: toReading(c, input, value), rejected };
    rejected.push({ reference: c.reference, title: input.title, reason: value });
    pool[best] = pool[pool.length - 1];
    pool.pop();
  }
  return { rejected };
}

/** Every usable reading of `input` in (at − lookbackMs, at], newest first. */
export function readingsInWindow(source: Source, input: CardInput, at: number, lookbackMs: number): { readings: Reading[]; rejected: RejectedReading[] } {
  const rejected: RejectedReading[] = [];
  const readings: Reading[] = [];
  for (const c of windowCandidates(source, input, at, lookbackMs, rejected).sort(newerFirst)) {
    const value = readValue(c.holder, input);
    if (typeof value === 'string') rejected.push({ reference: c.reference, title: input.title, reason: value });
    else readings.push(toReading(c, input, value));
  }
  return { readings, rejected };
}

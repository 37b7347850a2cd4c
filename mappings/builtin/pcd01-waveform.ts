import { convertUcum, normalizeUnit, withoutFloatNoise } from '../../terminology/ucum.ts';
import { components, field, repetitions, type Hl7Message, type Hl7Segment } from '../hl7/hl7v2-message.ts';
import type { IssueLocation, MappingIssue } from '../issue.ts';
import type { MeasurementValue, SampleArrayFacts } from '../measurement.ts';
import { fromUnixMillis } from '../timestamps.ts';

/**
 * IHE PCD Waveform Content Module (WCM) sample arrays in PCD-01: an OBX of value type NA carries
 * one channel, its samples as the components of OBX-5, its unit in OBX-6 and the time of its first
 * sample in OBX-14. How to read the samples — period or rate, range, scale — is told by "facet"
 * OBX rows one containment level below it (NA at 1.1.1.1, facets at 1.1.1.1.n). Senders code
 * facets differently (several send 0 as the numeric code), so a facet is known by its reference id
 * (OBX-3.2) or its MDC code. Codes: IEEE 11073-10101 object-oriented partition (1 × 65536 + term).
 */
interface FacetKind {
  refids: readonly string[];
  codes: readonly string[];
}

const SAMPLE_PERIOD: FacetKind = { refids: ['MDC_ATTR_TIME_PD_SAMP'], codes: ['67981'] };
const SAMPLE_RATE: FacetKind = { refids: ['MDC_ATTR_SAMP_RATE'], codes: [] };
const DATA_RANGE: FacetKind = { refids: ['MDC_ATTR_DATA_RANGE'], codes: [] };
// ScaleRangeSpec (IEEE 11073-20601): lower-absolute^upper-absolute^lower-scaled^upper-scaled.
const SCALE_RANGE: FacetKind = { refids: ['MDC_ATTR_SCALE_SPECN_I8', 'MDC_ATTR_SCALE_SPECN_I16', 'MDC_ATTR_SCALE_SPECN_I32'], codes: ['67953', '67951', '67952'] };

export interface WaveformContext {
  message: Hl7Message;
  /** UCUM (or plain) unit of a row's OBX-6, MDC dimension codes translated. */
  unitOf: (row: Hl7Segment) => string | undefined;
  issues: MappingIssue[];
  location: (row: Hl7Segment, n: number) => IssueLocation;
}

export interface SampleArray {
  value: MeasurementValue;
  periodMs: number;
  count: number;
}

/** HL7 NM text (sign and digits on either side of the point optional) → FHIR decimal text with the digits sent. */
function decimalText(text: string): string | undefined {
  const match = /^([+-])?(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!match || (!match[2] && !match[3])) return undefined;
  const integer = match[2]!.replace(/^0+(?=\d)/, '') || '0';
  return `${match[1] === '-' ? '-' : ''}${integer}${match[3] ? `.${match[3]}` : ''}`;
}

function numbersOf(ctx: WaveformContext, row: Hl7Segment): Array<number | undefined> {
  return components(ctx.message, field(row, 5)).map((part) => {
    const text = decimalText(part);
    return text === undefined ? undefined : Number(text);
  });
}

function facetName(ctx: WaveformContext, row: Hl7Segment): string {
  const [code, refid] = components(ctx.message, field(row, 3));
  return refid || code || `OBX[${row.occurrence}]`;
}

function isFacet(ctx: WaveformContext, row: Hl7Segment, kind: FacetKind): boolean {
  const [code, refid] = components(ctx.message, field(row, 3)).map((part) => part.trim());
  return (!!refid && kind.refids.includes(refid)) || (!!code && kind.codes.includes(code));
}

function issue(ctx: WaveformContext, severity: MappingIssue['severity'], code: MappingIssue['code'], diagnostics: string, row: Hl7Segment, n: number): void {
  ctx.issues.push({ severity, code, diagnostics, location: ctx.location(row, n) });
}

/** Milliseconds between samples from the period facet (any time unit) or the rate facet (per second unless a unit says otherwise). */
function periodOf(ctx: WaveformContext, row: Hl7Segment, facets: Hl7Segment[], label: string): number | undefined {
  const period = facets.find((facet) => isFacet(ctx, facet, SAMPLE_PERIOD));
  const rate = period ? undefined : facets.find((facet) => isFacet(ctx, facet, SAMPLE_RATE));
  const facet = period ?? rate;
  if (!facet) {
    const subId = field(row, 4) ?? '';
    // A warning, not an error: the message's numeric readings are still good, and refusing them
    // for a facet some monitors leave out would lose vital signs (the waveform alone is dropped).
    issue(ctx, 'warning', 'incomplete', `Waveform ${label} has no sample period: no facet OBX at ${subId}.n with MDC_ATTR_TIME_PD_SAMP (67981) or MDC_ATTR_SAMP_RATE; its samples cannot be placed in time and are not stored`, row, 4);
    return undefined;
  }
  const value = numbersOf(ctx, facet)[0];
  const sourceUnit = ctx.unitOf(facet) ?? (rate ? '/s' : undefined);
  const unit = sourceUnit === undefined ? undefined : (normalizeUnit(sourceUnit) ?? sourceUnit);
  const converted = value === undefined || unit === undefined ? undefined : period ? convertUcum(value, unit, 'ms') : convertUcum(value, unit, '/s');
  const ms = converted === undefined ? undefined : period ? converted : 1000 / converted;
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) {
    const why = value === undefined ? 'no number' : unit === undefined ? `${value} without a unit` : `${value} ${unit}, not a positive ${period ? 'time' : 'rate'}`;
    issue(ctx, 'error', 'value', `Waveform ${label}: the ${facetName(ctx, facet)} facet gives ${why}; its samples cannot be placed in time`, facet, value === undefined ? 5 : 6);
    return undefined;
  }
  return withoutFloatNoise(ms);
}

/** Origin and factor from a scale-range facet: raw samples map linearly onto the absolute range. */
function scaleOf(ctx: WaveformContext, facet: Hl7Segment, label: string): Pick<SampleArrayFacts, 'origin' | 'factor'> {
  const [lowAbsolute, highAbsolute, lowScaled, highScaled] = numbersOf(ctx, facet);
  if (lowAbsolute === undefined || highAbsolute === undefined || lowScaled === undefined || highScaled === undefined || lowScaled === highScaled) {
    issue(ctx, 'warning', 'value', `Waveform ${label}: the ${facetName(ctx, facet)} facet is not lower-absolute^upper-absolute^lower-scaled^upper-scaled; samples are read unscaled`, facet, 5);
    return {};
  }
  const factor = (highAbsolute - lowAbsolute) / (highScaled - lowScaled);
  return { origin: withoutFloatNoise(lowAbsolute - lowScaled * factor), factor: withoutFloatNoise(factor) };
}

/** Lower and upper limit from a data-range facet, in the waveform's unit. */
function rangeOf(ctx: WaveformContext, facet: Hl7Segment, unit: string | undefined, label: string): Pick<SampleArrayFacts, 'lowerLimit' | 'upperLimit'> {
  const [low, high] = numbersOf(ctx, facet);
  const rangeUnit = ctx.unitOf(facet);
  const from = rangeUnit === undefined ? unit : normalizeUnit(rangeUnit);
  const convert = (value: number | undefined) => (value === undefined || from === unit ? value : from && unit ? convertUcum(value, from, unit) : undefined);
  const [lowerLimit, upperLimit] = [convert(low), convert(high)];
  if ((low !== undefined && lowerLimit === undefined) || (high !== undefined && upperLimit === undefined)) {
    issue(ctx, 'warning', 'value', `Waveform ${label}: the ${facetName(ctx, facet)} facet's unit '${rangeUnit}' cannot be converted to the waveform's '${unit ?? 'none'}'; the range is not used`, facet, 6);
    return {};
  }
  return { ...(lowerLimit !== undefined ? { lowerLimit } : {}), ...(upperLimit !== undefined ? { upperLimit } : {}) };
}

/**
 * The SampledData facts and data string of an NA row: empty components are missing samples (E),
 * samples outside a known data range are below (L) or above (U) it. Reports and returns undefined
 * when the samples cannot be placed in time (no period) or there are none.
 */
export function readSampleArray(ctx: WaveformContext, row: Hl7Segment, facets: Hl7Segment[], label: string): SampleArray | undefined {
  const raw = field(row, 5);
  const channels = repetitions(ctx.message, raw).length;
  if (channels > 1) {
    issue(ctx, 'error', 'not-supported', `Waveform ${label} holds ${channels} channels (OBX-5 repetitions); WCM sends one channel per NA row`, row, 5);
    return undefined;
  }
  const samples = components(ctx.message, raw);
  if (samples.length === 0) {
    issue(ctx, 'error', 'required', `Waveform ${label} has no samples in OBX-5`, row, 5);
    return undefined;
  }
  const periodMs = periodOf(ctx, row, facets, label);
  if (periodMs === undefined) return undefined;
  const sentUnit = ctx.unitOf(row);
  const unit = sentUnit === undefined ? undefined : normalizeUnit(sentUnit);
  const facts: SampleArrayFacts = { periodMs };
  const unused: string[] = [];
  for (const facet of facets) {
    if (isFacet(ctx, facet, SCALE_RANGE)) Object.assign(facts, scaleOf(ctx, facet, label));
    else if (isFacet(ctx, facet, DATA_RANGE)) Object.assign(facts, rangeOf(ctx, facet, unit, label));
    else if (!isFacet(ctx, facet, SAMPLE_PERIOD) && !isFacet(ctx, facet, SAMPLE_RATE)) unused.push(facetName(ctx, facet));
  }
  if (unused.length > 0) issue(ctx, 'information', 'not-supported', `Waveform ${label}: facets ${unused.join(', ')} are not mapped`, row, 4);

  const unreadable: number[] = [];
  const data = samples.map((sample, index) => {
    if (sample.trim() === '') return 'E';
    const text = decimalText(sample);
    if (text === undefined) {
      unreadable.push(index + 1);
      return 'E';
    }
    const value = (facts.origin ?? 0) + (facts.factor ?? 1) * Number(text);
    if (facts.lowerLimit !== undefined && value < facts.lowerLimit) return 'L';
    if (facts.upperLimit !== undefined && value > facts.upperLimit) return 'U';
    return text;
  });
  if (unreadable.length > 0) {
    issue(ctx, 'warning', 'value', `Waveform ${label}: samples ${unreadable.slice(0, 10).join(', ')}${unreadable.length > 10 ? ', …' : ''} are not numbers and are sent as E (error)`, row, 5);
  }
  const value: MeasurementValue = { name: 'value', value: data.join(' '), path: ctx.location(row, 5).path, sampled: facts };
  if (sentUnit !== undefined) value.unit = sentUnit;
  return { value, periodMs, count: samples.length };
}

/**
 * End of the time a sample array covers: first sample + count × period, as the HL7 uv-pocd
 * SampleArrayObservation examples do (125 samples every 8 ms from 11:33:23 end at 11:33:24), so
 * consecutive arrays of a stream meet without overlap. Written in the start's offset.
 */
export function sampleArrayEnd(start: string, periodMs: number, count: number): string | undefined {
  const millis = Date.parse(start);
  if (Number.isNaN(millis)) return undefined;
  const offset = /(Z|[+-]\d{2}:\d{2})$/.exec(start)?.[1] ?? 'Z';
  return fromUnixMillis(Math.round(millis + count * periodMs), offset);
}

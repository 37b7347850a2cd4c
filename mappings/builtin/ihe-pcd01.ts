import { mdcCode, mdcCoding, mdcUnit, MDC_SYSTEM } from '../../terminology/mdc.ts';
import { components, field, hl7DateTime, parseHl7Message, repetitions, subcomponents, type Hl7Message, type Hl7Segment } from '../hl7/hl7v2-message.ts';
import { EUI64_SYSTEM, PATIENT_ID_SYSTEM, normalizeEui64, patientHint } from '../identity.ts';
import { PayloadError, type MappingIssue } from '../issue.ts';
import type { Mapping, NormalizeResult } from '../mapping.ts';
import type { Coding, DeviceFacts, Measurement, MeasurementValue, PatientHint } from '../measurement.ts';
import { standardRule, type ObservationRule, type ValueKind } from '../observation-rule.ts';
import type { PayloadInput } from '../payload.ts';
import { isRealDateTime } from '../timestamps.ts';
import { readSampleArray, sampleArrayEnd } from './pcd01-waveform.ts';

/** OBX-8 abnormal flags / measurement status (IHE PCD TF; HL7/uv-pocd mappingv2.md) → measurement-status codes. */
const STATUS_FLAGS: Record<string, string> = {
  INV: 'invalid',
  QUES: 'questionable',
  NAV: 'not-available',
  CAL: 'calibration-ongoing',
  TEST: 'test-data',
  DEMO: 'demo-data',
  VAL: 'validated-data',
  EARLY: 'early-indication',
  BUSY: 'msmt-ongoing',
  ALACT: 'msmt-state-in-alarm',
  ALINH: 'msmt-state-al-inhibited',
};

/** OBX-11 (HL7 table 0085) → Observation.status, as in the HL7 v2-to-FHIR concept map. */
const RESULT_STATUS: Record<string, Measurement['status']> = { F: 'final', U: 'final', C: 'amended', R: 'preliminary', P: 'preliminary', S: 'preliminary', D: 'entered-in-error', W: 'entered-in-error' };

interface Row {
  segment: Hl7Segment;
  valueType?: string;
  code?: string;
  display?: string;
  subId: string;
}

function where(row: Hl7Segment, n: number): string {
  return `${row.name}[${row.occurrence}]-${n}`;
}

function eui64Of(message: Hl7Message, value: string | undefined): string | undefined {
  for (const repetition of repetitions(message, value)) {
    const parts = components(message, repetition);
    const at = parts.findIndex((part) => part === 'EUI-64');
    if (at > 0) return normalizeEui64(parts[at - 1]!);
  }
  return undefined;
}

function patientOf(message: Hl7Message, pid: Hl7Segment | undefined): PatientHint | undefined {
  if (!pid) return undefined;
  for (const repetition of repetitions(message, field(pid, 3))) {
    const [id, , , authority] = components(message, repetition);
    if (!id) continue;
    const [name, oid, type] = subcomponents(message, authority);
    if (oid && type === 'ISO') return { identifier: { system: `urn:oid:${oid}`, value: id } };
    return { identifier: { system: name ? `${PATIENT_ID_SYSTEM}:${encodeURIComponent(name)}` : PATIENT_ID_SYSTEM, value: id } };
  }
  return undefined;
}

function unitOf(message: Hl7Message, row: Hl7Segment): string | undefined {
  const [code, text, system] = components(message, field(row, 6));
  if (!code) return undefined;
  if (system === 'MDC' || /^\d+$/.test(code)) return mdcUnit(code)?.ucum ?? mdcUnit(text ?? '')?.ucum ?? code;
  return code;
}

function flagsOf(message: Hl7Message, row: Hl7Segment): string[] {
  return repetitions(message, field(row, 8))
    .map((flag) => STATUS_FLAGS[components(message, flag)[0] ?? ''])
    .filter((flag): flag is string => !!flag);
}

/**
 * IHE PCD-01 (DEC) / Continua WAN HL7 v2.6 ORU^R01, one message per payload. MDS rows (OBX-4 `1`,
 * `1.0.0.0`) give the device EUI-64 (OBX-18) and type; metric rows become measurements: a
 * compound parent (150020 MDC_PRESS_BLD_NONINV) with its children becomes one blood-pressure
 * panel, numeric rows map through the MDC table to LOINC vital signs, other MDC metrics keep
 * their MDC code, NA rows (WCM waveforms) become SampledData read with their facet rows
 * (pcd01-waveform.ts). OBX-14 gives the time (else the parent row, OBR-7, MSH-7); OBX-8 flags
 * become measurement-status interpretations; OBX-11 the status.
 */
function normalize(payload: PayloadInput): NormalizeResult {
  if (typeof payload.body !== 'string') throw new PayloadError('A PCD-01 payload is HL7 v2 text', '$', 'structure');
  const message = parseHl7Message(payload.body, payload.line ?? 1);
  const issues: MappingIssue[] = [];
  const msh = message.segments[0]!;
  const type = components(message, field(msh, 9));
  if (type[0] !== 'ORU' || type[1] !== 'R01') {
    throw new PayloadError(`Message type ${type.slice(0, 2).join('^') || 'missing'} is not ORU^R01`, 'MSH-9', 'not-supported', msh.line);
  }
  const pid = message.segments.find((segment) => segment.name === 'PID');
  const patient = patientOf(message, pid) ?? patientHint(payload.context?.patient);
  const gateway = eui64Of(message, field(msh, 3));
  const messageTime = hl7DateTime(field(msh, 7));
  const measurements: Measurement[] = [];
  const location = (row: Hl7Segment, n: number) => ({ source: 'payload' as const, path: where(row, n), line: row.line });

  let obr: Hl7Segment | undefined;
  let device: DeviceFacts | undefined;
  const rows: Row[] = [];
  const flushOrder = () => {
    if (rows.length > 0) measurements.push(...rowsToMeasurements(message, rows.splice(0), { obr, device, gateway, patient, messageTime: messageTime?.value, issues, location, context: payload }));
  };
  for (const segment of message.segments) {
    if (segment.name === 'OBR') {
      flushOrder();
      obr = segment;
      device = undefined;
      continue;
    }
    if (segment.name !== 'OBX') continue;
    const [code, display] = components(message, field(segment, 3));
    const row: Row = { segment, valueType: field(segment, 2), code, display, subId: field(segment, 4) ?? '' };
    const equipment = eui64Of(message, field(segment, 18));
    if (!row.valueType && /^\d+(\.0)*$/.test(row.subId)) {
      // MDS row: the device for the metrics that follow.
      const id = equipment ?? eui64Of(message, field(obr ?? segment, 3)) ?? gateway;
      if (id) {
        device = { identifier: { system: EUI64_SYSTEM, value: id } };
        const entry = code ? mdcCode(code) : undefined;
        if (entry) device.type = [mdcCoding(entry)];
      }
      continue;
    }
    rows.push(row);
  }
  flushOrder();
  if (measurements.length === 0 && !issues.some((issue) => issue.severity === 'error')) {
    issues.push({ severity: 'warning', code: 'incomplete', diagnostics: 'The message holds no metric OBX rows to map', location: { source: 'payload', path: 'OBX' } });
  }
  return { measurements, issues };
}

interface RowContext {
  obr?: Hl7Segment;
  device?: DeviceFacts;
  gateway?: string;
  patient?: PatientHint;
  messageTime?: string;
  issues: MappingIssue[];
  location: (row: Hl7Segment, n: number) => { source: 'payload'; path: string; line: number };
  context: PayloadInput;
}

function rowsToMeasurements(message: Hl7Message, rows: Row[], ctx: RowContext): Measurement[] {
  const out: Measurement[] = [];
  const device = ctx.device ?? (ctx.gateway ? { identifier: { system: EUI64_SYSTEM, value: ctx.gateway } } : ctx.context.context?.device ? { identifier: ctx.context.context.device } : undefined);
  if (!device) {
    ctx.issues.push({ severity: 'error', code: 'required', diagnostics: 'No device identity: no EUI-64 in OBX-18, OBR-3 or MSH-3', location: ctx.location(rows[0]!.segment, 18) });
    return out;
  }
  const obrTime = ctx.obr ? hl7DateTime(field(ctx.obr, 7)) : undefined;
  const timeOf = (row: Row, parent?: Row): string | undefined => {
    const own = hl7DateTime(field(row.segment, 14)) ?? (parent ? hl7DateTime(field(parent.segment, 14)) : undefined);
    return (own ?? obrTime)?.value ?? ctx.messageTime;
  };
  const base = (row: Row, type: string, values: MeasurementValue[], codes: Coding[], parent?: Row): Measurement | undefined => {
    const start = timeOf(row, parent);
    if (!start || (start.includes('T') && !isRealDateTime(start))) {
      ctx.issues.push({ severity: 'error', code: 'required', diagnostics: `No valid observation time for ${row.code} (OBX-14, OBR-7 or MSH-7)`, location: ctx.location(row.segment, 14) });
      return undefined;
    }
    const measurement: Measurement = { type, start, device, values, codes, source: ctx.location(row.segment, 5) };
    if (ctx.patient) measurement.patient = ctx.patient;
    const flags = flagsOf(message, row.segment);
    if (flags.length > 0) measurement.flags = flags;
    if (flags.includes('test-data') || flags.includes('demo-data')) measurement.testData = true;
    const status = RESULT_STATUS[field(row.segment, 11) ?? ''];
    if (status) measurement.status = status;
    const site = components(message, field(row.segment, 20));
    if (site[1] || site[0]) measurement.bodySite = { text: site[1] || site[0]! };
    return measurement;
  };

  const byParent = new Map<string, Row[]>();
  for (const row of rows) {
    const parentId = row.subId.split('.').slice(0, -1).join('.');
    if (!byParent.has(parentId)) byParent.set(parentId, []);
    byParent.get(parentId)!.push(row);
  }
  const consumed = new Set<Row>();
  // WCM facets (sample period or rate, range, scale) describe their NA row: no readings of their own.
  for (const row of rows) if (row.valueType === 'NA') for (const facet of byParent.get(row.subId) ?? []) consumed.add(facet);
  for (const row of rows) {
    const entry = row.code ? mdcCode(row.code) : undefined;
    if (row.valueType || !entry?.vital) continue;
    const rule = standardRule(entry.vital);
    if (!rule?.components) continue;
    // Compound parent (blood pressure): children carry systolic / diastolic / mean.
    const values: MeasurementValue[] = [];
    for (const child of byParent.get(row.subId) ?? []) {
      const childEntry = child.code ? mdcCode(child.code) : undefined;
      if (child.valueType !== 'NM' || childEntry?.vital !== entry.vital || !childEntry.component) continue;
      consumed.add(child);
      values.push({ name: childEntry.component, value: field(child.segment, 5), unit: unitOf(message, child.segment), codes: [mdcCoding(childEntry)], path: where(child.segment, 5) });
    }
    const first = (byParent.get(row.subId) ?? []).find((child) => consumed.has(child));
    if (values.length === 0 || !first) continue;
    const measurement = base(first, entry.vital, values, [mdcCoding(entry)], row);
    if (measurement) out.push(measurement);
  }
  for (const row of rows) {
    if (consumed.has(row) || !row.valueType) continue;
    const entry = row.code ? mdcCode(row.code) : undefined;
    const codes: Coding[] = entry ? [mdcCoding(entry)] : row.code ? [{ system: MDC_SYSTEM, code: row.code, ...(row.display ? { display: row.display } : {}) }] : [];
    const parent = rows.find((candidate) => candidate.subId === row.subId.split('.').slice(0, -1).join('.'));
    const raw = field(row.segment, 5);
    let measurement: Measurement | undefined;
    switch (row.valueType) {
      case 'NM': {
        const type = entry?.vital && !entry.component ? entry.vital : `mdc:${row.code}`;
        measurement = base(row, type, [{ name: 'value', value: raw, unit: unitOf(message, row.segment), path: where(row.segment, 5) }], codes, parent);
        break;
      }
      case 'ST':
        measurement = base(row, `mdc-string:${row.code}`, [{ name: 'value', value: raw ?? '', path: where(row.segment, 5) }], codes, parent);
        break;
      case 'CWE':
      case 'CE': {
        const [code, display] = components(message, raw);
        measurement = base(row, `mdc-coded:${row.code}`, [{ name: 'value', value: code ?? '', codes: code ? [{ system: MDC_SYSTEM, code, ...(display ? { display } : {}) }] : [], path: where(row.segment, 5) }], codes, parent);
        break;
      }
      case 'NA': {
        const label = `${row.code ?? ''}${row.display ? ` (${row.display})` : ''}`;
        const facets = (byParent.get(row.subId) ?? []).map((facet) => facet.segment);
        const samples = readSampleArray({ message, unitOf: (segment) => unitOf(message, segment), issues: ctx.issues, location: ctx.location }, row.segment, facets, label);
        if (!samples) break;
        measurement = base(row, `mdc-sampled:${row.code}`, [samples.value], codes, parent);
        if (measurement && !measurement.start.includes('T')) {
          ctx.issues.push({ severity: 'error', code: 'value', diagnostics: `Waveform ${label} needs the time of its first sample, not only a date (OBX-14, OBR-7 or MSH-7)`, location: ctx.location(row.segment, 14) });
          measurement = undefined;
        }
        if (measurement) measurement.end = sampleArrayEnd(measurement.start, samples.periodMs, samples.count);
        break;
      }
      default:
        ctx.issues.push({ severity: 'information', code: 'not-supported', diagnostics: `OBX value type ${row.valueType} (${row.display ?? row.code}) is not mapped`, location: ctx.location(row.segment, 2) });
    }
    if (measurement) out.push(measurement);
  }
  return out;
}

const KIND_PREFIXES: Record<string, ValueKind> = { mdc: 'quantity', 'mdc-string': 'string', 'mdc-coded': 'codeable-concept', 'mdc-sampled': 'sampled-data' };

/**
 * Observation rule for PCD-01 types: vital keys use the LOINC table; other metrics keep their MDC
 * code, with the value kind in the type prefix (`mdc:` numeric, `mdc-string:`, `mdc-coded:`,
 * `mdc-sampled:` waveform). Waveforms never get a vital-sign LOINC code: R4 requires Observations
 * with those codes to conform to the vital-signs profiles, whose value is a Quantity.
 */
function ruleFor(type: string): ObservationRule | undefined {
  const colon = type.indexOf(':');
  const kind = colon > 0 ? KIND_PREFIXES[type.slice(0, colon)] : undefined;
  if (!kind) return standardRule(type);
  const code = type.slice(colon + 1);
  const entry = mdcCode(code);
  return {
    type,
    code: entry ? [mdcCoding(entry)] : [{ system: MDC_SYSTEM, code }],
    ...(entry ? { text: entry.refid } : {}),
    category: [],
    value: { from: 'value', kind },
  };
}

export const ihePcd01Mapping: Mapping = {
  id: 'ihe-pcd01',
  title: 'IHE PCD-01 / Continua WAN HL7 v2 ORU^R01',
  kind: 'builtin',
  identity: 'lookup',
  formats: ['hl7v2'],
  normalize,
  ruleFor,
};


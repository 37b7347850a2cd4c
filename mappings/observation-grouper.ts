import type { MappingIssue } from './issue.ts';
import type { Measurement, MeasurementValue } from './measurement.ts';
import { componentCode, observationHead, type Observation } from './observation-builder.ts';
import type { ObservationRule, ValueRule } from './observation-rule.ts';
import { buildValue, numericOf } from './observation-value.ts';

interface Sample {
  time: number;
  value: MeasurementValue;
}

interface Group {
  rule: ObservationRule;
  first: Measurement;
  start: number;
  end: number;
  samples: Map<string, Sample[]>;
  count: number;
}

function windowOf(rule: ObservationRule, time: number, measurement: Measurement): { key: string; start: number; end: number } {
  const window = rule.grouping!.window;
  if (window === 'correlation') return { key: `c:${measurement.correlationId ?? ''}`, start: time, end: time };
  const length = window * 60_000;
  const start = Math.floor(time / length) * length;
  // MedTech closes a window one tick before the next starts; one millisecond is our tick.
  return { key: `w:${start}`, start, end: start + length - 1 };
}

function patientKey(measurement: Measurement): string {
  const patient = measurement.patient;
  if (!patient) return '';
  return 'reference' in patient ? patient.reference : `${patient.identifier.system}|${patient.identifier.value}`;
}

/**
 * Groups measurements into one Observation per device, patient, type and time window (MedTech's
 * periodInterval) or correlation id, so a 1 Hz heart-rate or pleth stream becomes one SampledData
 * Observation per window instead of thousands of Observations. Only open windows are held.
 */
export class ObservationGrouper {
  private readonly groups = new Map<string, Group>();

  get size(): number {
    return this.groups.size;
  }

  add(measurement: Measurement, rule: ObservationRule): MappingIssue[] {
    const time = Date.parse(measurement.start);
    if (Number.isNaN(time)) {
      return [{ severity: 'error', code: 'value', diagnostics: `Timestamp '${measurement.start}' cannot be placed in a window`, location: measurement.source }];
    }
    const window = windowOf(rule, time, measurement);
    const device = measurement.device.identifier;
    const key = `${device.system}|${device.value}|${patientKey(measurement)}|${measurement.type}|${window.key}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { rule, first: measurement, start: window.start, end: window.end, samples: new Map(), count: 0 };
      this.groups.set(key, group);
    }
    if (rule.grouping!.window === 'correlation') {
      group.start = Math.min(group.start, time);
      group.end = Math.max(group.end, time);
    }
    group.count++;
    for (const value of measurement.values) {
      let list = group.samples.get(value.name);
      if (!list) group.samples.set(value.name, (list = []));
      list.push({ time, value });
    }
    return [];
  }

  /** Builds and forgets every open group (end of input). */
  flush(): { observations: Observation[]; issues: MappingIssue[] } {
    const observations: Observation[] = [];
    const issues: MappingIssue[] = [];
    for (const group of this.groups.values()) {
      const built = buildGroup(group);
      observations.push(built.observation);
      issues.push(...built.issues);
    }
    this.groups.clear();
    return { observations, issues };
  }
}

function sampledData(samples: Sample[], rule: ValueRule, start: number, end: number): string {
  const period = rule.periodMs ?? 1000;
  const sorted = samples.slice().sort((a, b) => a.time - b.time);
  const slots: string[] = [];
  let index = 0;
  for (let slotStart = start; slotStart <= end; slotStart += period) {
    let value: string | undefined;
    // Two readings in one slot: the later wins, as in MedTech's SampledDataProcessor.
    while (index < sorted.length && sorted[index]!.time < slotStart + period) {
      if (sorted[index]!.time >= slotStart) {
        const number = numericOf(sorted[index]!.value.value);
        value = number === undefined ? undefined : String(number);
      }
      index++;
    }
    slots.push(value ?? 'E');
  }
  return slots.join(' ');
}

function groupValue(group: Group, rule: ValueRule, issues: MappingIssue[], expression: string): { element?: string; value?: unknown; absent?: unknown } | undefined {
  const samples = group.samples.get(rule.from);
  if (!samples || samples.length === 0) return undefined;
  const location = group.first.source;
  if (rule.kind === 'sampled-data') {
    const built = buildValue({ name: rule.from, value: '' }, rule, { issues, location, expression });
    (built.value as Record<string, unknown>).data = sampledData(samples, rule, group.start, group.end);
    return built;
  }
  if (rule.kind === 'quantity' && samples.length > 1) {
    issues.push({
      severity: 'error',
      code: 'business-rule',
      diagnostics: `Expected 1 value for '${rule.from}' in the grouping window of '${group.first.type}'. Received ${samples.length}; use SampledData for streams`,
      location: rule.location ?? location,
    });
  }
  const latest = samples.reduce((a, b) => (b.time >= a.time ? b : a));
  return buildValue(latest.value, rule, { issues, location, expression });
}

function buildGroup(group: Group): { observation: Observation; issues: MappingIssue[] } {
  const issues: MappingIssue[] = [];
  const { rule } = group;
  const start = new Date(group.start).toISOString();
  const end = new Date(group.end).toISOString();
  const observation = observationHead(group.first, rule, group.first.type, start, group.end === group.start ? undefined : end);
  if (rule.value) {
    const built = groupValue(group, rule.value, issues, 'Observation.value');
    if (built?.element) observation[built.element] = built.value;
    else if (built?.absent) observation.dataAbsentReason = built.absent;
  }
  if (rule.components) {
    const components: Observation[] = [];
    rule.components.forEach((componentRule, index) => {
      const built = groupValue(group, componentRule.value, issues, `Observation.component[${index}].value`);
      if (!built) return;
      const component: Observation = { code: componentCode(componentRule.code, componentRule.text, group.samples.get(componentRule.value.from)?.[0]?.value) };
      if (built.element) component[built.element] = built.value;
      else if (built.absent) component.dataAbsentReason = built.absent;
      components.push(component);
    });
    if (components.length > 0) observation.component = components;
  }
  return { observation, issues };
}

/**
 * Merges a SampledData Observation produced for a window with the one already stored for the
 * same identifier (a later request delivering more samples of the same hour): slots filled in
 * `incoming` win, empty (`E`) slots keep the stored sample. Both must share origin and period.
 */
export function mergeSampledData(existing: string, incoming: string): string {
  const a = existing.split(' ');
  const b = incoming.split(' ');
  const length = Math.max(a.length, b.length);
  const out: string[] = [];
  for (let i = 0; i < length; i++) out.push(b[i] !== undefined && b[i] !== 'E' ? b[i]! : (a[i] ?? 'E'));
  return out.join(' ');
}


import { convertUcum } from '../../../terminology/ucum.ts';
import { queryable, type InteractionContext } from '../context.ts';
import { parseJson, numericValue } from '../json/index.ts';
import { badRequest } from '../outcome.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { buildWhere } from '../search/execute-search.ts';
import { SqlParams } from '../search/query/sql-params.ts';
import { parseSearchRequest } from '../search/search-request.ts';
import { readByRids } from '../../store/resource-reads.ts';
import { STATISTIC_CODES, summarize } from './observation-statistics.ts';
import type { OperationHandler } from './operation-registry.ts';
import { operationInputs, single } from './operation-parameters.ts';

const STATISTICS_SYSTEM = 'http://hl7.org/fhir/observation-statistics';
const MAX_SOURCE_OBSERVATIONS = 100_000;

interface Reading {
  value: number;
  unit?: string;
  code?: string;
  system?: string;
  observation: { type: string; id: string; version: number };
}

/**
 * Observation/$stats: count, minimum, maximum, average, median, std-dev, sum, variance of one
 * subject's quantitative readings of each requested code over a period (or the last `duration`
 * hours). Values are taken from Observation.value or from components with that code (a systolic
 * pressure inside a blood-pressure panel counts), converted to the first reading's UCUM unit.
 */
export const statsOperation: OperationHandler = {
  name: 'stats',
  levels: ['type'],
  resourceTypes: ['Observation'],
  definition: 'http://hl7.org/fhir/OperationDefinition/Observation-stats',
  allowGet: true,
  documentation: `Statistics (${STATISTIC_CODES.join(', ')}) per code for a subject and period; component values count.`,
  async handle(ctx: InteractionContext, request: FhirRequest): Promise<FhirResponse> {
    const inputs = operationInputs(request);
    const subject = single(inputs, 'subject');
    if (!subject) throw badRequest('$stats needs subject', ['subject'], 'required');
    const system = single(inputs, 'system');
    const codes: Array<{ system?: string; code: string }> = [
      ...inputs.values.filter(([n]) => n === 'code').flatMap(([, v]) => v.split(',').map((code) => ({ system, code: code.trim() }))),
      ...inputs.complex.filter(([n]) => n === 'coding').map(([, c]) => ({ system: c.system, code: c.code })),
      ...inputs.values.filter(([n]) => n === 'coding').map(([, v]) => (v.includes('|') ? { system: v.split('|')[0], code: v.split('|')[1] } : { code: v })),
    ];
    if (codes.length === 0) throw badRequest('$stats needs at least one code or coding', ['code'], 'required');
    const statistics = inputs.values.filter(([n]) => n === 'statistic').flatMap(([, v]) => v.split(',').map((s) => s.trim()));
    if (statistics.length === 0) throw badRequest(`$stats needs statistic (${STATISTIC_CODES.join(', ')})`, ['statistic'], 'required');
    for (const statistic of statistics) {
      if (!(STATISTIC_CODES as readonly string[]).includes(statistic)) throw badRequest(`Statistic '${statistic}' is not supported (${STATISTIC_CODES.join(', ')})`, ['statistic'], 'not-supported');
    }
    const period = periodOf(inputs);
    const filters: Array<[string, string]> = [['subject', subject], ['combo-code', codes.map((c) => (c.system ? `${c.system}|${c.code}` : c.code)).join(',')]];
    if (period.start) filters.push(['date', `ge${period.start}`]);
    if (period.end) filters.push(['date', `le${period.end}`]);
    const search = parseSearchRequest(['Observation'], filters, { defaultCount: 1, maxCount: 1 });
    const params = new SqlParams();
    const { where } = buildWhere(ctx, search, { handling: 'strict' }, params);
    const { rows } = await queryable(ctx).query<{ rid: number }>(`SELECT r.rid FROM resource r WHERE ${where} ORDER BY r.rid LIMIT ${MAX_SOURCE_OBSERVATIONS}`, params.values);
    const sources = await readByRids(queryable(ctx), rows.map((row) => row.rid));
    const byCode = new Map<string, Reading[]>();
    for (const source of sources) {
      const observation = parseJson(source.json!) as Record<string, any>;
      for (const wanted of codes) {
        const key = `${wanted.system ?? ''}|${wanted.code}`;
        for (const reading of readingsOf(observation, wanted)) {
          if (!byCode.has(key)) byCode.set(key, []);
          byCode.get(key)!.push({ ...reading, observation: { type: 'Observation', id: source.id, version: source.version } });
        }
      }
    }
    const include = single(inputs, 'include') === 'true';
    const parameter: any[] = [];
    for (const wanted of codes) {
      const key = `${wanted.system ?? ''}|${wanted.code}`;
      const readings = byCode.get(key) ?? [];
      const unit = readings.find((r) => r.code)?.code;
      const values = readings
        .map((r) => (unit && r.code && r.code !== unit ? convertUcum(r.value, r.code, unit) : r.value))
        .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      const summary = summarize(values);
      const first = readings[0];
      parameter.push({
        name: 'statistics',
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ ...(wanted.system ? { system: wanted.system } : {}), code: wanted.code }] },
          subject: { reference: subject },
          ...(period.start || period.end ? { effectivePeriod: { ...(period.start ? { start: period.start } : {}), ...(period.end ? { end: period.end } : {}) } } : {}),
          component: statistics
            .filter((statistic) => (summary as any)[statistic] !== undefined)
            .map((statistic) => ({
              code: { coding: [{ system: STATISTICS_SYSTEM, code: statistic }] },
              valueQuantity:
                statistic === 'count'
                  ? { value: summary.count }
                  : { value: round((summary as any)[statistic]), ...(first?.unit ? { unit: first.unit } : {}), ...(unit ? { system: 'http://unitsofmeasure.org', code: statistic === 'variance' ? `(${unit})2` : unit } : {}) },
            })),
        },
      });
    }
    if (include) {
      const seen = new Set<string>();
      for (const source of sources) if (!seen.has(source.id)) seen.add(source.id), parameter.push({ name: 'source', resource: JSON.parse(source.json!) });
    }
    return { status: 200, body: { resource: { resourceType: 'Parameters', parameter } } };
  },
};

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function periodOf(inputs: ReturnType<typeof operationInputs>): { start?: string; end?: string } {
  const duration = single(inputs, 'duration');
  const complexPeriod = inputs.complex.find(([n]) => n === 'period')?.[1];
  if (duration !== undefined) {
    const hours = Number(duration);
    if (!Number.isFinite(hours) || hours <= 0) throw badRequest('duration is a positive number of hours', ['duration'], 'value');
    return { start: new Date(Date.now() - hours * 3_600_000).toISOString() };
  }
  if (complexPeriod) return { start: complexPeriod.start, end: complexPeriod.end };
  const start = single(inputs, 'period-start') ?? single(inputs, 'start');
  const end = single(inputs, 'period-end') ?? single(inputs, 'end');
  return { start, end };
}

function matches(coding: any, wanted: { system?: string; code: string }): boolean {
  return coding?.code === wanted.code && (!wanted.system || coding.system === wanted.system);
}

function readingsOf(observation: Record<string, any>, wanted: { system?: string; code: string }): Array<Omit<Reading, 'observation'>> {
  const out: Array<Omit<Reading, 'observation'>> = [];
  const take = (quantity: any) => {
    const value = numericValue(quantity?.value);
    if (value !== undefined) out.push({ value, unit: quantity.unit, code: quantity.code, system: quantity.system });
  };
  if ((observation.code?.coding ?? []).some((c: any) => matches(c, wanted))) take(observation.valueQuantity);
  for (const component of observation.component ?? []) {
    if ((component.code?.coding ?? []).some((c: any) => matches(c, wanted))) take(component.valueQuantity);
  }
  return out;
}

import { referenceParts } from './values/reference-parts.ts';
import { parseParameterName } from './query/search-conditions.ts';
import { dateCondition } from './query/date-condition.ts';
import type { SqlParams } from './query/sql-params.ts';
import { splitOrValues, unescapeValue } from './query/split-values.ts';
import { tokenCondition } from './query/token-condition.ts';
import type { SearchRequest } from './search-request.ts';

export interface FastPathPlan {
  /** SQL over idx_observation `o` selecting matching rids (before paging). */
  from: string;
}

/**
 * Device data is read as "this patient's readings of this code, in this period". Such searches
 * (Observation with patient|subject, code at most once, date — nothing else) are answered from
 * idx_observation alone: one index range scan instead of joining three index tables. Returns
 * undefined for anything else, which then takes the general path with identical semantics.
 */
export function observationFastPath(request: SearchRequest, params: SqlParams, baseUrl: string): FastPathPlan | undefined {
  if (request.types.length !== 1 || request.types[0] !== 'Observation' || request.sort.length > 0) return undefined;
  let subject: { type?: string; id: string } | undefined;
  let codeSeen = false;
  const conditions: string[] = [];
  const mark = params.mark();
  const giveUp = () => {
    params.reset(mark);
    return undefined;
  };
  for (const [name, value] of request.filters) {
    const parsed = parseParameterName(name);
    if (parsed.modifier || parsed.chain) return giveUp();
    if (parsed.code === 'patient' || parsed.code === 'subject') {
      if (subject || value.includes(',')) return giveUp();
      const raw = unescapeValue(value);
      const parts = /^[A-Za-z0-9\-.]{1,64}$/.test(raw) ? { id: raw, type: undefined } : referenceParts(raw, baseUrl);
      if (!parts?.id) return giveUp();
      if (parsed.code === 'patient' && parts.type && parts.type !== 'Patient') return giveUp();
      subject = { id: parts.id, type: parsed.code === 'patient' ? 'Patient' : parts.type };
    } else if (parsed.code === 'code') {
      if (codeSeen) return giveUp();
      codeSeen = true;
      conditions.push(`(${splitOrValues(value).map((v) => tokenCondition(params, v, undefined, { system: 'o.system', code: 'o.code' })).join(' OR ')})`);
    } else if (parsed.code === 'date') {
      conditions.push(`(${splitOrValues(value).map((v) => dateCondition(params, v, 'o.low', 'o.high', name)).join(' OR ')})`);
    } else return giveUp();
  }
  if (!subject) return giveUp();
  const where = [`o.subject_id = ${params.add(subject.id)}`, ...(subject.type ? [`o.subject_type = ${params.add(subject.type)}`] : []), ...conditions];
  return { from: `SELECT DISTINCT o.rid FROM idx_observation o WHERE ${where.join(' AND ')}` };
}

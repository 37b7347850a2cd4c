/**
 * Subscription.criteria is a search (`Observation?code=http://loinc.org|8867-4`) run by the
 * server's own search engine: it is checked once, when the subscription is reviewed (an unknown
 * parameter or a bad value makes the subscription `error`), and evaluated per batch of outbox
 * events as the same search restricted to the changed ids (`_id=a,b,c`).
 *
 * `qualitativeRisk` is accepted on RiskAssessment as an alias of the R4 parameter `risk`
 * (RiskAssessment.prediction.qualitativeRisk), the name readers of the element expect.
 */
import type { InteractionContext } from '../fhir/context.ts';
import { buildWhere, executeSearch } from '../fhir/search/execute-search.ts';
import { SqlParams } from '../fhir/search/query/sql-params.ts';
import { parseSearchRequest, RESULT_PARAMETERS } from '../fhir/search/search-request.ts';
import { parseQueryString } from '../fhir/request.ts';
import type { StoredVersion } from '../store/resource-reads.ts';

export interface Criteria {
  type: string;
  query: Array<[string, string]>;
}

export class CriteriaError extends Error {}

const ALIASES: Record<string, Record<string, string>> = { RiskAssessment: { qualitativeRisk: 'risk' } };

/** Parses and checks criteria against the search engine; throws CriteriaError with a readable reason. */
export function parseCriteria(ctx: InteractionContext, text: string): Criteria {
  const trimmed = text.trim().replace(/^\//, '');
  const question = trimmed.indexOf('?');
  const type = question < 0 ? trimmed : trimmed.slice(0, question);
  if (!ctx.services.types.isResourceType(type)) throw new CriteriaError(`'${type.slice(0, 64)}' is not a resource type`);
  const query = (question < 0 ? [] : parseQueryString(trimmed.slice(question + 1))).map(([name, value]): [string, string] => {
    const [base, ...modifier] = name.split(':');
    const alias = ALIASES[type]?.[base];
    return [alias ? [alias, ...modifier].join(':') : name, value];
  });
  for (const [name] of query) {
    if (RESULT_PARAMETERS.has(name.split(':')[0])) throw new CriteriaError(`${name} shapes search results and has no meaning in criteria`);
  }
  try {
    const request = parseSearchRequest([type], query, { defaultCount: 1, maxCount: 1 });
    buildWhere(ctx, request, { handling: 'strict' }, new SqlParams());
  } catch (error) {
    throw new CriteriaError(error instanceof Error ? error.message : String(error));
  }
  return { type, query };
}

const CHUNK = 500;

/** Current versions of the resources among `ids` that match the criteria now. */
export async function matchingNow(ctx: InteractionContext, criteria: Criteria, ids: readonly string[]): Promise<StoredVersion[]> {
  const matches: StoredVersion[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const request = parseSearchRequest([criteria.type], [...criteria.query, ['_id', chunk.join(',')]], { defaultCount: chunk.length, maxCount: chunk.length });
    request.count = chunk.length;
    matches.push(...(await executeSearch(ctx, request, { handling: 'strict' })).matches);
  }
  return matches;
}

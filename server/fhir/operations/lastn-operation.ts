import { queryable, type InteractionContext } from '../context.ts';
import { badRequest } from '../outcome.ts';
import { parsePrefer } from '../prefer.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { buildWhere, resolveIncludesFor } from '../search/execute-search.ts';
import { searchBundle } from '../search/search-bundle.ts';
import { parseSearchRequest } from '../search/search-request.ts';
import { SqlParams } from '../search/query/sql-params.ts';
import { readByRids } from '../../store/resource-reads.ts';
import { referenceParts } from '../search/values/reference-parts.ts';
import { unescapeValue } from '../search/query/split-values.ts';
import type { OperationHandler } from './operation-registry.ts';

/**
 * Observation/$lastn on plain PostgreSQL: for one patient (or subject), per code the `max`
 * most recent Observations, newest first. Codes are grouped by each Observation's first coding;
 * the other search parameters of Observation (category, code, date, ...) narrow the set.
 * HAPI needs Elasticsearch for this; here it is one window query over idx_observation.
 */
export const lastnOperation: OperationHandler = {
  name: 'lastn',
  levels: ['type'],
  resourceTypes: ['Observation'],
  definition: 'http://hl7.org/fhir/OperationDefinition/Observation-lastn',
  allowGet: true,
  documentation: 'Latest `max` Observations per code for a patient or subject (required); other Observation search parameters filter.',
  async handle(ctx: InteractionContext, request: FhirRequest): Promise<FhirResponse> {
    const { config } = ctx.services;
    let max = 1;
    const filters: Array<[string, string]> = [];
    let subject: { type?: string; id: string } | undefined;
    for (const [name, value] of request.query) {
      if (name === 'max') {
        max = Number(value);
        if (!Number.isInteger(max) || max < 1) throw badRequest(`max must be a positive integer, not '${value}'`, ['max'], 'value');
      } else if (name === 'patient' || name === 'subject') {
        const raw = unescapeValue(value);
        const parts = /^[A-Za-z0-9\-.]{1,64}$/.test(raw) ? { id: raw, type: name === 'patient' ? 'Patient' : undefined } : referenceParts(raw, config.BASE_URL);
        if (!parts?.id || subject) throw badRequest(`$lastn takes one ${name} reference`, [name], 'value');
        subject = { id: parts.id, type: name === 'patient' ? 'Patient' : parts.type };
      } else filters.push([name, value]);
    }
    if (!subject) throw badRequest('$lastn needs a patient or subject parameter', ['patient'], 'required');
    const search = parseSearchRequest(['Observation'], filters, { defaultCount: config.MAX_PAGE_SIZE, maxCount: config.MAX_PAGE_SIZE });
    const params = new SqlParams();
    const handling = parsePrefer(request.headers.prefer).handling ?? 'strict';
    const { where, applied, issues } = search.filters.length > 0 ? buildWhere(ctx, search, { handling }, params) : { where: '', applied: [], issues: [] };
    // Nothing applied (no filters, or all ignored as unknown): bind nothing the SQL will not use.
    if (applied.length === 0) params.reset(0);
    const subjectSql = `o.subject_id = ${params.add(subject.id)}${subject.type ? ` AND o.subject_type = ${params.add(subject.type)}` : ''}`;
    // idx_observation holds only live Observations, so without further filters no join is needed.
    // With filters, LATERAL ... LIMIT 1 keeps them per-row index probes (a patient has thousands
    // of readings; hashing the whole resource table is what the planner would otherwise pick).
    const filtered = applied.length > 0
      ? `CROSS JOIN LATERAL (SELECT 1 FROM resource r WHERE r.rid = g.rid AND ${where} LIMIT 1) matching`
      : '';
    const { rows } = await queryable(ctx).query<{ rid: number }>(
      `SELECT rid FROM (
         SELECT g.rid, g.group_system, g.group_code, g.high,
                row_number() OVER (PARTITION BY g.group_system, g.group_code ORDER BY g.high DESC NULLS LAST, g.rid DESC) AS rn
           FROM (SELECT DISTINCT o.rid, o.group_system, o.group_code, o.high FROM idx_observation o WHERE ${subjectSql}) g
           ${filtered}
       ) ranked WHERE rn <= ${params.add(max)}
       ORDER BY group_system, group_code, high DESC NULLS LAST, rid DESC`,
      params.values,
    );
    const matches = await readByRids(queryable(ctx), rows.map((row) => row.rid));
    const included = await resolveIncludesFor(ctx, search, matches, issues);
    const appliedAll: Array<[string, string]> = [[subject.type === 'Patient' ? 'patient' : 'subject', subject.type ? `${subject.type}/${subject.id}` : subject.id], ...applied, ['max', String(max)]];
    search.count = matches.length;
    return {
      status: 200,
      body: { json: searchBundle(ctx, 'Observation/$lastn', { ...search, count: Math.max(matches.length, 1) }, { matches, included, applied: appliedAll, issues, hasNext: false, total: matches.length }) },
    };
  },
};

import { queryable, type InteractionContext } from '../context.ts';
import { bundleJson, queryString, type BundleEntryText, type BundleLink } from '../bundle-json.ts';
import { badRequest, gone, notFound } from '../outcome.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { compartmentParams, compartmentResourceTypes } from '../search/compartments.ts';
import { indexTarget } from '../search/definitions/index-target.ts';
import { parseDateRange } from '../search/values/date-range.ts';
import { readByKeys, readByRids, readCurrent } from '../../store/resource-reads.ts';
import type { OperationHandler, OperationTarget } from './operation-registry.ts';

/**
 * Patient/[id]/$everything: the patient, every resource in their compartment (per the R4
 * CompartmentDefinition), and the resources those reference outside it (practitioners,
 * organizations, locations, medications) as `include` entries. Paged by a stable cursor;
 * _since (last updated) and _type narrow it.
 */
export const everythingOperation: OperationHandler = {
  name: 'everything',
  levels: ['instance'],
  resourceTypes: ['Patient'],
  definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
  allowGet: true,
  documentation: 'The patient, their compartment and referenced resources; _since, _type and _count paging.',
  async handle(ctx: InteractionContext, request: FhirRequest, target: OperationTarget): Promise<FhirResponse> {
    const { config, paramIds } = ctx.services;
    const db = queryable(ctx);
    const patient = await readCurrent(db, 'Patient', target.id!);
    if (!patient) throw notFound(`Patient/${target.id} is not known`);
    if (patient.deleted) throw gone(`Patient/${target.id} was deleted`);
    let count = config.DEFAULT_PAGE_SIZE;
    let cursor = 0;
    let since: string | undefined;
    let types: string[] | undefined;
    const applied: Array<[string, string]> = [];
    for (const [name, value] of request.query) {
      if (name === '_count') {
        count = Math.min(Number(value), config.MAX_PAGE_SIZE);
        if (!Number.isInteger(count) || count < 1) throw badRequest('_count must be a positive integer', ['_count'], 'value');
      } else if (name === '_cursor') cursor = Number(value) || 0;
      else if (name === '_since') {
        const range = parseDateRange(value);
        if (!range) throw badRequest(`_since must be an instant, not '${value}'`, ['_since'], 'value');
        since = new Date(range.low).toISOString();
        applied.push([name, value]);
      } else if (name === '_type') {
        types = value.split(',').map((t) => t.trim());
        for (const type of types) if (!ctx.services.types.isResourceType(type)) throw badRequest(`Unknown resource type '${type}' in _type`, ['_type'], 'value');
        applied.push([name, value]);
      } else if (name === 'start' || name === 'end' || name === '_format' || name === '_pretty') {
        // start/end (clinical dates) are accepted and not applied: R4 leaves their meaning to the server.
      } else throw badRequest(`Unknown $everything parameter '${name}'`, [name], 'not-supported');
    }
    const memberTypes = compartmentResourceTypes('Patient');
    const pidOf = (type: string, code: string) => paramIds.pid(type, code);
    const pids = memberTypes.flatMap((type) => (compartmentParams('Patient', type) ?? []).flatMap((code) => indexTarget(ctx.services.registry, pidOf, type, code)?.pids ?? []));
    const { rows } = await db.query<{ rid: number }>(
      `SELECT r.rid FROM resource r
        WHERE NOT r.deleted AND r.rid > $1
          AND (r.rid = $2 OR r.rid IN (SELECT i.rid FROM idx_reference i WHERE i.pid = ANY($3::int4[]) AND i.target_type = 'Patient' AND i.target_id = $4))
          AND ($5::text[] IS NULL OR r.type = ANY($5::text[]))
          AND ($6::timestamptz IS NULL OR r.last_updated >= $6::timestamptz)
        ORDER BY r.rid LIMIT $7`,
      [cursor, patient.rid, pids, patient.id, types ?? null, since ?? null, count + 1],
    );
    const page = rows.slice(0, count).map((row) => row.rid);
    const matches = await readByRids(db, page);
    const members = new Set(memberTypes);
    const { rows: referenced } = await db.query<{ target_type: string; target_id: string }>(
      `SELECT DISTINCT target_type, target_id FROM idx_reference WHERE rid = ANY($1::int8[]) AND target_id IS NOT NULL AND NOT (target_type = ANY($2::text[]))`,
      [page, [...members, 'Patient']],
    );
    const included = types ? [] : await readByKeys(db, referenced.map((r) => ({ type: r.target_type, id: r.target_id })));
    const base = `${config.BASE_URL}/Patient/${patient.id}/$everything`;
    const links: BundleLink[] = [{ relation: 'self', url: `${base}?${queryString([...applied, ['_count', String(count)], ...(cursor ? [['_cursor', String(cursor)] as [string, string]] : [])])}` }];
    if (rows.length > count) links.push({ relation: 'next', url: `${base}?${queryString([...applied, ['_count', String(count)], ['_cursor', String(page[page.length - 1])]])}` });
    const entries: BundleEntryText[] = [
      ...matches.map((m) => ({ fullUrl: `${config.BASE_URL}/${m.type}/${m.id}`, resource: m.json!, extra: { search: { mode: 'match' } } })),
      ...included.map((m) => ({ fullUrl: `${config.BASE_URL}/${m.type}/${m.id}`, resource: m.json!, extra: { search: { mode: 'include' } } })),
    ];
    return { status: 200, body: { json: bundleJson('searchset', entries, { links }) } };
  },
};

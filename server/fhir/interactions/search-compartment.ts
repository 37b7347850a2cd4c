import type { InteractionContext } from '../context.ts';
import { badRequest } from '../outcome.ts';
import { parsePrefer } from '../prefer.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { compartmentParams, compartmentResourceTypes, isCompartmentType } from '../search/compartments.ts';
import { executeSearch } from '../search/execute-search.ts';
import { searchBundle } from '../search/search-bundle.ts';
import { parseSearchRequest } from '../search/search-request.ts';
import { searchQuery } from './search-type.ts';

/** GET Patient/[id]/Observation?params (or /* for every type in the compartment). */
export async function searchCompartmentInteraction(
  ctx: InteractionContext,
  request: FhirRequest,
  compartmentType: string,
  id: string,
  resourceType: string | undefined,
  narrow?: Array<[string, string]>,
): Promise<FhirResponse> {
  const { config } = ctx.services;
  if (!isCompartmentType(compartmentType)) throw badRequest(`${compartmentType} is not a compartment type`, undefined, 'not-supported');
  const resourceTypes = resourceType ? [resourceType] : compartmentResourceTypes(compartmentType);
  const members = new Map<string, string[]>();
  for (const type of resourceTypes) {
    const params = compartmentParams(compartmentType, type);
    if (params) members.set(type, params);
  }
  if (members.size === 0) throw badRequest(`${resourceType} resources are not part of the ${compartmentType} compartment`, undefined, 'not-supported');
  const search = parseSearchRequest([...members.keys()], searchQuery(request), { defaultCount: config.DEFAULT_PAGE_SIZE, maxCount: config.MAX_PAGE_SIZE });
  const handling = parsePrefer(request.headers.prefer).handling ?? 'strict';
  const result = await executeSearch(ctx, search, { handling, constraints: narrow, compartment: { type: compartmentType, id, params: members } });
  return { status: 200, body: { json: searchBundle(ctx, `${compartmentType}/${id}/${resourceType ?? '*'}`, search, result) } };
}

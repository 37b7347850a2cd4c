import { buildCapabilityStatement } from '../../../conformance/capability-statement.ts';
import type { FhirServices, InteractionContext } from '../context.ts';
import { stringifyJson } from '../json/index.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { isSearchable } from '../search/searchable.ts';
import { supportedModifiers } from '../search/query/search-conditions.ts';

const cache = new WeakMap<FhirServices, string>();

/** GET /metadata: generated once per process from the registered types, parameters and operations. */
export async function capabilitiesInteraction(ctx: InteractionContext, _request: FhirRequest): Promise<FhirResponse> {
  let json = cache.get(ctx.services);
  if (!json) {
    const { config, registry, types, operations } = ctx.services;
    json = stringifyJson(
      buildCapabilityStatement({
        baseUrl: config.BASE_URL,
        softwareVersion: process.env.npm_package_version ?? '0.1.0',
        resourceTypes: types.resourceTypes,
        registry,
        isSearchable,
        modifiersFor: (param) => supportedModifiers(param.type),
        operations: operations.all(),
        conditionalDelete: config.CONDITIONAL_DELETE,
      }),
    );
    cache.set(ctx.services, json);
  }
  return { status: 200, body: { json } };
}

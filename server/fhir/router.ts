import type { AuthorizationDecision, Interaction } from '../http/authorization.ts';
import type { InteractionContext } from './context.ts';
import { forbidden, methodNotAllowed, notFound, notSupported, badRequest } from './outcome.ts';
import type { FhirRequest, FhirResponse } from './request.ts';
import { readInteraction } from './interactions/read.ts';
import { vreadInteraction } from './interactions/vread.ts';
import { planCreate } from './interactions/create.ts';
import { planUpdate } from './interactions/update.ts';
import { planDelete } from './interactions/delete.ts';
import { planPatch } from './interactions/patch.ts';
import { runPlan, type WritePlan } from './interactions/write-plan.ts';
import { historyInstanceInteraction } from './interactions/history-instance.ts';
import { historyTypeInteraction } from './interactions/history-type.ts';
import { historySystemInteraction } from './interactions/history-system.ts';
import { searchTypeInteraction } from './interactions/search-type.ts';
import { searchSystemInteraction } from './interactions/search-system.ts';
import { searchCompartmentInteraction } from './interactions/search-compartment.ts';
import { capabilitiesInteraction } from './interactions/capabilities.ts';
import { bundleInteraction } from './bundles/bundle-interaction.ts';
import type { OperationTarget } from './operations/operation-registry.ts';

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

export interface Route {
  interaction: Interaction;
  type?: string;
  id?: string;
  version?: string;
  operation?: string;
  compartmentType?: string;
  run: (ctx: InteractionContext, request: FhirRequest, narrow?: Array<[string, string]>) => Promise<FhirResponse>;
  /** Write interactions can be planned first (transaction bundles commit all plans at once). */
  plan?: (ctx: InteractionContext, request: FhirRequest) => Promise<WritePlan>;
  /** The interaction reads request.bodyStream (an operation that declares streamsBody). */
  streamsBody?: boolean;
}

function writeRoute(interaction: Interaction, type: string, id: string | undefined, plan: NonNullable<Route['plan']>): Route {
  return { interaction, type, id, plan, run: async (c, r) => runPlan(c, await plan(c, r)) };
}

/**
 * Maps a FHIR request (from HTTP or from a bundle entry) to its interaction, asks the
 * authorization policy, and runs it. This is the seam every interaction passes through.
 */
export async function route(ctx: InteractionContext, request: FhirRequest): Promise<FhirResponse> {
  const resolved = resolveRoute(ctx, request);
  const narrow = await authorizeRoute(ctx, resolved);
  return resolved.run(ctx, request, narrow);
}

/**
 * Whether the HTTP layer should hand this request's body over as a stream. A request that does not
 * resolve reads its body whole as before, and route() then reports the routing error.
 */
export function routeStreamsBody(ctx: InteractionContext, request: FhirRequest): boolean {
  // Only operations declare streamsBody: other writes (the hot REST path) are not resolved twice.
  if (!/\$|%24/i.test(request.path)) return false;
  try {
    return resolveRoute(ctx, request).streamsBody === true;
  } catch {
    return false;
  }
}

/** Asks the authorization policy; returns the search narrowing it imposes, throws 403 on deny. */
export async function authorizeRoute(ctx: InteractionContext, resolved: Route): Promise<Array<[string, string]> | undefined> {
  const decision: AuthorizationDecision = await ctx.services.authorization.authorize({
    principal: ctx.principal,
    interaction: resolved.interaction,
    resourceType: resolved.type,
    id: resolved.id,
    operation: resolved.operation,
  });
  if (decision.effect === 'deny') throw forbidden(decision.reason);
  return decision.effect === 'narrow' ? decision.searchParams : undefined;
}

function checkType(ctx: InteractionContext, type: string): void {
  if (!ctx.services.types.isResourceType(type)) throw notFound(`Unknown resource type '${type}'`);
}

function checkId(id: string, what = 'id'): void {
  if (!ID.test(id)) throw badRequest(`Invalid resource ${what} '${id.slice(0, 80)}'`, undefined, 'value');
}

export function resolveRoute(ctx: InteractionContext, request: FhirRequest): Route {
  const segments = request.path.split('/').filter(Boolean).map(decodeURIComponent);
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  const [first, second, third, fourth, fifth] = segments;
  const unsupported = (): never => {
    throw methodNotAllowed(`${request.method} is not allowed on ${request.path || 'the base'}`);
  };

  if (segments.length === 0) {
    if (method === 'GET') return { interaction: 'search-system', run: (c, r, n) => searchSystemInteraction(c, r, n) };
    if (method === 'POST') return { interaction: bundleKind(request), run: (c, r) => bundleInteraction(c, r) };
    return unsupported();
  }
  if (first === 'metadata' && segments.length === 1) {
    if (method !== 'GET') return unsupported();
    return { interaction: 'capabilities', run: (c, r) => capabilitiesInteraction(c, r) };
  }
  if (first === '_history' && segments.length === 1) {
    if (method !== 'GET') return unsupported();
    return { interaction: 'history-system', run: (c, r) => historySystemInteraction(c, r) };
  }
  if (first === '_search' && segments.length === 1) {
    if (method !== 'POST') return unsupported();
    return { interaction: 'search-system', run: (c, r, n) => searchSystemInteraction(c, r, n) };
  }
  if (first.startsWith('$')) return operationRoute(ctx, request, first.slice(1), { level: 'system' });

  const type = first;
  checkType(ctx, type);
  if (segments.length === 1) {
    switch (method) {
      case 'GET':
        return { interaction: 'search-type', type, run: (c, r, n) => searchTypeInteraction(c, r, type, n) };
      case 'POST':
        return writeRoute('create', type, undefined, (c, r) => planCreate(c, r, type));
      case 'PUT':
        return writeRoute('update', type, undefined, (c, r) => planUpdate(c, r, type, undefined));
      case 'DELETE':
        return writeRoute('delete', type, undefined, (c, r) => planDelete(c, r, type, undefined));
      case 'PATCH':
        return writeRoute('patch', type, undefined, (c, r) => planPatch(c, r, type, undefined));
    }
  }
  if (second === '_search' && segments.length === 2) {
    if (method !== 'POST' && method !== 'GET') return unsupported();
    return { interaction: 'search-type', type, run: (c, r, n) => searchTypeInteraction(c, r, type, n) };
  }
  if (second === '_history' && segments.length === 2) {
    if (method !== 'GET') return unsupported();
    return { interaction: 'history-type', type, run: (c, r) => historyTypeInteraction(c, r, type) };
  }
  if (second.startsWith('$') && segments.length === 2) return operationRoute(ctx, request, second.slice(1), { level: 'type', type });

  const id = second;
  checkId(id);
  if (segments.length === 2) {
    switch (method) {
      case 'GET':
        return { interaction: 'read', type, id, run: (c, r) => readInteraction(c, r, type, id) };
      case 'PUT':
        return writeRoute('update', type, id, (c, r) => planUpdate(c, r, type, id));
      case 'DELETE':
        return writeRoute('delete', type, id, (c, r) => planDelete(c, r, type, id));
      case 'PATCH':
        return writeRoute('patch', type, id, (c, r) => planPatch(c, r, type, id));
      default:
        return unsupported();
    }
  }
  if (third === '_history') {
    if (segments.length === 3) {
      if (method !== 'GET') return unsupported();
      return { interaction: 'history-instance', type, id, run: (c, r) => historyInstanceInteraction(c, r, type, id) };
    }
    checkId(fourth, 'version');
    if (segments.length === 4) {
      if (method !== 'GET') return unsupported();
      return { interaction: 'vread', type, id, version: fourth, run: (c, r) => vreadInteraction(c, r, type, id, fourth) };
    }
    if (segments.length === 5 && fifth.startsWith('$')) {
      return operationRoute(ctx, request, fifth.slice(1), { level: 'instance', type, id, version: fourth });
    }
  }
  if (segments.length === 3 && third.startsWith('$')) return operationRoute(ctx, request, third.slice(1), { level: 'instance', type, id });
  if (segments.length === 3) {
    if (method !== 'GET') return unsupported();
    const compartmentType = third === '*' ? undefined : third;
    if (compartmentType) checkType(ctx, compartmentType);
    return {
      interaction: 'search-compartment',
      type: compartmentType,
      id,
      compartmentType: type,
      run: (c, r, n) => searchCompartmentInteraction(c, r, type, id, compartmentType, n),
    };
  }
  throw notFound(`No interaction matches '${request.path}'`);
}

function bundleKind(request: FhirRequest): Interaction {
  const body = request.body as { type?: string } | undefined;
  return body?.type === 'transaction' ? 'transaction' : 'batch';
}

function operationRoute(ctx: InteractionContext, request: FhirRequest, name: string, target: OperationTarget): Route {
  const handler = ctx.services.operations.find(name);
  if (!handler || !handler.levels.includes(target.level) || (target.type && handler.resourceTypes && !handler.resourceTypes.includes(target.type))) {
    throw notFound(`Operation $${name} is not supported ${target.type ? `on ${target.type}` : 'at system level'}${target.level === 'instance' ? ' instances' : ''}`);
  }
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  if (method === 'GET' && !handler.allowGet) throw methodNotAllowed(`Operation $${name} changes state and must be invoked with POST`);
  if (method !== 'GET' && method !== 'POST') throw notSupported(`Operations are invoked with GET or POST`, 405);
  return {
    interaction: 'operation',
    type: target.type,
    id: target.id,
    operation: name,
    ...(handler.streamsBody && method === 'POST' ? { streamsBody: true } : {}),
    run: (c, r) => handler.handle(c, r, target),
  };
}

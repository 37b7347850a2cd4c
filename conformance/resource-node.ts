import { complexValidator, setNestedResourceCheck, type ComplexValidator } from './complex-validator.ts';
import { typeModel } from './type-model.ts';
import type { JsonObject, ValidationContext } from './validation-context.ts';
import { quoteValue } from './validation-issue.ts';

const resourceValidators = new Map<string, ComplexValidator>();

/**
 * Validates a JSON value that should be a resource: its shape, its resourceType (known and
 * concrete), then its content. `path` is where it sits ("Bundle.entry[2].resource"), or empty for
 * the top level, in which case paths start with the resource type. Every resource that is not
 * contained is handed to ctx.onResource afterwards (profile validation hooks in there).
 */
export function validateResourceNode(value: unknown, path: string, ctx: ValidationContext, contained: boolean): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const at = path || 'Resource';
    ctx.structure('structure', `${at}: a resource must be a JSON object`, at);
    return;
  }
  const resource = value as JsonObject;
  const resourceType = resource.resourceType;
  const at = path || (typeof resourceType === 'string' && typeModel().isResourceType(resourceType) ? resourceType : 'Resource');
  if (resourceType === undefined) return ctx.structure('required', `${at}: the resource has no resourceType`, at);
  if (typeof resourceType !== 'string') return ctx.structure('structure', `${at}: resourceType must be a string`, at);
  const type = typeModel().types.get(resourceType);
  if (!type || type.kind !== 'resource') {
    return ctx.structure('not-supported', `${at}: ${quoteValue(resourceType)} is not a known FHIR R4 resource type`, at);
  }
  if (type.abstract) {
    return ctx.structure('structure', `${at}: ${resourceType} is an abstract type; a resource must have a concrete type`, at);
  }

  const saved = { resource: ctx.resource, rootResource: ctx.rootResource, inBundle: ctx.inBundle, inContained: ctx.inContained };
  ctx.resource = resource;
  if (contained) ctx.inContained = true;
  else ctx.rootResource = resource;
  if (resourceType === 'Bundle') ctx.inBundle = true;
  let validator = resourceValidators.get(resourceType);
  if (!validator) resourceValidators.set(resourceType, (validator = complexValidator(resourceType, resourceType, 'resource')));
  validator.validate(resource, at, ctx);
  if (!contained) ctx.onResource?.(resource, at, ctx);
  ctx.resource = saved.resource;
  ctx.rootResource = saved.rootResource;
  ctx.inBundle = saved.inBundle;
  ctx.inContained = saved.inContained;
}

setNestedResourceCheck(validateResourceNode);

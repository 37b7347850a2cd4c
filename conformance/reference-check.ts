import { typeModel } from './type-model.ts';
import type { JsonObject, ValidationContext } from './validation-context.ts';
import { quoteValue } from './validation-issue.ts';

/** Checks Reference.reference (already known to be a string) of one Reference value. */
export type ReferenceCheck = (reference: string, path: string, ctx: ValidationContext) => void;

const ID = '[A-Za-z0-9\\-\\.]{1,64}';
const RELATIVE = new RegExp(`^([A-Z][A-Za-z]+)/(${ID})(/_history/(${ID}))?$`);
const ABSOLUTE_FHIR = new RegExp(`/([A-Z][A-Za-z]+)/(${ID})(/_history/(${ID}))?$`);
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s]+$/;
const UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OID = /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/;
const CONDITIONAL = /^([A-Z][A-Za-z]+)\?\S*$/;

const BASE_DEFINITION = 'http://hl7.org/fhir/StructureDefinition/';

/** Resource types a list of targetProfile URLs allows; undefined means any resource. */
export function allowedTargetTypes(targetProfiles: string[] | undefined): Set<string> | undefined {
  if (!targetProfiles || targetProfiles.length === 0) return undefined;
  const types = new Set<string>();
  for (const url of targetProfiles) {
    const type = url.startsWith(BASE_DEFINITION) && !typeModel().profiles.has(url)
      ? url.slice(BASE_DEFINITION.length)
      : typeModel().profiles.get(url)?.type;
    if (type === undefined || type === 'Resource' || type === 'DomainResource') return undefined;
    types.add(type);
  }
  return types;
}

export function referenceCheck(targetProfiles: string[] | undefined): ReferenceCheck {
  const allowed = allowedTargetTypes(targetProfiles);
  const checkType = (type: string, path: string, ctx: ValidationContext): void => {
    if (!typeModel().isResourceType(type)) {
      ctx.structure('value', `${path}: ${quoteValue(type)} in the reference is not a resource type`, path);
    } else if (allowed && !allowed.has(type)) {
      ctx.structure('structure', `${path}: a reference to ${type} is not allowed here (allowed: ${[...allowed].join(', ')})`, path);
    }
  };
  return (reference, path, ctx) => {
    if (reference.charCodeAt(0) === 35 /* # */) return checkLocal(reference, path, ctx, allowed);
    let match = RELATIVE.exec(reference);
    if (match) return checkType(match[1], path, ctx);
    if (reference.startsWith('urn:')) {
      const wellFormed = reference.startsWith('urn:uuid:') ? UUID.test(reference) : OID.test(reference);
      if (!wellFormed) return ctx.structure('value', `${path}: ${quoteValue(reference)} is not a valid urn:uuid: or urn:oid: reference`, path);
      if (!ctx.inBundle) ctx.structure('value', `${path}: a ${reference.slice(0, 9)} reference can only be resolved inside a Bundle`, path);
      return;
    }
    match = CONDITIONAL.exec(reference);
    if (match) {
      if (!ctx.inBundle) return ctx.structure('value', `${path}: a conditional reference can only be used inside a transaction Bundle`, path);
      return checkType(match[1], path, ctx);
    }
    if (ABSOLUTE.test(reference)) {
      match = ABSOLUTE_FHIR.exec(reference);
      // Absolute URLs need not point at a FHIR server; only URLs shaped like one reveal a type.
      if (match && typeModel().isResourceType(match[1])) checkType(match[1], path, ctx);
      return;
    }
    ctx.structure('value', `${path}: ${quoteValue(reference)} is not a valid reference (expected Type/id, an absolute URL or #id)`, path);
  };
}

/** A #id reference must name a contained resource of the root resource (ref-1), or be "#" (the container). */
function checkLocal(reference: string, path: string, ctx: ValidationContext, allowed: Set<string> | undefined): void {
  if (reference === '#') {
    if (!ctx.inContained) ctx.rule('invariant', `${path}: "#" refers to the container and is only meaningful inside a contained resource (ref-1)`, path);
    return;
  }
  const id = reference.slice(1);
  const contained = ctx.rootResource.contained;
  const target = Array.isArray(contained)
    ? (contained.find((resource) => (resource as JsonObject | null)?.id === id) as JsonObject | undefined)
    : undefined;
  if (!target) {
    ctx.rule('invariant', `${path}: no contained resource has the id ${quoteValue(id)} (ref-1: SHALL have a contained resource if a local reference is provided)`, path);
    return;
  }
  const type = target.resourceType;
  if (allowed && typeof type === 'string' && !allowed.has(type)) {
    ctx.structure('structure', `${path}: a reference to ${type} is not allowed here (allowed: ${[...allowed].join(', ')})`, path);
  }
}

/** The resource type a literal reference points to, when the reference reveals it. */
export function referencedType(reference: string, ctx: ValidationContext): string | undefined {
  if (reference.charCodeAt(0) === 35 /* # */) {
    const contained = ctx.rootResource.contained;
    const target = Array.isArray(contained) ? contained.find((r) => (r as JsonObject | null)?.id === reference.slice(1)) : undefined;
    const type = (target as JsonObject | undefined)?.resourceType;
    return typeof type === 'string' ? type : undefined;
  }
  const match = RELATIVE.exec(reference) ?? ABSOLUTE_FHIR.exec(reference);
  return match && typeModel().isResourceType(match[1]) ? match[1] : undefined;
}

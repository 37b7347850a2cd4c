import type { JsonObject, ValidationContext } from './validation-context.ts';

/**
 * Native versions of the invariants that apply to nearly every resource or element (see
 * NATIVE_INVARIANTS in invariants.ts). Their FHIRPath is either hot (ele-1, ext-1, dom-6 would
 * cost several µs each per node) or needs functions fhirpath.js lacks or evaluates slowly
 * (htmlChecks, descendants() over the whole resource for dom-3).
 */

/** ext-1: an extension has either nested extensions or a value[x], not both, not neither. */
export function checkExtension(extension: JsonObject, path: string, ctx: ValidationContext): void {
  let hasValue = false;
  for (const key in extension) {
    if (key.startsWith('value') || key.startsWith('_value')) {
      hasValue = true;
      break;
    }
  }
  const hasExtensions = extension.extension !== undefined;
  if (hasValue === hasExtensions) {
    ctx.rule('invariant', `${path}: constraint ext-1 failed: must have either extensions or value[x], not both`, path);
  }
}

/** sqty-1: a SimpleQuantity has no comparator. */
export function checkSimpleQuantity(quantity: JsonObject, path: string, ctx: ValidationContext): void {
  if (quantity.comparator !== undefined || quantity._comparator !== undefined) {
    ctx.rule('invariant', `${path}: constraint sqty-1 failed: the comparator is not used on a SimpleQuantity`, path);
  }
}

/** dom-6 (warning): a resource should have narrative. Not applied to contained resources. */
export function checkNarrativePresent(resource: JsonObject, path: string, ctx: ValidationContext): void {
  const text = resource.text as JsonObject | undefined;
  if (!text || typeof text !== 'object' || text.div === undefined) {
    ctx.rule('invariant', `${path}: constraint dom-6 failed: a resource should have narrative for robust management`, path, 'warning');
  }
}

/** dom-2..dom-5 over the contained resources of a (non-contained) resource. */
export function checkContained(resource: JsonObject, path: string, ctx: ValidationContext): void {
  const contained = resource.contained;
  if (!Array.isArray(contained) || contained.length === 0) return;
  let references: Set<string> | undefined;
  contained.forEach((item, index) => {
    if (item === null || typeof item !== 'object') return;
    const inner = item as JsonObject;
    const at = `${path}.contained[${index}]`;
    if (inner.contained !== undefined) {
      ctx.rule('invariant', `${at}: constraint dom-2 failed: a contained resource SHALL NOT contain additional contained resources`, at);
    }
    const meta = inner.meta as JsonObject | undefined;
    if (meta && typeof meta === 'object') {
      if (meta.versionId !== undefined || meta.lastUpdated !== undefined) {
        ctx.rule('invariant', `${at}: constraint dom-4 failed: a contained resource SHALL NOT have a meta.versionId or a meta.lastUpdated`, at);
      }
      if (meta.security !== undefined) {
        ctx.rule('invariant', `${at}: constraint dom-5 failed: a contained resource SHALL NOT have a security label`, at);
      }
    }
    references ??= localReferences(resource);
    const referenced = typeof inner.id === 'string' && references.has('#' + inner.id);
    if (!referenced && !localReferences(inner).has('#')) {
      ctx.rule('invariant', `${at}: constraint dom-3 failed: a contained resource SHALL be referred to from elsewhere in the resource or SHALL refer to the containing resource`, at);
    }
  });
}

/**
 * Every string in the tree that is a local reference ("#..."): Reference.reference values and
 * canonical/uri values alike, as dom-3's descendants().reference | as(canonical) | as(uri) does.
 */
function localReferences(root: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value.charCodeAt(0) === 35) found.add(value);
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item);
    } else if (value !== null && typeof value === 'object') {
      for (const key in value) if (key !== 'div') visit((value as JsonObject)[key]);
    }
  };
  visit(root);
  return found;
}

// Elements and attributes the narrative may not use (txt-1): scripts, forms, frames, objects,
// document-level elements and event handlers.
const FORBIDDEN_ELEMENT = /<\s*(script|form|input|button|select|textarea|iframe|frame|frameset|object|applet|embed|base|link|meta|head|body|html|title)\b/i;
const EVENT_ATTRIBUTE = /<[^>]*\s(on[a-z]+)\s*=/i;

/** txt-1 and txt-2 on Narrative.div (already known to be an XHTML div string). */
export function checkNarrativeDiv(div: string, path: string, ctx: ValidationContext): void {
  if (FORBIDDEN_ELEMENT.test(div) || EVENT_ATTRIBUTE.test(div)) {
    ctx.rule('invariant', `${path}: constraint txt-1 failed: the narrative SHALL contain only the basic html formatting elements and attributes`, path);
  }
  // R4 gives txt-2 no checkable expression (htmlChecks() is left undefined) and the reference
  // validator does not enforce it, so whitespace-only narrative is reported as a warning.
  if (!hasTextContent(div) && !/<img\b/i.test(div)) {
    ctx.rule('invariant', `${path}: constraint txt-2 failed: the narrative SHALL have some non-whitespace content`, path, 'warning');
  }
}

/** Whether any non-whitespace character appears outside the tags (stops at the first one). */
function hasTextContent(div: string): boolean {
  let inTag = false;
  for (let i = 0; i < div.length; i++) {
    const c = div.charCodeAt(i);
    if (inTag) {
      if (c === 62 /* > */) inTag = false;
    } else if (c === 60 /* < */) {
      inTag = true;
    } else if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 160) {
      return true;
    }
  }
  return false;
}

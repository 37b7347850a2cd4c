import type { InteractionContext } from '../context.ts';
import { findMatches } from '../interactions/conditional-match.ts';
import { preconditionFailed } from '../outcome.ts';

const CONDITIONAL_REFERENCE = /^([A-Z][A-Za-z]+)\?(.+)$/;

/** Every Reference.reference string in a resource tree (skipping narrative). */
function visitReferences(node: unknown, visit: (holder: Record<string, any>) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) visitReferences(item, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const object = node as Record<string, any>;
  if (typeof object.reference === 'string') visit(object);
  for (const [key, value] of Object.entries(object)) {
    if (key !== 'text' && value !== null && typeof value === 'object') visitReferences(value, visit);
  }
}

/**
 * Rewrites references in a bundle's resources: fullUrls of entries (urn:uuid:…, urn:oid:…, or
 * absolute) become the Type/id the server assigned, and conditional references such as
 * `Organization?identifier=sys|val` (as Synthea writes them) become the one resource they match.
 * Conditional references with no match or several matches fail the entry (412).
 */
export class ReferenceRewriter {
  private readonly resolved = new Map<string, string>();

  constructor(
    private readonly ctx: InteractionContext,
    private readonly fullUrls: Map<string, string>,
  ) {}

  async rewrite(resource: Record<string, any>, location: string): Promise<void> {
    const holders: Array<Record<string, any>> = [];
    visitReferences(resource, (holder) => holders.push(holder));
    for (const holder of holders) {
      const reference: string = holder.reference;
      const mapped = this.fullUrls.get(reference);
      if (mapped) {
        holder.reference = mapped;
        continue;
      }
      const conditional = CONDITIONAL_REFERENCE.exec(reference);
      if (conditional) holder.reference = await this.resolveConditional(conditional[1], conditional[2], reference, location);
    }
  }

  private async resolveConditional(type: string, criteria: string, reference: string, location: string): Promise<string> {
    const cached = this.resolved.get(reference);
    if (cached) return cached;
    if (!this.ctx.services.types.isResourceType(type)) throw preconditionFailed(`${location}: conditional reference '${reference}' names unknown type ${type}`, 'not-found', [location]);
    const matches = await findMatches(this.ctx, type, criteria, 2);
    if (matches.length !== 1) {
      throw preconditionFailed(
        `${location}: conditional reference '${reference}' matches ${matches.length === 0 ? 'no' : 'more than one'} ${type}`,
        matches.length === 0 ? 'not-found' : 'multiple-matches',
        [location],
      );
    }
    const target = `${type}/${matches[0].id}`;
    this.resolved.set(reference, target);
    return target;
  }
}

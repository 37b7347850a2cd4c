import type { TypeModel } from '../../conformance/type-model.ts';
import { badRequest } from './outcome.ts';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

export interface ElementsSelection {
  summary?: 'true' | 'false' | 'text' | 'data' | 'count';
  elements?: string[];
}

export function parseSummary(value: string | undefined): ElementsSelection['summary'] {
  if (value === undefined) return undefined;
  if (!['true', 'false', 'text', 'data', 'count'].includes(value)) throw badRequest(`_summary must be true, false, text, data or count`, ['_summary'], 'value');
  return value as ElementsSelection['summary'];
}

export function isSubsetting(selection: ElementsSelection): boolean {
  return (selection.summary !== undefined && selection.summary !== 'false') || (selection.elements?.length ?? 0) > 0;
}

/**
 * _summary and _elements: keep the requested top-level elements plus the mandatory ones
 * (resourceType, id, meta and elements with min ≥ 1), and tag the result SUBSETTED as the spec
 * requires so nobody mistakes it for the whole resource.
 */
export function selectElements(resource: Record<string, any>, selection: ElementsSelection, model: TypeModel): Record<string, any> {
  if (!isSubsetting(selection)) return resource;
  const type = model.types.get(resource.resourceType);
  if (!type) return resource;
  const children = type.children.get(type.name) ?? new Map();
  const keep = (name: string): boolean => {
    if (name === 'resourceType' || name === 'id' || name === 'meta') return true;
    const element = children.get(jsonNameToElement(name, children));
    if (!element) return false;
    if (selection.summary === 'text') return name === 'text' || element.min > 0;
    if (selection.summary === 'data') return name !== 'text';
    if (selection.summary === 'true') return element.definition.isSummary === true || element.min > 0;
    return element.min > 0 || selection.elements!.some((wanted) => wanted === name || wanted === jsonNameToElement(name, children));
  };
  const out: Record<string, any> = {};
  for (const [name, value] of Object.entries(resource)) {
    const base = name.startsWith('_') ? name.slice(1) : name;
    if (keep(base)) out[name] = value;
  }
  const meta = { ...(out.meta ?? {}) };
  meta.tag = [...(meta.tag ?? []), SUBSETTED];
  out.meta = meta;
  return { resourceType: out.resourceType, id: out.id, meta: out.meta, ...out };
}

/** "valueQuantity" → "value" for choice elements. */
function jsonNameToElement(name: string, children: Map<string, any>): string {
  if (children.has(name)) return name;
  for (const [elementName, element] of children) {
    if (element.isChoice && name.startsWith(elementName) && /^[A-Z]/.test(name.slice(elementName.length))) return elementName;
  }
  return name;
}

import { mergeSampledData } from '../../mappings/observation-grouper.ts';
import type { Observation } from '../../mappings/observation-builder.ts';

type Json = Record<string, any>;

function codeKey(concept: Json | undefined): string {
  return JSON.stringify((concept?.coding ?? []).map((coding: Json) => `${coding.system}|${coding.code}`));
}

function mergeInto(target: Json, stored: Json | undefined): void {
  const incoming = target.valueSampledData as Json | undefined;
  const existing = stored?.valueSampledData as Json | undefined;
  if (!incoming || typeof existing?.data !== 'string' || typeof incoming.data !== 'string') return;
  target.valueSampledData = { ...incoming, data: mergeSampledData(existing.data, incoming.data) };
}

/**
 * The Observation of a SampledData window that is already stored, with this request's samples
 * added: slots this request filled win, the others keep the stored samples (same window, origin
 * and period, so slot i is the same instant in both). Components are matched by their code.
 */
export function mergeStoredWindow(incoming: Observation, stored: Json): Observation {
  const merged: Json = { ...incoming };
  mergeInto(merged, stored);
  const components = incoming.component as Json[] | undefined;
  if (components) {
    const storedComponents = new Map<string, Json>();
    for (const component of (stored.component as Json[] | undefined) ?? []) storedComponents.set(codeKey(component.code), component);
    merged.component = components.map((component) => {
      const copy = { ...component };
      mergeInto(copy, storedComponents.get(codeKey(component.code)));
      return copy;
    });
  }
  return merged;
}

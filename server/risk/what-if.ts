/**
 * What-if scoring with Observations sent inline to $risk-assess: they are merged with the stored
 * record (an inline Observation with the id of a stored one replaces it), and in the answer the
 * ones a resource points at are carried as contained resources ("#id" references), since they
 * exist nowhere else. Nothing is written.
 */
import { badRequest } from '../fhir/outcome.ts';
import type { FhirJson } from './observation-readings.ts';

export interface InlineObservation {
  resource: FhirJson;
  /** Where it sat in the request, for error locations. */
  location: string;
}

const PATIENT_REFERENCE = /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/;

/**
 * Prepares inline Observations for scoring: subject must be the patient (set when absent), the
 * effective time defaults to the scoring time, ids default to what-if-<n>, meta is dropped (they
 * have no stored version).
 */
export function prepareInline(inline: readonly InlineObservation[], patient: string, at: string): FhirJson[] {
  return inline.map(({ resource, location }, i) => {
    const { meta: _meta, ...rest } = resource;
    const subject = (rest.subject as FhirJson | undefined)?.reference;
    if (subject !== undefined && PATIENT_REFERENCE.exec(String(subject))?.[1] !== patient) {
      throw badRequest(`An inline Observation must be about Patient/${patient}, not ${String(subject)}`, [`${location}.resource.subject`], 'invalid');
    }
    const hasTime = rest.effectiveDateTime !== undefined || rest.effectiveInstant !== undefined || rest.effectivePeriod !== undefined;
    return {
      ...rest,
      id: typeof rest.id === 'string' ? rest.id : `what-if-${i + 1}`,
      subject: { reference: `Patient/${patient}` },
      ...(hasTime ? {} : { effectiveDateTime: at }),
    };
  });
}

/** The stored record with inline Observations added (replacing stored ones with the same id). */
export function mergeInline(stored: readonly FhirJson[], inline: readonly FhirJson[]): FhirJson[] {
  const replaced = new Set(inline.map((o) => o.id));
  return [...stored.filter((r) => !(r.resourceType === 'Observation' && replaced.has(r.id))), ...inline];
}

/** Points references to inline Observations at contained copies of them. */
export function containInline(resource: FhirJson, inline: readonly FhirJson[]): FhirJson {
  const byReference = new Map(inline.map((o) => [`Observation/${String(o.id)}`, o]));
  const used = new Map<string, FhirJson>();
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object' || value.constructor !== Object) return value;
    const out: FhirJson = {};
    for (const [key, child] of Object.entries(value as FhirJson)) {
      const target = key === 'reference' && typeof child === 'string' ? byReference.get(child) : undefined;
      if (target) {
        used.set(String(target.id), target);
        out[key] = `#${String(target.id)}`;
      } else out[key] = walk(child);
    }
    return out;
  };
  const rewritten = walk(resource) as FhirJson;
  if (used.size === 0) return rewritten;
  const { resourceType, id, meta, text, ...rest } = rewritten;
  return {
    resourceType,
    ...(id !== undefined ? { id } : {}),
    ...(meta !== undefined ? { meta } : {}),
    ...(text !== undefined ? { text } : {}),
    contained: [...used.values()].map(({ text: _text, ...observation }) => observation),
    ...rest,
  };
}

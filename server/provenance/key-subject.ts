import { compartmentParams } from '../fhir/search/compartments.ts';
import type { SearchParameterRegistry } from '../fhir/search/definitions/search-parameters.ts';
import type { Extractor, NodeVisitor } from '../fhir/search/definitions/typed-node.ts';
import { referenceParts } from '../fhir/search/values/reference-parts.ts';
import { SHARED_SUBJECT } from './anchor-window.ts';

/**
 * The key a version's bundle is sealed under: its patient's, or the shared key for versions
 * outside every patient compartment. A version belongs to the first patient that the R4 Patient
 * CompartmentDefinition's parameters for its type point at, in the definition's order (for an
 * Observation `subject` before `performer`); a Patient belongs to itself. One key per version, so
 * erasing a patient shreds exactly the bundles of the versions assigned to them.
 */
export class KeySubjects {
  private readonly extractors = new Map<string, Extractor[]>();
  private readonly firstPatient: FirstPatient;

  constructor(
    private readonly registry: SearchParameterRegistry,
    baseUrl: string,
  ) {
    this.firstPatient = new FirstPatient(baseUrl);
  }

  of(type: string, id: string, resource: Record<string, unknown>): string {
    if (type === 'Patient') return `Patient/${id}`;
    // Called twice for every version device ingest writes (its payload's keys, then the sealer):
    // one visitor, no node list, and a plain `Patient/<id>` reference is returned as it is.
    const visitor = this.firstPatient;
    visitor.found = undefined;
    for (const extract of this.extractorsFor(type)) {
      extract.each(resource, visitor);
      if (visitor.found !== undefined) return visitor.found;
    }
    return SHARED_SUBJECT;
  }

  /**
   * The keys that wrap a payload written for these resources: each patient among their subjects,
   * or the shared key alone when none is in a patient compartment.
   */
  payloadSubjects(resources: Iterable<{ type: string; id: string; resource: Record<string, unknown> }>): string[] {
    const patients = new Set<string>();
    for (const { type, id, resource } of resources) {
      const subject = this.of(type, id, resource);
      if (subject !== SHARED_SUBJECT) patients.add(subject);
    }
    return patients.size > 0 ? [...patients] : [SHARED_SUBJECT];
  }

  /** Search parameter codes that put a `type` into a patient compartment (for finding them in idx_reference). */
  compartmentCodes(type: string): string[] {
    return compartmentParams('Patient', type) ?? [];
  }

  private extractorsFor(type: string): Extractor[] {
    let list = this.extractors.get(type);
    if (!list) {
      const params = this.registry.paramsFor(type);
      list = this.compartmentCodes(type).flatMap((code) => {
        const extract = params.get(code)?.extract;
        return extract ? [extract] : [];
      });
      this.extractors.set(type, list);
    }
    return list;
  }
}

const PATIENT_REFERENCE = /^Patient\/[A-Za-z0-9\-.]{1,64}$/;

/** Keeps the first reference to a Patient of this server among the values visited. */
class FirstPatient implements NodeVisitor {
  found: string | undefined;

  constructor(private readonly baseUrl: string) {}

  visit(value: any, type: string): void {
    if (this.found !== undefined || type !== 'Reference') return;
    const reference = (value as { reference?: unknown } | undefined)?.reference;
    if (typeof reference !== 'string') return;
    if (PATIENT_REFERENCE.test(reference)) {
      this.found = reference;
      return;
    }
    const parts = referenceParts(reference, this.baseUrl);
    if (parts?.type === 'Patient' && parts.id && !parts.url) this.found = `Patient/${parts.id}`;
  }
}

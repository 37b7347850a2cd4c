import { definitionsOfType } from '../../../conformance/definition-package.ts';

/**
 * Compartment membership from the R4 CompartmentDefinitions: for a compartment type (Patient,
 * Encounter, RelatedPerson, Practitioner, Device) and a resource type, the search parameters
 * that link a resource into the compartment.
 */
let compartments: Map<string, Map<string, string[]>> | undefined;

export function compartmentParams(compartmentType: string, resourceType: string): string[] | undefined {
  compartments ??= new Map(
    definitionsOfType('CompartmentDefinition')
      .filter((definition) => definition.url?.startsWith('http://hl7.org/fhir/CompartmentDefinition/'))
      .map((definition) => [
        definition.code as string,
        new Map<string, string[]>((definition.resource ?? []).filter((r: any) => r.param?.length).map((r: any) => [r.code, r.param])),
      ]),
  );
  return compartments.get(compartmentType)?.get(resourceType);
}

export function compartmentResourceTypes(compartmentType: string): string[] {
  compartmentParams(compartmentType, '');
  return [...(compartments!.get(compartmentType)?.keys() ?? [])];
}

export function isCompartmentType(type: string): boolean {
  compartmentParams(type, '');
  return compartments!.has(type);
}

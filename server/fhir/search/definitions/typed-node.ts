/** A value found in a resource together with its FHIR type ("Coding", "dateTime", "Reference", ...). */
export interface TypedNode {
  value: any;
  type: string;
  /** For `code` elements bound to a value set drawn from one code system: that system. */
  system?: string;
}

export type Extractor = (resource: Record<string, any>) => TypedNode[];

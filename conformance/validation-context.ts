import type { IssueKind, IssueSeverity, ValidationIssue } from './validation-issue.ts';

export type JsonObject = Record<string, unknown>;

/** Called after a (non-contained) resource has been walked, e.g. to check its claimed profiles. */
export type ResourceVisitor = (resource: JsonObject, path: string, ctx: ValidationContext) => void;

/**
 * State of one validation run: the issues found so far and the resources FHIRPath's %resource and
 * %rootResource stand for at the current point of the walk. Paths are passed down the walk as
 * strings (cheap rope concatenation in V8) and only materialised when an issue is reported.
 */
export class ValidationContext {
  readonly issues: ValidationIssue[] = [];
  /** The resource being walked (%resource): a Bundle entry or contained resource inside its container. */
  resource: JsonObject;
  /** The outermost resource of the current entry (%rootResource): the container of contained resources. */
  rootResource: JsonObject;
  /** Inside a Bundle, urn:uuid:/urn:oid: and conditional references can be resolved by the Bundle. */
  inBundle: boolean;
  /** Walking a contained resource (dom-6 does not apply to those). */
  inContained = false;
  onResource?: ResourceVisitor;
  private readonly plainCopies = new Map<object, unknown>();

  constructor(resource: JsonObject, inBundle: boolean) {
    this.resource = resource;
    this.rootResource = resource;
    this.inBundle = inBundle;
  }

  /** A copy with plain numbers for fhirpath.js, made once per object per run (only if it holds decimals). */
  plain<T>(value: T, convert: (v: T) => T): T {
    if (value === null || typeof value !== 'object') return value;
    let copy = this.plainCopies.get(value as object) as T | undefined;
    if (copy === undefined) this.plainCopies.set(value as object, (copy = convert(value)));
    return copy;
  }

  report(severity: IssueSeverity, code: string, kind: IssueKind, diagnostics: string, path: string): void {
    this.issues.push({ severity, code, diagnostics, expression: [path], kind });
  }

  /** Structural error: the JSON does not match the definitions (400). */
  structure(code: string, diagnostics: string, path: string): void {
    this.issues.push({ severity: 'error', code, diagnostics, expression: [path], kind: 'structure' });
  }

  /** Rule error: invariant, binding or profile rule (422). */
  rule(code: string, diagnostics: string, path: string, severity: IssueSeverity = 'error'): void {
    this.issues.push({ severity, code, diagnostics, expression: [path], kind: 'rule' });
  }
}

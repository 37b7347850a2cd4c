export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';

/**
 * Which HTTP status a failing issue maps to: 'structure' problems (unknown element, wrong type or
 * format, JSON shape, base cardinality) make the request unreadable (400); 'rule' problems
 * (invariants, bindings, profile rules) make it unprocessable (422). Structure wins when both occur.
 */
export type IssueKind = 'structure' | 'rule';

export interface ValidationIssue {
  severity: IssueSeverity;
  /** FHIR IssueType code: structure, required, value, invariant, code-invalid, invalid, not-supported, ... */
  code: string;
  /** Names the element and the problem; never echoes more of a value than is needed to find it. */
  diagnostics: string;
  /** FHIRPath of the offending element, choice types written as `value.ofType(Quantity)`. */
  expression?: string[];
  kind: IssueKind;
}

import { FhirDecimal } from '../server/fhir/json/index.ts';

const MAX_ECHO = 40;

/** What kind of JSON value was found, for "must be X, found Y" diagnostics. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof FhirDecimal) return 'a JSON number';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a JSON ${typeof value}`;
}

/** A value quoted for a diagnostic, cut short so long (possibly identifying) strings are not echoed. */
export function quoteValue(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > MAX_ECHO ? text.slice(0, MAX_ECHO) + '…' : text);
}

/** True when any issue makes the resource invalid (severity error or fatal). */
export function hasErrors(issues: readonly ValidationIssue[]): boolean {
  return issues.some((issue) => issue.severity === 'error' || issue.severity === 'fatal');
}

/** The HTTP status a failed validation should produce: 400 for structure errors, else 422; undefined when valid. */
export function failureStatus(issues: readonly ValidationIssue[]): 400 | 422 | undefined {
  let status: 400 | 422 | undefined;
  for (const issue of issues) {
    if (issue.severity !== 'error' && issue.severity !== 'fatal') continue;
    if (issue.kind === 'structure') return 400;
    status = 422;
  }
  return status;
}

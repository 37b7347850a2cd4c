import { validateResource, type ValidateOptions, type ValidationIssue } from '../../conformance/validate.ts';
import { parseJson } from '../../server/fhir/json/index.ts';

/** Validate JSON text the way the server does: parsed with the precision-keeping parser. */
export function validateText(text: string, options?: ValidateOptions): ValidationIssue[] {
  return validateResource(parseJson(text), options);
}

export function errors(issues: ValidationIssue[]): ValidationIssue[] {
  return issues.filter((issue) => issue.severity === 'error' || issue.severity === 'fatal');
}

/** The single error reported at `expression` (fails the test when there is none or several). */
export function errorAt(issues: ValidationIssue[], expression: string): ValidationIssue {
  const found = errors(issues).filter((issue) => issue.expression?.[0] === expression);
  if (found.length !== 1) {
    throw new Error(`expected one error at ${expression}, found ${found.length}: ${JSON.stringify(errors(issues), null, 1)}`);
  }
  return found[0];
}

/** A minimal valid Observation to build test cases from. */
export function observation(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    id: 'obs-1',
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Heart rate 72/min</div>' },
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: 'Patient/p1' },
    ...extra,
  };
}

/** A minimal valid Patient. */
export function patient(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    id: 'p1',
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Jane Doe</div>' },
    ...extra,
  };
}

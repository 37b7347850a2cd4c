/** FHIR IssueType codes used by this server (http://hl7.org/fhir/issue-type). */
export type IssueCode =
  | 'invalid' | 'structure' | 'required' | 'value' | 'invariant' | 'security' | 'login' | 'forbidden'
  | 'processing' | 'not-supported' | 'duplicate' | 'multiple-matches' | 'not-found' | 'deleted' | 'too-long'
  | 'code-invalid' | 'extension' | 'too-costly' | 'business-rule' | 'conflict' | 'transient' | 'lock-error'
  | 'exception' | 'timeout' | 'informational' | 'incomplete' | 'throttled';

export interface Issue {
  severity: 'fatal' | 'error' | 'warning' | 'information';
  code: IssueCode | string;
  diagnostics: string;
  /** FHIRPath of the offending element, or the request part (e.g. "Bundle.entry[2].request.url", "http.If-Match"). */
  expression?: string[];
}

/** An error that becomes an OperationOutcome response with this HTTP status. */
export class FhirError extends Error {
  readonly issues: Issue[];
  constructor(
    readonly status: number,
    issues: Issue | Issue[],
    readonly headers: Record<string, string> = {},
  ) {
    const list = Array.isArray(issues) ? issues : [issues];
    super(list.map((issue) => issue.diagnostics).join('; '));
    this.issues = list;
  }
}

export function operationOutcome(issues: Issue[]): Record<string, unknown> {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((issue) => ({
      severity: issue.severity,
      code: issue.code,
      diagnostics: issue.diagnostics,
      ...(issue.expression?.length ? { expression: issue.expression } : {}),
    })),
  };
}

const error = (code: IssueCode, diagnostics: string, expression?: string[]): Issue => ({ severity: 'error', code, diagnostics, expression });

export const badRequest = (diagnostics: string, expression?: string[], code: IssueCode = 'invalid') =>
  new FhirError(400, error(code, diagnostics, expression));
export const notFound = (diagnostics: string) => new FhirError(404, error('not-found', diagnostics));
export const gone = (diagnostics: string, headers: Record<string, string> = {}) => new FhirError(410, error('deleted', diagnostics), headers);
export const methodNotAllowed = (diagnostics: string) => new FhirError(405, error('not-supported', diagnostics));
export const conflict = (diagnostics: string, code: IssueCode = 'conflict') => new FhirError(409, error(code, diagnostics));
export const preconditionFailed = (diagnostics: string, code: IssueCode = 'conflict', expression?: string[]) =>
  new FhirError(412, error(code, diagnostics, expression));
export const unprocessable = (diagnostics: string, expression?: string[], code: IssueCode = 'processing') =>
  new FhirError(422, error(code, diagnostics, expression));
export const forbidden = (diagnostics: string) => new FhirError(403, error('forbidden', diagnostics));
export const notSupported = (diagnostics: string, status = 400) => new FhirError(status, error('not-supported', diagnostics));

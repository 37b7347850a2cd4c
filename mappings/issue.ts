/**
 * A problem found while mapping: severity and code follow FHIR OperationOutcome.issue so the
 * server can copy them, diagnostics is for people, location says where (payload index + path,
 * HL7 segment-field, XML line, or template line:column).
 */
export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';

export type IssueCode =
  | 'invalid'
  | 'structure'
  | 'required'
  | 'value'
  | 'code-invalid'
  | 'not-supported'
  | 'business-rule'
  | 'incomplete'
  | 'processing'
  | 'not-found'
  | 'duplicate'
  | 'informational';

export interface IssueLocation {
  /** What the location refers to: the device payload, the mapping template, or the produced Observation. */
  source: 'payload' | 'template' | 'observation';
  /** 0-based index of the payload within the request body. */
  payloadIndex?: number;
  /** JSONPath into a JSON payload or template (`$.body.heart_rate.value`), `OBX[3]-5` for HL7 v2, `value[2..3]` for BLE bytes. */
  path?: string;
  /** 1-based line and column in the text (template sent as text, XML export, NDJSON line, HL7 message). */
  line?: number;
  column?: number;
  /** FHIRPath of the offending element in the produced Observation. */
  expression?: string;
}

export interface MappingIssue {
  severity: IssueSeverity;
  code: IssueCode;
  diagnostics: string;
  location?: IssueLocation;
}

export function hasErrors(issues: readonly MappingIssue[]): boolean {
  return issues.some((issue) => issue.severity === 'error' || issue.severity === 'fatal');
}

/** A location string for messages: `payload 3 at $.body.x`, `template line 4, column 9`. */
export function describeLocation(location: IssueLocation | undefined): string {
  if (!location) return '';
  const parts: string[] = [];
  if (location.payloadIndex !== undefined) parts.push(`payload ${location.payloadIndex}`);
  else parts.push(location.source);
  if (location.path) parts.push(`at ${location.path}`);
  if (location.line !== undefined) parts.push(`line ${location.line}${location.column !== undefined ? `, column ${location.column}` : ''}`);
  if (location.expression) parts.push(`(${location.expression})`);
  return parts.join(' ');
}

/** Thrown by payload decoders for input that cannot be read at all; mapPayloads turns it into an error issue. */
export class PayloadError extends Error {
  constructor(
    message: string,
    readonly path?: string,
    readonly code: IssueCode = 'invalid',
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

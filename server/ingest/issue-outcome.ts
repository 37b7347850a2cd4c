import type { IssueLocation, MappingIssue } from '../../mappings/issue.ts';

/** An OperationOutcome.issue as $ingest and $map send it (location strings beside FHIRPath). */
export interface OutcomeIssue {
  severity: MappingIssue['severity'];
  code: string;
  diagnostics: string;
  location?: string[];
  expression?: string[];
}

/** Long outcomes stay readable: the first issues are listed, the rest counted. */
const MAX_ISSUES = 200;

/**
 * Where an issue is, as one string: `payload[3] $.body.heart_rate.value (line 4, column 7)`,
 * `template device line 12, column 9`, `payload[0] Observation.valueQuantity`. Payload indexes
 * count from 0 in request order (array element, NDJSON line, HL7 message, `payload` part).
 */
export function locationText(location: IssueLocation | undefined): string | undefined {
  if (!location) return undefined;
  const parts: string[] = [];
  if (location.source === 'template') parts.push('template');
  if (location.payloadIndex !== undefined) parts.push(`payload[${location.payloadIndex}]`);
  else if (location.source === 'payload') parts.push('payload');
  if (location.path) parts.push(location.path);
  if (location.expression) parts.push(location.expression);
  if (location.line !== undefined) parts.push(`(line ${location.line}${location.column !== undefined ? `, column ${location.column}` : ''})`);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/**
 * One mapping issue as an OperationOutcome issue. `location` carries the payload or template
 * position; `expression` the FHIRPath of the Observation element, or of the Parameters part the
 * payload came in when the request was a Parameters resource.
 */
export function outcomeIssue(issue: MappingIssue, payloadExpression?: (index: number) => string | undefined): OutcomeIssue {
  const where = locationText(issue.location);
  const expression: string[] = [];
  if (issue.location?.payloadIndex !== undefined && payloadExpression) {
    const part = payloadExpression(issue.location.payloadIndex);
    if (part) expression.push(part);
  }
  if (issue.location?.expression) expression.push(issue.location.expression);
  return {
    severity: issue.severity,
    code: issue.code,
    diagnostics: where ? `${where}: ${issue.diagnostics}` : issue.diagnostics,
    ...(where ? { location: [where] } : {}),
    ...(expression.length ? { expression } : {}),
  };
}

export function operationOutcomeOf(issues: OutcomeIssue[]): Record<string, unknown> {
  const listed = issues.length > MAX_ISSUES ? issues.slice(0, MAX_ISSUES) : issues;
  const out = listed.map((issue) => ({ ...issue }));
  if (issues.length > MAX_ISSUES) {
    out.push({ severity: 'information', code: 'informational', diagnostics: `${issues.length - MAX_ISSUES} further issue(s) not listed` });
  }
  return { resourceType: 'OperationOutcome', issue: out.length > 0 ? out : [{ severity: 'information', code: 'informational', diagnostics: 'No issues' }] };
}

/** An error about input that cannot be read at all (malformed JSON, HL7, hex, unsupported characteristic). */
export function isUnreadable(issue: MappingIssue): boolean {
  return (issue.severity === 'error' || issue.severity === 'fatal') && (issue.code === 'structure' || issue.code === 'invalid' || issue.code === 'not-supported');
}

/** Malformed input (unreadable JSON, HL7, hex, unsupported characteristic) is 400; readable input that cannot become valid Observations is 422. */
export function statusOf(issues: readonly MappingIssue[]): 400 | 422 {
  return issues.some(isUnreadable) ? 400 : 422;
}

import type { InteractionContext } from '../fhir/context.ts';
import type { OperationHandler } from '../fhir/operations/operation-registry.ts';
import { badRequest } from '../fhir/outcome.ts';
import { queryValue, type FhirRequest, type FhirResponse } from '../fhir/request.ts';
import { auditAnchors, type AuditDeps, type AuditReport } from './audit.ts';

/**
 * [base]/$audit?from=…&to=… (dateTimes; `to` defaults to now): the ledger audit of audit.ts as a
 * Parameters: `ok`, counts, and one `finding` part per discrepancy (kind, reference, window,
 * root, transaction, detail). Also takes the same two parameters in a POSTed Parameters.
 */
export function auditOperation(deps: Omit<AuditDeps, 'db'> & { db: AuditDeps['db'] }): OperationHandler {
  return {
    name: 'audit',
    levels: ['system'],
    definition: 'urn:vitalchain:OperationDefinition/audit',
    allowGet: true,
    documentation:
      'Ledger audit over a time range: every root anchored on-chain in [from, to] is matched with its window; each leaf of its manifest must still have its record and its stored version must still hash to it (deleted or altered rows are reported, named from the encrypted bundles when their records are gone); windows the database calls anchored must be on-chain.',
    async handle(_ctx: InteractionContext, request: FhirRequest): Promise<FhirResponse> {
      const [from, to] = range(request);
      return { status: 200, body: { resource: auditParameters(await auditAnchors(deps, from, to)) } };
    },
  };
}

function range(request: FhirRequest): [Date, Date] {
  const body = request.body as { resourceType?: string; parameter?: { name: string; valueDateTime?: string; valueInstant?: string }[] } | undefined;
  const fromBody = (name: string) => body?.parameter?.find((p) => p.name === name);
  const value = (name: string) => queryValue(request.query, name) ?? fromBody(name)?.valueDateTime ?? fromBody(name)?.valueInstant;
  const parse = (name: string, fallback?: Date): Date => {
    const text = value(name);
    if (text === undefined && fallback) return fallback;
    const date = text === undefined ? undefined : new Date(text);
    if (!date || Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(text!)) throw badRequest(`$audit needs '${name}' as a dateTime (e.g. 2024-05-01T00:00:00Z)`, [name], 'required');
    return date;
  };
  const from = parse('from');
  const to = parse('to', new Date());
  if (to < from) throw badRequest("'to' is before 'from'", ['to'], 'value');
  return [from, to];
}

export function auditParameters(report: AuditReport): Record<string, unknown> {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'ok', valueBoolean: report.findings.length === 0 },
      { name: 'from', valueInstant: report.from },
      { name: 'to', valueInstant: report.to },
      { name: 'anchorsOnChain', valueUnsignedInt: report.anchorsOnChain },
      { name: 'windowsChecked', valueUnsignedInt: report.windowsChecked },
      { name: 'leavesChecked', valueUnsignedInt: report.leavesChecked },
      { name: 'erasedLeaves', valueUnsignedInt: report.erasedLeaves },
      { name: 'pendingWindows', valueUnsignedInt: report.pendingWindows },
      ...report.findings.map((finding) => ({
        name: 'finding',
        part: [
          { name: 'kind', valueCode: finding.kind },
          ...(finding.reference ? [{ name: 'reference', valueString: finding.reference }] : []),
          ...(finding.window !== undefined ? [{ name: 'window', valueUnsignedInt: finding.window }] : []),
          ...(finding.root ? [{ name: 'root', valueString: finding.root }] : []),
          ...(finding.txHash ? [{ name: 'transaction', valueString: finding.txHash }] : []),
          { name: 'detail', valueString: finding.detail },
        ],
      })),
    ],
  };
}

import type { CommittedWrite } from '../../store/repository.ts';
import type { InteractionContext } from '../context.ts';
import { operationOutcome } from '../outcome.ts';
import { parsePrefer } from '../prefer.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { versionHeaders } from '../versioning-headers.ts';

/** The response to a create/update/patch, shaped by Prefer: return=minimal|representation|OperationOutcome. */
export function writeResponse(ctx: InteractionContext, request: FhirRequest, result: CommittedWrite, status: number, message?: string): FhirResponse {
  const headers = versionHeaders(ctx.services.config.BASE_URL, result.type, result.id, result.version, result.lastUpdated);
  const preference = parsePrefer(request.headers.prefer).return ?? 'representation';
  if (preference === 'minimal') return { status, headers };
  if (preference === 'OperationOutcome') {
    const diagnostics = message ?? `${result.type}/${result.id} version ${result.version} ${result.created ? 'created' : result.action === 'none' ? 'unchanged' : 'updated'}`;
    return { status, headers, body: { resource: operationOutcome([{ severity: 'information', code: 'informational', diagnostics }]) } };
  }
  return { status, headers, body: { json: result.json! } };
}

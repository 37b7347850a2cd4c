import type { Response } from 'express';
import type { Logger } from '../log.ts';
import { FhirError, operationOutcome } from '../fhir/outcome.ts';
import { sendFhir } from './send.ts';

/**
 * Every error leaves as an OperationOutcome. Client mistakes carry their own status; anything
 * unexpected is logged (with the stack, never the request content) and answered with a 500 that
 * reveals nothing internal.
 */
export function sendError(res: Response, error: unknown, log: Logger, requestId: string): void {
  let fhirError: FhirError;
  if (error instanceof FhirError) fhirError = error;
  else if (error instanceof URIError) fhirError = new FhirError(400, { severity: 'error', code: 'invalid', diagnostics: 'Malformed percent-encoding in the URL' });
  else {
    log.error({ err: error, requestId }, 'unexpected error');
    fhirError = new FhirError(500, { severity: 'fatal', code: 'exception', diagnostics: `Internal server error (request ${requestId})` });
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendFhir(res, { status: fhirError.status, headers: fhirError.headers, body: { resource: operationOutcome(fhirError.issues) } }, { contentType: 'application/fhir+json', pretty: false }, false);
}

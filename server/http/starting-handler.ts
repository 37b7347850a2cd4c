import type { IncomingMessage, ServerResponse } from 'node:http';
import { operationOutcome } from '../fhir/outcome.ts';

/**
 * Answers requests that arrive while the server is bound but not ready (migrations, features,
 * validator compilation). Without it the socket accepts them and nobody replies: clients hang
 * until their own timeout. /healthz says the process is alive; everything else is a 503
 * OperationOutcome with Retry-After, so clients and load balancers come back shortly.
 */
export function startingHandler(request: IncomingMessage, response: ServerResponse): void {
  if (request.url === '/healthz') {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ status: 'starting' }));
    return;
  }
  const body = JSON.stringify(operationOutcome([{ severity: 'error', code: 'transient', diagnostics: 'The server is starting; retry shortly' }]));
  // Drain the request body so a client still sending it gets the answer instead of a reset.
  request.resume();
  response.writeHead(503, { 'Content-Type': 'application/fhir+json', 'Retry-After': '1', Connection: 'close' });
  response.end(body);
}

import { randomUUID } from 'node:crypto';
import express, { type Express, type Request, type Response } from 'express';
import type { FhirServices, InteractionContext } from '../fhir/context.ts';
import { FhirError } from '../fhir/outcome.ts';
import { parseQueryString, queryValue, type FhirMethod, type FhirRequest } from '../fhir/request.ts';
import { route, routeStreamsBody } from '../fhir/router.ts';
import { principalFromHeaders } from './authorization.ts';
import { readWholeBody } from './body.ts';
import { StreamedBody } from './body-stream.ts';
import { sendError } from './errors.ts';
import { mountHealth } from './health.ts';
import { negotiate } from './negotiation.ts';
import { sendFhir } from './send.ts';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export interface HttpApp {
  app: Express;
  mountFallbacks(): void;
  /** Requests currently being handled (graceful shutdown waits for them). */
  inFlight(): number;
  setShuttingDown(): void;
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export function createApp(services: FhirServices): HttpApp {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);
  let active = 0;
  let shuttingDown = false;
  mountHealth(app, services.db, () => shuttingDown);

  app.all(['/fhir', '/fhir/{*rest}'], async (req: Request, res: Response) => {
    const requestId = (header(req, 'x-request-id') ?? randomUUID()).slice(0, 64);
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    active++;
    let status = 500;
    let streamed: StreamedBody | undefined;
    try {
      const rawUrl = req.originalUrl;
      const question = rawUrl.indexOf('?');
      const query = question < 0 ? [] : parseQueryString(rawUrl.slice(question + 1));
      const format = negotiate(queryValue(query, '_format'), header(req, 'accept'), queryValue(query, '_pretty'));
      if (!METHODS.has(req.method)) throw new FhirError(405, { severity: 'error', code: 'not-supported', diagnostics: `${req.method} is not a FHIR interaction` });
      const path = (question < 0 ? rawUrl : rawUrl.slice(0, question)).replace(/^\/fhir\/?/, '').replace(/\/+$/, '');
      const request: FhirRequest = {
        method: req.method as FhirMethod,
        path,
        query,
        headers: {
          contentType: header(req, 'content-type'),
          ifMatch: header(req, 'if-match'),
          ifNoneMatch: header(req, 'if-none-match'),
          ifModifiedSince: header(req, 'if-modified-since'),
          ifNoneExist: header(req, 'if-none-exist'),
          prefer: header(req, 'prefer'),
        },
      };
      const ctx: InteractionContext = { services, principal: principalFromHeaders(req.headers), requestId };
      if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
        // An operation that declares streamsBody reads the body itself, once route() has authorized it.
        if (routeStreamsBody(ctx, request)) request.bodyStream = streamed = new StreamedBody(req, services.config.MAX_BODY_BYTES);
        else await readWholeBody(req, request, services.config.MAX_BODY_BYTES);
      }
      const response = await route(ctx, request);
      status = response.status;
      sendFhir(res, response, format, req.method === 'HEAD');
    } catch (error) {
      status = error instanceof FhirError ? error.status : 500;
      sendError(res, error, services.log, requestId);
    } finally {
      streamed?.discard();
      active--;
      // Access log: method, status and timing only. Paths and queries can carry identifiers and names (PHI).
      services.log.debug({ requestId, method: req.method, status, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
    }
  });

  /** The 404 and error handlers go last, after features have mounted their routes. */
  const mountFallbacks = () => {
    app.use((req: Request, res: Response) => {
      sendError(res, new FhirError(404, { severity: 'error', code: 'not-found', diagnostics: `No endpoint at ${req.path.slice(0, 100)}; the FHIR base is /fhir` }), services.log, '-');
    });
    // Errors raised by express itself (e.g. a path it cannot decode) also leave as OperationOutcomes.
    app.use((error: unknown, _req: Request, res: Response, _next: () => void) => {
      sendError(res, error instanceof FhirError || error instanceof URIError ? error : new FhirError(400, { severity: 'error', code: 'invalid', diagnostics: 'Malformed request' }), services.log, '-');
    });
  };
  return { app, mountFallbacks, inFlight: () => active, setShuttingDown: () => (shuttingDown = true) };
}

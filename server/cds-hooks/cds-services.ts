/**
 * CDS Hooks 2.0 endpoints, mounted beside the FHIR base (not under /fhir):
 *   GET  /cds-services                   discovery
 *   POST /cds-services/vitalchain-risk   patient-view → one card per model with its latest score
 * Responses are CDS Hooks JSON, not FHIR: errors are `{ "error": "..." }` with 400 or 404.
 * CORS is open because EHR front ends call services from the browser. Client JWTs are not yet
 * verified: the FHIR reads behind a card go through the server's authorization seam instead.
 */
import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { FhirServices, InteractionContext } from '../fhir/context.ts';
import { FhirError } from '../fhir/outcome.ts';
import { principalFromHeaders } from '../http/authorization.ts';
import { assessmentsFor, latestPerModel, patientFor, PREFETCH } from './latest-assessments.ts';
import { parsePatientView } from './patient-view-request.ts';
import { indicatorFor, riskCard } from './risk-card.ts';

export const RISK_SERVICE_ID = 'vitalchain-risk';

const SEVERITY = { critical: 0, warning: 1, info: 2 } as const;

export function discovery() {
  return {
    services: [
      {
        hook: 'patient-view',
        id: RISK_SERVICE_ID,
        title: 'VitalChain risk scores',
        description:
          "The patient's latest risk scores (NEWS2 and the other models this server runs), each with its band, explanation and a link to the RiskAssessment.",
        prefetch: PREFETCH,
      },
    ],
  };
}

function cors(res: Response): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
}

export function mountCdsHooks(app: Express, services: FhirServices): void {
  const router = express.Router();
  router.options(['/cds-services', '/cds-services/{*rest}'], (_req, res) => {
    cors(res);
    res.status(204).end();
  });
  router.get('/cds-services', (_req, res) => {
    cors(res);
    res.json(discovery());
  });
  router.post('/cds-services/:id', express.json({ limit: '2mb', type: ['application/json', 'application/*+json'] }), async (req: Request, res: Response, next: NextFunction) => {
    cors(res);
    if (req.params.id !== RISK_SERVICE_ID) {
      res.status(404).json({ error: `No CDS service '${String(req.params.id).slice(0, 64)}'` });
      return;
    }
    const parsed = parsePatientView(req.body);
    if (!parsed.ok) {
      res.status(400).json({ error: parsed.error });
      return;
    }
    try {
      const { context, prefetch } = parsed.request;
      const ctx: InteractionContext = { services, principal: principalFromHeaders(req.headers), requestId: randomUUID() };
      const patient = await patientFor(ctx, context.patientId, prefetch);
      if (!patient) {
        res.json({ cards: [] });
        return;
      }
      const latest = latestPerModel(await assessmentsFor(ctx, context.patientId, prefetch), `Patient/${context.patientId}`);
      const cards = latest
        .sort((a, b) => SEVERITY[indicatorFor(a)] - SEVERITY[indicatorFor(b)])
        .map((assessment) => riskCard(assessment, services.config.BASE_URL, randomUUID()));
      res.json({ cards });
    } catch (error) {
      next(error);
    }
  });
  router.use('/cds-services', (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    cors(res);
    if (error instanceof FhirError && error.status < 500) {
      res.status(error.status).json({ error: error.message });
      return;
    }
    const type = (error as { type?: string })?.type;
    if (type === 'entity.parse.failed') res.status(400).json({ error: 'The request body is not valid JSON' });
    else if (type === 'entity.too.large') res.status(413).json({ error: 'The request body is too large' });
    else {
      services.log.error({ err: error }, 'CDS Hooks service failed');
      res.status(500).json({ error: 'Internal error' });
    }
  });
  app.use(router);
}

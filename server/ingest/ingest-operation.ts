import type { InteractionContext } from '../fhir/context.ts';
import { parseJson } from '../fhir/json/index.ts';
import type { OperationHandler, OperationTarget } from '../fhir/operations/operation-registry.ts';
import { badRequest, notFound, unprocessable } from '../fhir/outcome.ts';
import { parsePrefer } from '../fhir/prefer.ts';
import { queryValue, type FhirRequest, type FhirResponse } from '../fhir/request.ts';
import { readCurrent } from '../store/resource-reads.ts';
import type { Ingestor } from './ingestor.ts';
import { bodyOf, contextFromQuery, streamBodyOf } from './request-payloads.ts';

/**
 * POST [base]/$ingest?mapping=<id> and POST Device/[id]/$ingest: a raw device payload body
 * (JSON object, JSON array of payloads, NDJSON, HL7 v2 text, Apple Health XML), read and mapped
 * as it arrives, becomes Observations in one all-or-nothing commit; the answer is a
 * transaction-response Bundle with one entry per Observation (201 created, 200 already stored).
 * At instance level the Device gives the device identity (and, through Device.patient, the
 * patient) of payloads that name none.
 */
export function ingestOperation(ingestor: Ingestor): OperationHandler {
  return {
    name: 'ingest',
    levels: ['system', 'instance'],
    resourceTypes: ['Device'],
    definition: 'urn:vitalchain:OperationDefinition/ingest',
    allowGet: false,
    streamsBody: true,
    documentation:
      'Maps a device payload body (?mapping=<id>, auto-detected when absent; ?device=system|value, ?patient=, ?timeZone= for payloads lacking them) to Observations and stores them all or nothing; the same payload sent again creates nothing.',
    async handle(ctx: InteractionContext, request: FhirRequest, target: OperationTarget): Promise<FhirResponse> {
      // Over HTTP the body streams (an empty one is told by the ingestor); a bundle entry brings it whole.
      const body = streamBodyOf(request) ?? bodyOf(request);
      if (!body) throw badRequest('$ingest needs a device payload in the body', undefined, 'required');
      const context = contextFromQuery(request.query);
      if (target.level === 'instance') {
        if (target.version !== undefined) throw badRequest('$ingest applies to a Device, not to one of its versions', undefined, 'not-supported');
        const device = await readCurrent(ctx.services.db, 'Device', target.id!);
        if (!device || device.deleted) throw notFound(`Device/${target.id} is not known`);
        const identifier = ((parseJson(device.json!) as { identifier?: Array<{ system?: string; value?: string }> }).identifier ?? []).find((i) => i.system && i.value);
        if (!identifier) throw unprocessable(`Device/${target.id} has no identifier (system and value) to attribute readings to`, ['Device.identifier'], 'required');
        context.device ??= { system: identifier.system!, value: identifier.value! };
      }
      const reply = await ingestor.ingest({
        body,
        mapping: queryValue(request.query, 'mapping'),
        context,
        representation: parsePrefer(request.headers.prefer).return === 'representation',
        source: { requestId: ctx.requestId, channel: 'http', receivedAt: context.receivedAt! },
      });
      if (reply.status !== 200) return { status: reply.status, body: { resource: reply.outcome } };
      return { status: 200, body: { json: reply.bundle } };
    },
  };
}

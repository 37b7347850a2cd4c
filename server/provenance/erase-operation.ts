import type { InteractionContext } from '../fhir/context.ts';
import type { OperationHandler, OperationTarget } from '../fhir/operations/operation-registry.ts';
import { badRequest, notFound } from '../fhir/outcome.ts';
import type { FhirRequest, FhirResponse } from '../fhir/request.ts';
import { erasePatient, type ErasureDeps } from './erasure.ts';

/**
 * POST Patient/[id]/$erase: GDPR-style erasure by crypto-shredding (ERASURE.md). Answers a
 * Parameters with what was expunged. Repeating it is harmless; for an id that never existed and
 * left nothing behind it answers 404.
 */
export function eraseOperation(deps: ErasureDeps): OperationHandler {
  return {
    name: 'erase',
    levels: ['instance'],
    resourceTypes: ['Patient'],
    definition: 'urn:vitalchain:OperationDefinition/erase',
    allowGet: false,
    documentation:
      "Erases a patient: destroys the patient's key (their encrypted bundles on IPFS can no longer be decrypted) and expunges every resource of theirs from every table. Anchored roots and blocks stay, so all other proofs stay valid; $verify then reports the patient's versions as erased.",
    async handle(ctx: InteractionContext, request: FhirRequest, target: OperationTarget): Promise<FhirResponse> {
      if (target.version !== undefined) throw badRequest('$erase applies to a patient, not to one version of it', undefined, 'not-supported');
      if (ctx.tx) throw badRequest('$erase cannot run inside a transaction bundle', undefined, 'not-supported');
      const result = await erasePatient(deps, target.id!);
      const total = Object.values(result.resources).reduce((a, b) => a + b, 0);
      if (total === 0 && !result.keyDestroyed && result.anchoredLeaves === 0) throw notFound(`Patient/${target.id} is not known (nothing to erase)`);
      ctx.services.log.info({ resources: total, versions: result.versions }, 'patient erased');
      return {
        status: 200,
        body: {
          resource: {
            resourceType: 'Parameters',
            parameter: [
              { name: 'patient', valueString: result.subject },
              { name: 'keyDestroyed', valueBoolean: result.keyDestroyed },
              { name: 'versionsExpunged', valueUnsignedInt: result.versions },
              { name: 'leavesKeptAnchored', valueUnsignedInt: result.anchoredLeaves },
              { name: 'ingestPayloadsRemoved', valueUnsignedInt: result.ingestPayloads },
              ...Object.entries(result.resources).map(([type, count]) => ({ name: 'resourcesExpunged', part: [{ name: 'type', valueCode: type }, { name: 'count', valueUnsignedInt: count }] })),
            ],
          },
        },
      };
    },
  };
}

import { queryable, type InteractionContext } from '../fhir/context.ts';
import type { OperationHandler, OperationTarget } from '../fhir/operations/operation-registry.ts';
import { badRequest, gone, notFound } from '../fhir/outcome.ts';
import type { FhirRequest, FhirResponse } from '../fhir/request.ts';
import type { StoredVersion } from '../store/resource-reads.ts';
import { findVersion, verifyStoredVersion, type VerifyDeps, type VersionVerification } from './version-verification.ts';

/**
 * GET [type]/[id]/$verify and [type]/[id]/_history/[vid]/$verify: a Parameters with `verified`,
 * `status` (verified | pending | failed | unavailable | erased), the version, one `check` part per
 * check (name, outcome pass | fail | pending | unavailable | erased, reason) and, once anchored, `anchor`.
 */
export function verifyOperation(deps: VerifyDeps): OperationHandler {
  return {
    name: 'verify',
    levels: ['instance'],
    definition: 'urn:vitalchain:OperationDefinition/verify',
    allowGet: true,
    documentation:
      'Proves a stored version against its anchored Merkle root: stored bytes hash to the leaf; the Merkle path reaches the root of the manifest on IPFS; the root is on-chain (block, transaction); the encrypted bundle decrypts to the identical bytes. Not yet anchored: status pending.',
    async handle(ctx: InteractionContext, _request: FhirRequest, target: OperationTarget): Promise<FhirResponse> {
      const stored = await storedTarget({ ...deps, db: queryable(ctx) }, target);
      if ('erasedAt' in stored) return { status: 200, body: { resource: verificationParameters(erased(stored.reference, stored.erasedAt)) } };
      return { status: 200, body: { resource: verificationParameters(await verifyStoredVersion({ ...deps, db: queryable(ctx) }, stored)) } };
    },
  };
}

/** The content version an instance or version-level operation names, or what says it was erased. */
export async function storedTarget(deps: Pick<VerifyDeps, 'db'>, target: OperationTarget): Promise<StoredVersion | { erasedAt: string; reference: string }> {
  const version = target.version === undefined ? undefined : Number(target.version);
  if (version !== undefined && (!Number.isSafeInteger(version) || version < 1)) throw badRequest(`Version '${target.version}' is not a version number`, undefined, 'value');
  const reference = `${target.type}/${target.id}${version === undefined ? '' : `/_history/${version}`}`;
  const found = await findVersion(deps.db, target.type!, target.id!, version);
  if (!found) throw notFound(`${reference} is not known`);
  if ('erasedAt' in found) return { ...found, reference };
  if (found.deleted) throw gone(`${found.type}/${found.id}/_history/${found.version} is a deletion: it has no stored bytes to prove. Name a content version (_history/[vid]/$verify).`);
  return found;
}

function erased(reference: string, erasedAt: string): VersionVerification {
  const reason = `erased on ${erasedAt} at the patient's request ($erase): its content and keys are destroyed; its leaf stays anchored and every other proof in its windows stays valid`;
  return { status: 'erased', reference, erasedAt, checks: (['stored-bytes', 'merkle-proof', 'on-chain', 'bundle'] as const).map((name) => ({ name, outcome: 'erased', reason })) };
}

export function verificationParameters(result: VersionVerification): Record<string, unknown> {
  const anchor = result.anchor;
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'verified', valueBoolean: result.status === 'verified' },
      { name: 'status', valueCode: result.status },
      { name: 'version', valueString: result.reference },
      ...result.checks.map((check) => ({
        name: 'check',
        part: [
          { name: 'name', valueCode: check.name },
          { name: 'outcome', valueCode: check.outcome },
          { name: 'reason', valueString: check.reason },
        ],
      })),
      ...(anchor
        ? [
            {
              name: 'anchor',
              part: [
                { name: 'chainId', valueString: String(anchor.chainId) },
                { name: 'contract', valueString: anchor.contract },
                { name: 'transaction', valueString: anchor.txHash },
                { name: 'blockNumber', valueString: String(anchor.blockNumber) },
                { name: 'blockTime', valueInstant: anchor.blockTime },
                { name: 'merkleRoot', valueString: anchor.root },
                { name: 'manifest', valueString: `ipfs://${anchor.manifestCid}` },
                { name: 'leafIndex', valueUnsignedInt: anchor.leafIndex },
                { name: 'treeSize', valueUnsignedInt: anchor.treeSize },
              ],
            },
          ]
        : []),
      ...(result.erasedAt ? [{ name: 'erasedAt', valueInstant: result.erasedAt }] : []),
    ],
  };
}

import { queryable, type InteractionContext } from '../fhir/context.ts';
import type { OperationHandler, OperationTarget } from '../fhir/operations/operation-registry.ts';
import { badRequest, conflict, gone } from '../fhir/outcome.ts';
import { queryValue, type FhirRequest, type FhirResponse } from '../fhir/request.ts';
import { createProof } from './proof.ts';
import { leafOf, type VerifyDeps } from './version-verification.ts';
import { storedTarget } from './verify-operation.ts';
import { windowOfLeaf } from './window-store.ts';

/**
 * GET [type]/[id]/_history/[vid]/$provenance-proof (and [type]/[id]/$provenance-proof for the
 * current version): the self-contained proof of proof.ts as a JSON document, for
 * `vitalchain verify proof.json --rpc <url>`. The Merkle path comes from the manifest fetched by
 * CID, the anchor from the window. `includeBytes=false` leaves the stored bytes out (the proof then
 * carries their SHA-256 only). A version not anchored yet answers 409.
 */
export function proofOperation(deps: VerifyDeps): OperationHandler {
  return {
    name: 'provenance-proof',
    levels: ['instance'],
    definition: 'urn:vitalchain:OperationDefinition/provenance-proof',
    allowGet: true,
    documentation: 'Exports a self-contained provenance proof (vitalchain-provenance-proof/1) of a stored version: salt, leaf, RFC 9162 audit path, root, chain, contract, transaction, block and manifest CID. Check it offline with `vitalchain verify proof.json --rpc <url>`.',
    async handle(ctx: InteractionContext, request: FhirRequest, target: OperationTarget): Promise<FhirResponse> {
      const include = queryValue(request.query, 'includeBytes');
      if (include !== undefined && include !== 'true' && include !== 'false') throw badRequest('includeBytes is true or false', ['includeBytes'], 'value');
      const db = queryable(ctx);
      const stored = await storedTarget({ db }, target);
      if ('erasedAt' in stored) throw gone(`${stored.reference} was erased on ${stored.erasedAt}: nothing of it can be proven any more`);
      const reference = `${stored.type}/${stored.id}/_history/${stored.version}`;
      const leaf = await leafOf(db, stored.rid, stored.version);
      const window = leaf && (await windowOfLeaf(db, leaf.leafNo));
      if (!leaf || !window?.anchor) throw conflict(`${reference} is not anchored yet (pending): ask again once $verify says verified`, 'transient');
      const { manifest } = await deps.content.manifest(window.manifestCid!);
      const { rows } = await db.query<{ cid: string }>('SELECT cid FROM provenance_bundle WHERE window_id = $1 AND subject = $2', [window.windowId, leaf.subject]);
      const proof = createProof({
        version: { type: stored.type, id: stored.id, version: String(stored.version), bytes: Buffer.from(stored.json!), salt: leaf.salt },
        leafIndex: leaf.leafNo - window.firstLeaf,
        merkle: { manifest },
        anchor: { ...window.anchor, blockTime: Math.floor(Date.parse(window.anchor.blockTime) / 1000), root: window.root!, manifestCid: window.manifestCid! },
        ...(rows[0] ? { bundleCid: rows[0].cid } : {}),
        includeBytes: include !== 'false',
      });
      return {
        status: 200,
        headers: { 'Content-Disposition': `attachment; filename="${stored.type}-${stored.id}-${stored.version}.proof.json"` },
        body: { json: JSON.stringify(proof) },
      };
    },
  };
}

/**
 * Pieces of the Provenance resources the pipeline writes (window-provenance.ts, ingest-provenance.ts).
 *
 * Anchor details travel in one complex extension, `urn:vitalchain:provenance-anchor`:
 *
 *   chainId (valueString, decimal)   EVM chain id of the anchoring chain
 *   contract (valueString)           ProvenanceAnchor contract address
 *   transaction (valueString)        hash of the anchoring transaction
 *   blockNumber (valueString)        block of that transaction (decimal; may exceed 32 bits)
 *   merkleRoot (valueString)         0x-prefixed RFC 9162 root of the window
 *   leafCount (valueUnsignedInt)     leaves in the window
 *
 * Content in IPFS is named as an entity whose `what` is an identifier in the RFC 3986 system with
 * value `ipfs://<CIDv1>`: the manifest of a window, the encrypted payload of an ingest request.
 */
export const ANCHOR_EXTENSION_URL = 'urn:vitalchain:provenance-anchor';
export const AGENT_SYSTEM = 'urn:vitalchain:agent';
export const MAPPING_SYSTEM = 'urn:vitalchain:mapping';

const PARTICIPANT_TYPE = 'http://terminology.hl7.org/CodeSystem/provenance-participant-type';

export function participant(code: 'assembler' | 'performer' | 'author' | 'custodian', display: string) {
  return { coding: [{ system: PARTICIPANT_TYPE, code, display }] };
}

export function ipfsEntity(cid: string, display: string) {
  return { role: 'source', what: { identifier: { system: 'urn:ietf:rfc:3986', value: `ipfs://${cid}` }, display } };
}

export function anchorExtension(anchor: { chainId: number; contract: string; txHash: string; blockNumber: number; root: string; leafCount: number }) {
  return {
    url: ANCHOR_EXTENSION_URL,
    extension: [
      { url: 'chainId', valueString: String(anchor.chainId) },
      { url: 'contract', valueString: anchor.contract },
      { url: 'transaction', valueString: anchor.txHash },
      { url: 'blockNumber', valueString: String(anchor.blockNumber) },
      { url: 'merkleRoot', valueString: anchor.root },
      { url: 'leafCount', valueUnsignedInt: anchor.leafCount },
    ],
  };
}

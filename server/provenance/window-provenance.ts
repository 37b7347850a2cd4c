import type { WindowRow, WindowTargets } from './window-store.ts';
import { AGENT_SYSTEM, anchorExtension, ipfsEntity, participant } from './provenance-resource.ts';

/**
 * The Provenance of one anchored window: target = every version the window anchors (erased ones
 * left out), agent = the anchoring service, entity = the manifest on IPFS, and the chain, contract,
 * transaction, block and Merkle root in the anchor extension. Its id is fixed per window, so
 * writing it again after a crash is an update with identical content, which stores nothing.
 *
 * Such a Provenance is itself a new version, anchored in a later window. A window holding nothing
 * but these gets no Provenance of its own (`generated` leaves): that is what lets an idle server
 * fall idle instead of anchoring its own records forever.
 */
const PREFIX = 'vc-window-';

export function windowProvenanceId(windowId: number): string {
  return `${PREFIX}${windowId}`;
}

export function isWindowProvenanceId(id: string): boolean {
  return id.startsWith(PREFIX);
}

export function windowProvenance(window: WindowRow, named: WindowTargets): Record<string, unknown> {
  const anchor = window.anchor!;
  return {
    resourceType: 'Provenance',
    id: windowProvenanceId(window.windowId),
    extension: [anchorExtension({ ...anchor, root: window.root!, leafCount: named.leafCount })],
    target: named.targets,
    occurredPeriod: { start: named.firstCommitted, end: named.lastCommitted },
    recorded: anchor.blockTime,
    activity: { text: 'Merkle root of these versions anchored on an EVM chain; encrypted bundles stored on IPFS' },
    agent: [
      {
        type: participant('custodian', 'Custodian'),
        who: { identifier: { system: AGENT_SYSTEM, value: 'provenance-anchor' }, display: 'VitalChain provenance anchoring' },
      },
    ],
    entity: [ipfsEntity(window.manifestCid!, 'anchor manifest (root, leaves, encrypted bundle CIDs)')],
  };
}

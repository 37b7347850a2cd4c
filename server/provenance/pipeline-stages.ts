import type { Logger } from '../log.ts';
import type { Database } from '../store/database.ts';
import type { Repository, WriteOperation } from '../store/repository.ts';
import { windowKeySubjects } from './anchor-window.ts';
import type { WorkerStage } from './anchor-worker.ts';
import type { ProvenanceBackends } from './backends.ts';
import type { AnchorRecord } from './ledger.ts';
import { manifestDigest } from './manifest-digest.ts';
import type { WindowVersion } from './anchor-window.ts';
import type { Sealer } from './sealer.ts';
import { windowProvenance } from './window-provenance.ts';
import { assignWindows, lastAnchoredBlock, saveAnchored, saveBuilt, windowsWithStatus, windowTargets, windowVersions, type WindowRow } from './window-store.ts';

export interface StageDeps {
  db: Database;
  repository: Repository;
  backends: ProvenanceBackends;
  log: Logger;
  /** Holds what the consumer just hashed and seals windows (the database stays the fallback). */
  sealer: Sealer;
  /** Serialises a unit of work with $erase (AnchorWorker.exclusive). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Hands work to another lane of the worker (AnchorWorker.wake). */
  wake(lane: 'build' | 'anchor' | 'ingest'): void;
  /** Windows open and built, as the stages know them without looking (see WindowCount). */
  windows: { open: WindowCount; built: WindowCount };
}

/**
 * How many windows are in one state: as last looked up, plus what this process changed since.
 * Each stage woke for every batch or window the one before it handed on and looked its windows
 * up in provenance_window each time, mostly to find none or too few (~10 times a second at
 * 10,000 readings/s, each a statement of PGlite's time on the server's thread). Only the
 * process holding the worker's lease opens and builds windows, so a count kept here stays true
 * until the lease is lost; undefined means look it up.
 */
export class WindowCount {
  private value: number | undefined;
  private changes = 0;

  get known(): number | undefined {
    return this.value;
  }

  /** Call before looking up; pass what it returns to lookedUp. */
  lookingUp(): number {
    return this.changes;
  }

  /**
   * The count found. A change reported while the look-up ran may or may not be in it (the
   * stages of different lanes run concurrently): the count is then unknown, and looked up again.
   */
  lookedUp(count: number, mark: number): void {
    this.value = this.changes === mark ? count : undefined;
  }

  forget(): void {
    this.value = undefined;
  }

  add(count: number): void {
    this.changes++;
    if (this.value !== undefined) this.value += count;
  }
}

/** Leaves → windows: every full run of `leaves`, and the rest once its oldest leaf has waited `seconds`. */
export function assignStage(deps: StageDeps, leaves: number, seconds: number): WorkerStage {
  let due: number | undefined;
  return {
    name: 'assign',
    async run() {
      const assigned = await deps.exclusive(() => assignWindows(deps.db, leaves, seconds));
      deps.windows.open.add(assigned.opened);
      due = assigned.dueInMs === undefined ? undefined : Date.now() + assigned.dueInMs;
      return assigned.opened > 0;
    },
    dueInMs: () => (due === undefined ? undefined : due - Date.now()),
  };
}

/**
 * open → built: the window's versions — held by the sealer since they were hashed, or read back
 * from the database — become per-patient encrypted bundles and a manifest in the content store
 * (bundles first, the manifest last), then the row records root and CIDs. A few windows are built
 * at once (their block writes overlap), under the erase lock, so a patient's key is never
 * re-created for data being erased.
 */
export function buildStage(deps: StageDeps, concurrency = 3): WorkerStage {
  return {
    name: 'build',
    async run() {
      const { open, built } = deps.windows;
      if (open.known === 0) return false;
      const mark = open.lookingUp();
      const windows = await windowsWithStatus(deps.db, 'open', concurrency);
      // Unknown until they are all built: a failure leaves them open.
      open.forget();
      await deps.exclusive(() =>
        Promise.all(
          windows.map(async (window) => {
            let subjects = await deps.sealer.windowSubjects(window.firstLeaf, window.lastLeaf);
            let versions: WindowVersion[] | undefined;
            if (!subjects) {
              versions = await readWindow(deps, window);
              subjects = windowKeySubjects(versions);
            }
            const keys = await deps.backends.keys.patientKeys(subjects);
            const sealed = await deps.sealer.seal(window.firstLeaf, window.lastLeaf, keys, versions);
            const { content } = deps.backends;
            const manifest = sealed.blocks[sealed.blocks.length - 1];
            await Promise.all(sealed.blocks.slice(0, -1).map((block) => content.put(block.bytes, block.cid)));
            await content.put(manifest.bytes, manifest.cid);
            await saveBuilt(deps.db, window, sealed);
            deps.sealer.release(window.firstLeaf, window.lastLeaf);
            built.add(1);
            deps.wake('anchor');
          }),
        ),
      );
      // Fewer than asked for: none is left open.
      if (windows.length < concurrency) open.lookedUp(0, mark);
      return windows.length > 0;
    },
  };
}

async function readWindow(deps: StageDeps, window: WindowRow) {
  const { versions, altered } = await windowVersions(deps.db, window);
  if (altered > 0) {
    deps.log.warn({ window: window.windowId, altered }, 'versions changed between commit and anchoring: their leaves are anchored as committed, their bytes left out of the bundles');
  }
  return versions;
}

/** Windows per anchor transaction at most. */
const ANCHOR_BATCH = 16;

/**
 * built → anchored, several windows per transaction: a transaction's fixed cost (on the embedded
 * chain ~10 ms of CPU: signing, mining, the look-up), paid once per 1,000-leaf window, was ~10 µs
 * per reading. Built windows wait for more to join them up to `coalesceMs` (or until a full batch
 * is there). Every root is first looked up from the block of the last anchor recorded
 * (a transaction whose result a crash lost can only be there or later), so a window is never
 * anchored twice. Each window's anchor and Provenance are recorded in one transaction.
 */
export function anchorStage(deps: StageDeps, coalesceMs: number): WorkerStage {
  // Per contract: the latest block known to hold one of our anchors (read once, then kept up to date).
  let since: { contract: string; block: number | undefined } | undefined;
  let waitingSince: number | undefined;
  const { built } = deps.windows;
  return {
    name: 'anchor',
    async run() {
      const known = built.known;
      if (known === 0 || (known !== undefined && known < ANCHOR_BATCH && waitingSince !== undefined && Date.now() - waitingSince < coalesceMs)) return false;
      const mark = built.lookingUp();
      const windows = await windowsWithStatus(deps.db, 'built', ANCHOR_BATCH);
      built.lookedUp(windows.length, mark);
      if (windows.length === 0) {
        waitingSince = undefined;
        return false;
      }
      if (windows.length < ANCHOR_BATCH) {
        waitingSince ??= Date.now();
        if (Date.now() - waitingSince < coalesceMs) return false;
      }
      waitingSince = undefined;
      // More may be built than one batch takes, and a failure leaves them built: the next round looks.
      built.forget();
      const ledger = await deps.backends.ledger();
      const [chainId, contract] = [await ledger.chainId(), await ledger.contractAddress()];
      if (since?.contract !== contract) since = { contract, block: await lastAnchoredBlock(deps.db, chainId, contract) };
      const receipts = await ledger.anchorMany(
        windows.map((window) => ({ root: window.root!, manifestCid: window.manifestCid! })),
        { searchFromBlock: since.block },
      );
      for (const [i, window] of windows.entries()) {
        const receipt = receipts[i]!;
        if (receipt.manifestDigest !== manifestDigest(window.manifestCid!)) {
          deps.log.error({ window: window.windowId, tx: receipt.txHash }, 'the root was already anchored with another manifest; keeping the earliest anchor');
        }
        await recordAnchor(deps, window, receipt);
        since.block = Math.max(since.block ?? 0, receipt.blockNumber);
      }
      return true;
    },
    dueInMs: () => (waitingSince === undefined ? undefined : waitingSince + coalesceMs - Date.now()),
  };
}

/**
 * The anchor and the window's Provenance (fixed id, written through the one write path) in one
 * transaction: a window is anchored with its Provenance or not at all.
 */
async function recordAnchor(deps: StageDeps, window: WindowRow, receipt: AnchorRecord): Promise<void> {
  const anchored: WindowRow = { ...window, anchor: { chainId: receipt.chainId, contract: receipt.contract, txHash: receipt.txHash, blockNumber: receipt.blockNumber, blockTime: new Date(receipt.blockTime * 1000).toISOString(), anchoredAt: '' } };
  const known = deps.sealer.windowTargets(window.firstLeaf, window.lastLeaf);
  const resource = window.needsProvenance ? windowProvenance(anchored, await windowTargets(deps.db, window, known)) : undefined;
  // A window whose versions were all erased before anchoring has nothing left to name. Its targets
  // are not indexed: searches derive them from the window's leaves (window-target-rows.ts), which
  // need the window to know its Provenance.
  const operations: WriteOperation[] = resource && (resource.target as unknown[]).length > 0 ? [{ action: 'update', method: 'PUT', type: 'Provenance', id: resource.id as string, resource, unindexed: ['target'] }] : [];
  // The Provenance first, so that the window row is updated once, rid and all (each update of it
  // is a new entry in all of its indexes). A window found already anchored rolls the write back.
  const written = await deps.db
    .transaction(async (tx) => {
      const results = operations.length > 0 ? await deps.repository.writeInTransaction(tx, operations) : [];
      if (!(await saveAnchored(tx, window.windowId, receipt, results[0]?.rid))) throw new AlreadyAnchored();
      return results;
    })
    .catch((error: unknown) => {
      if (error instanceof AlreadyAnchored) return [];
      throw error;
    });
  deps.repository.committed(written);
}

class AlreadyAnchored extends Error {}

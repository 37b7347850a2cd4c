import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The compiled ProvenanceAnchor contract as committed in artifacts/ (rebuilt by build.ts; the -v1 file is kept as it was). */
export interface AnchorArtifact {
  contractName: string;
  compiler: { version: string; settings: { optimizer: { enabled: boolean; runs: number }; evmVersion: string } };
  abi: unknown[];
  bytecode: string;
  deployedBytecode: string;
  /** Byte ranges of the runtime code that hold immutables (the operator address), filled at deploy. */
  immutableReferences: { start: number; length: number }[];
}

let cached: AnchorArtifact | undefined;
let cachedV1: AnchorArtifact | undefined;

export function anchorArtifact(): AnchorArtifact {
  cached ??= readArtifact('ProvenanceAnchor.json');
  return cached;
}

/**
 * The contract as deployed by earlier versions of the server (anchor only, no anchorMany). Such a
 * deployment keeps working: a ledger on it anchors one window per transaction.
 */
export function anchorArtifactV1(): AnchorArtifact {
  cachedV1 ??= readArtifact('ProvenanceAnchor-v1.json');
  return cachedV1;
}

function readArtifact(name: string): AnchorArtifact {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`./artifacts/${name}`, import.meta.url)), 'utf8')) as AnchorArtifact;
}

/** Which ProvenanceAnchor `code` (from eth_getCode) runs: 2 (anchorMany too), 1 (anchor only), or none. */
export function anchorCodeVersion(code: string): 1 | 2 | undefined {
  if (isRuntimeCodeOf(code, anchorArtifact())) return 2;
  if (isRuntimeCodeOf(code, anchorArtifactV1())) return 1;
  return undefined;
}

/**
 * True when `code` is the runtime code of a ProvenanceAnchor (this version or the earlier one), or
 * of `artifact` when given, ignoring the immutable slots that the constructor fills in. A verifier
 * uses it to know the address really runs ProvenanceAnchor; both emit the same Anchored event.
 */
export function isAnchorRuntimeCode(code: string, artifact?: AnchorArtifact): boolean {
  return artifact ? isRuntimeCodeOf(code, artifact) : anchorCodeVersion(code) !== undefined;
}

function isRuntimeCodeOf(code: string, artifact: AnchorArtifact): boolean {
  const expected = Buffer.from(artifact.deployedBytecode.slice(2), 'hex');
  const actual = Buffer.from(code.replace(/^0x/, ''), 'hex');
  if (actual.length !== expected.length) return false;
  for (const { start, length } of artifact.immutableReferences) {
    actual.fill(0, start, start + length);
    expected.fill(0, start, start + length);
  }
  return actual.equals(expected);
}

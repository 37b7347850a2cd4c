import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The compiled ProvenanceAnchor contract as committed in artifacts/ (rebuilt by build.ts). */
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

export function anchorArtifact(): AnchorArtifact {
  cached ??= JSON.parse(readFileSync(fileURLToPath(new URL('./artifacts/ProvenanceAnchor.json', import.meta.url)), 'utf8')) as AnchorArtifact;
  return cached;
}

/**
 * True when `code` (from eth_getCode) is this contract's runtime code, ignoring the immutable slots
 * that the constructor fills in. A verifier uses it to know the address really runs ProvenanceAnchor.
 */
export function isAnchorRuntimeCode(code: string, artifact: AnchorArtifact = anchorArtifact()): boolean {
  const expected = Buffer.from(artifact.deployedBytecode.slice(2), 'hex');
  const actual = Buffer.from(code.replace(/^0x/, ''), 'hex');
  if (actual.length !== expected.length) return false;
  for (const { start, length } of artifact.immutableReferences) {
    actual.fill(0, start, start + length);
    expected.fill(0, start, start + length);
  }
  return actual.equals(expected);
}

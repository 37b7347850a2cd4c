import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { AnchorArtifact } from './artifact.ts';

/**
 * Compiles ProvenanceAnchor.sol with solc-js (a devDependency: the server itself only reads the
 * committed artifact). evmVersion paris keeps PUSH0 out of the bytecode, so the same artifact
 * deploys on the embedded ganache chain (≤ shanghai) and on private Besu networks on older forks.
 */
export const SOURCE_FILE = 'ProvenanceAnchor.sol';
export const CONTRACT_NAME = 'ProvenanceAnchor';
export const COMPILER_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'paris',
  metadata: { bytecodeHash: 'none' },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object', 'evm.deployedBytecode.immutableReferences'] } },
} as const;

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, {
    abi: unknown[];
    evm: {
      bytecode: { object: string };
      deployedBytecode: { object: string; immutableReferences?: Record<string, { start: number; length: number }[]> };
    };
  }>>;
}

export function compileAnchorContract(): AnchorArtifact {
  const require = createRequire(import.meta.url);
  const solc = require('solc') as { compile(input: string): string; version(): string };
  const source = readFileSync(fileURLToPath(new URL(SOURCE_FILE, import.meta.url)), 'utf8');
  const input = { language: 'Solidity', sources: { [SOURCE_FILE]: { content: source } }, settings: COMPILER_SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const compiled = output.contracts[SOURCE_FILE][CONTRACT_NAME];
  const immutables = Object.values(compiled.evm.deployedBytecode.immutableReferences ?? {}).flat();
  return {
    contractName: CONTRACT_NAME,
    compiler: { version: solc.version(), settings: { optimizer: COMPILER_SETTINGS.optimizer, evmVersion: COMPILER_SETTINGS.evmVersion } },
    abi: compiled.abi,
    bytecode: `0x${compiled.evm.bytecode.object}`,
    deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
    immutableReferences: immutables.map(({ start, length }) => ({ start, length })),
  };
}

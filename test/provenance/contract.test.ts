import { describe, expect, it } from 'vitest';
import { anchorArtifact, anchorArtifactV1, anchorCodeVersion, isAnchorRuntimeCode } from '../../contracts/artifact.ts';
import { compileAnchorContract } from '../../contracts/compile.ts';

describe('ProvenanceAnchor artifact', () => {
  it('is exactly what solc-js produces from the committed source (rebuild with npx tsx contracts/build.ts)', () => {
    expect(compileAnchorContract()).toEqual(anchorArtifact());
  });

  it('exposes anchor, anchorMany, operator, the Anchored event and its errors, and keeps no storage of its own', () => {
    const names = (anchorArtifact().abi as { type: string; name?: string }[]).filter((e) => e.name).map((e) => `${e.type}:${e.name}`).sort();
    expect(names).toEqual(['error:LengthMismatch', 'error:NotOperator', 'event:Anchored', 'function:anchor', 'function:anchorMany', 'function:operator']);
    const event = (anchorArtifact().abi as { type: string; name?: string; inputs?: { type: string; indexed: boolean }[] }[]).find((e) => e.name === 'Anchored');
    expect(event?.inputs?.map((i) => [i.type, i.indexed])).toEqual([['bytes32', true], ['bytes32', false]]);
    // No SSTORE opcode (0x55) outside PUSH data: the contract writes nothing to storage.
    expect(opcodes(anchorArtifact().deployedBytecode)).not.toContain(0x55);
  });

  it('recognises its runtime code whatever operator address the constructor filled in', () => {
    const artifact = anchorArtifact();
    expect(artifact.immutableReferences.length).toBeGreaterThan(0);
    const code = Buffer.from(artifact.deployedBytecode.slice(2), 'hex');
    for (const { start, length } of artifact.immutableReferences) code.fill(0xab, start, start + length);
    expect(isAnchorRuntimeCode(`0x${code.toString('hex')}`)).toBe(true);
    code[0] ^= 1;
    expect(isAnchorRuntimeCode(`0x${code.toString('hex')}`)).toBe(false);
    expect(isAnchorRuntimeCode('0x')).toBe(false);
  });

  it('still recognises the contract earlier versions deployed (anchor only), with the same Anchored event', () => {
    const v1 = anchorArtifactV1();
    const fill = (artifact: typeof v1) => {
      const code = Buffer.from(artifact.deployedBytecode.slice(2), 'hex');
      for (const { start, length } of artifact.immutableReferences) code.fill(0xcd, start, start + length);
      return `0x${code.toString('hex')}`;
    };
    expect(anchorCodeVersion(fill(v1))).toBe(1);
    expect(anchorCodeVersion(fill(anchorArtifact()))).toBe(2);
    expect(isAnchorRuntimeCode(fill(v1))).toBe(true);
    expect(isAnchorRuntimeCode(fill(v1), anchorArtifact())).toBe(false);
    const event = (artifact: typeof v1) => JSON.stringify((artifact.abi as { name?: string }[]).find((e) => e.name === 'Anchored'));
    expect(event(v1)).toBe(event(anchorArtifact()));
    expect(opcodes(v1.deployedBytecode)).not.toContain(0x55);
  });
});

/** Opcodes of EVM bytecode, skipping PUSH1..PUSH32 immediates (and the trailing metadata is disabled). */
function opcodes(hex: string): number[] {
  const code = Buffer.from(hex.slice(2), 'hex');
  const out: number[] = [];
  for (let i = 0; i < code.length; i++) {
    out.push(code[i]);
    if (code[i] >= 0x60 && code[i] <= 0x7f) i += code[i] - 0x5f;
  }
  return out;
}

import { Interface, type InterfaceAbi, type JsonRpcApiProvider } from 'ethers';
import { anchorArtifact, isAnchorRuntimeCode } from '../../contracts/artifact.ts';
import type { ContentStore } from './content-store.ts';
import { LEAF_CONSTRUCTION, leafFromDigest, sha256 } from './leaf.ts';
import { parseManifest } from './manifest.ts';
import { cidHasDigest } from './manifest-digest.ts';
import { unixfsCid } from './unixfs-cid.ts';
import { MERKLE_CONSTRUCTION, rootFromInclusionPath } from './merkle.ts';
import { PROOF_FORMAT, type ProvenanceProof } from './proof.ts';

export interface ProofCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ProofVerification {
  verified: boolean;
  checks: ProofCheck[];
}

const HEX32 = /^[0-9a-f]{64}$/;

/** The checks that need nothing but the proof: format, stored bytes, leaf, Merkle path. */
export function verifyProofMath(proof: ProvenanceProof): ProofCheck[] {
  const checks: ProofCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => (checks.push({ name, ok, detail }), ok);
  const p = proof as Partial<ProvenanceProof>;
  if (!check('format', p?.format === PROOF_FORMAT && p.leaf?.construction === LEAF_CONSTRUCTION && p.merkle?.construction === MERKLE_CONSTRUCTION, `expects ${PROOF_FORMAT}, ${LEAF_CONSTRUCTION}, ${MERKLE_CONSTRUCTION}`)) return checks;
  const { leaf, merkle } = proof;
  if (!check('fields', HEX32.test(leaf.bytesSha256) && HEX32.test(leaf.value) && /^[0-9a-f]{32,}$/.test(leaf.salt) && leaf.salt.length % 2 === 0 && /^0x[0-9a-f]{64}$/.test(merkle.root) && Array.isArray(merkle.path) && merkle.path.every((n) => HEX32.test(n)), 'hex digests, salt and path are well formed')) return checks;
  if (leaf.bytesBase64 !== undefined) {
    const digest = sha256(Buffer.from(leaf.bytesBase64, 'base64')).toString('hex');
    check('bytes', digest === leaf.bytesSha256, `SHA-256 of the included stored bytes ${digest === leaf.bytesSha256 ? 'matches' : `is ${digest}, not`} bytesSha256`);
  }
  const value = leafFromDigest(Buffer.from(leaf.salt, 'hex'), Buffer.from(leaf.bytesSha256, 'hex')).toString('hex');
  check('leaf', value === leaf.value, `sha256(salt || bytesSha256) ${value === leaf.value ? 'equals' : `is ${value}, not`} the leaf value`);
  const root = rootFromInclusionPath(Buffer.from(value, 'hex'), merkle.leafIndex, merkle.treeSize, merkle.path.map((n) => Buffer.from(n, 'hex')));
  const rootHex = root ? `0x${root.toString('hex')}` : undefined;
  check('merkle-path', rootHex === merkle.root, rootHex === merkle.root ? `leaf ${merkle.leafIndex} of ${merkle.treeSize} leads to root ${merkle.root}` : `path gives ${rootHex ?? 'no root (wrong length for index/size)'}, not ${merkle.root}`);
  return checks;
}

const anchorInterface = new Interface(anchorArtifact().abi as InterfaceAbi);
const anchoredTopic = anchorInterface.getEvent('Anchored')!.topicHash;

/**
 * The checks against the chain: right chain, genuine contract, a successful transaction whose
 * Anchored event carries this root and the digest of this manifest's CID, and whether that is the
 * root's earliest anchor (the authoritative one: the contract does not refuse a second anchor).
 */
export async function verifyProofOnChain(proof: ProvenanceProof, provider: JsonRpcApiProvider): Promise<ProofCheck[]> {
  const checks: ProofCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => (checks.push({ name, ok, detail }), ok);
  const { anchor, merkle } = proof;
  const chainId = Number(BigInt(await provider.send('eth_chainId', [])));
  if (!check('chain-id', chainId === anchor.chainId, `node is on chain ${chainId}, proof names ${anchor.chainId}`)) return checks;
  const code = await provider.getCode(anchor.contract);
  if (!check('contract-code', isAnchorRuntimeCode(code), `${anchor.contract} ${isAnchorRuntimeCode(code) ? 'runs' : 'does not run'} the ProvenanceAnchor bytecode`)) return checks;
  const receipt = await provider.getTransactionReceipt(anchor.txHash);
  if (!check('transaction', !!receipt && receipt.status === 1 && receipt.blockNumber === anchor.blockNumber && receipt.to?.toLowerCase() === anchor.contract.toLowerCase(), receipt ? `tx ${anchor.txHash}: status ${receipt.status}, block ${receipt.blockNumber}, to ${receipt.to}` : `tx ${anchor.txHash} not found on this chain`) || !receipt) return checks;
  const events = receipt.logs
    .filter((log) => log.address.toLowerCase() === anchor.contract.toLowerCase())
    .map((log) => anchorInterface.parseLog(log))
    .filter((event) => event?.name === 'Anchored');
  const matching = events.find((event) => (event!.args[0] as string).toLowerCase() === merkle.root && cidHasDigest(anchor.manifestCid, event!.args[1] as string));
  check('anchored-event', !!matching, matching ? `Anchored(${merkle.root}, digest of ${anchor.manifestCid}) emitted in block ${receipt.blockNumber}` : `no Anchored event for this root and manifest in the transaction`);
  const earlier = await provider.getLogs({ address: anchor.contract, topics: [anchoredTopic, merkle.root], fromBlock: 0, toBlock: receipt.blockNumber });
  const first = earlier.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)[0];
  const isFirst = !first || first.transactionHash.toLowerCase() === anchor.txHash.toLowerCase();
  // Not a failure: the proof's anchor is genuine, only the root's authoritative time is earlier.
  checks.push({ name: 'earliest-anchor', ok: true, detail: isFirst ? 'this is the first anchor of the root' : `the root was first anchored in block ${first.blockNumber} (tx ${first.transactionHash}), which is authoritative` });
  const block = await provider.getBlock(receipt.blockNumber);
  if (anchor.blockTime !== undefined) check('block-time', block?.timestamp === anchor.blockTime, `block ${receipt.blockNumber} has timestamp ${block?.timestamp}`);
  const head = await provider.getBlockNumber();
  checks.push({ name: 'confirmations', ok: true, detail: `${head - receipt.blockNumber + 1} block(s) deep (head ${head})` });
  return checks;
}

/** Optional: the manifest in content storage lists this leaf at this index and gives the same root. */
export async function verifyProofContent(proof: ProvenanceProof, content: ContentStore): Promise<ProofCheck[]> {
  try {
    const bytes = await content.get(proof.anchor.manifestCid);
    // A content store is only trusted as far as the bytes hash to the CID asked for.
    if ((await unixfsCid(bytes)) !== proof.anchor.manifestCid) return [{ name: 'manifest', ok: false, detail: `the bytes served for ${proof.anchor.manifestCid} do not hash to that CID` }];
    const manifest = parseManifest(bytes);
    const ok = manifest.root === proof.merkle.root && manifest.leafCount === proof.merkle.treeSize && manifest.leaves[proof.merkle.leafIndex] === proof.leaf.value && (!proof.bundleCid || manifest.bundles.includes(proof.bundleCid));
    return [{ name: 'manifest', ok, detail: ok ? `manifest ${proof.anchor.manifestCid} lists the leaf at index ${proof.merkle.leafIndex}` : `manifest ${proof.anchor.manifestCid} disagrees with the proof` }];
  } catch (err) {
    return [{ name: 'manifest', ok: false, detail: `manifest ${proof.anchor.manifestCid}: ${(err as Error).message}` }];
  }
}

export async function verifyProof(proof: ProvenanceProof, sources: { provider?: JsonRpcApiProvider; content?: ContentStore }): Promise<ProofVerification> {
  const checks = verifyProofMath(proof);
  if (checks.every((c) => c.ok)) {
    if (sources.provider) checks.push(...(await verifyProofOnChain(proof, sources.provider)));
    if (sources.content) checks.push(...(await verifyProofContent(proof, sources.content)));
  }
  return { verified: checks.length > 0 && checks.every((c) => c.ok) && !!sources.provider, checks };
}

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { FetchRequest, JsonRpcProvider, type JsonRpcApiProvider } from 'ethers';
import type { ContentStore } from '../server/provenance/content-store.ts';
import type { ProvenanceProof } from '../server/provenance/proof.ts';

const usage = `usage: vitalchain verify <proof.json> (--rpc <url> | --data-dir <dir> | --offline) [--ipfs <kubo-rpc-url>] [--json]

Checks a provenance proof exported by GET .../$provenance-proof without the server or its database:
the stored bytes and salt give the leaf, the Merkle path gives the root, and the chain holds a
successful ProvenanceAnchor transaction that anchored that root with that manifest.
  --rpc <url>       JSON-RPC URL of the chain named in the proof
  --data-dir <dir>  read the embedded chain (and blocks) of a stopped server's DATA_DIR instead
  --ipfs <url>      also check the manifest on this Kubo RPC endpoint
  --offline         only the hash and Merkle checks; the anchor on the chain is not checked
  --json            print the result as JSON
Exit code 0 when every check passes, 1 when one fails, 2 on usage or input errors.
`;

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { rpc: { type: 'string' }, 'data-dir': { type: 'string' }, ipfs: { type: 'string' }, offline: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean' } },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (positionals.length !== 1 || (!values.rpc && !values['data-dir'] && !values.offline)) {
    process.stderr.write(usage);
    return 2;
  }
  let proof: ProvenanceProof;
  try {
    proof = JSON.parse(await readFile(positionals[0], 'utf8')) as ProvenanceProof;
  } catch (err) {
    process.stderr.write(`cannot read proof: ${(err as Error).message}\n`);
    return 2;
  }

  const { verifyProof, verifyProofMath } = await import('../server/provenance/proof-verifier.ts');
  const report = (result: { verified: boolean; checks: { name: string; ok: boolean; detail: string }[] }, chainChecked: boolean) => {
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      for (const check of result.checks) process.stdout.write(`${check.ok ? 'PASS' : 'FAIL'}  ${check.name.padEnd(15)} ${check.detail}\n`);
      const allPassed = result.checks.every((c) => c.ok);
      process.stdout.write(result.verified ? 'VERIFIED\n' : allPassed && !chainChecked ? 'NOT VERIFIED: chain not checked (--offline)\n' : 'NOT VERIFIED\n');
    }
  };
  // The proof's own arithmetic first: a proof that fails it needs no chain (and opens no database).
  const math = verifyProofMath(proof);
  if (!math.every((c) => c.ok) || (values.offline && !values.rpc && !values['data-dir'])) {
    report({ verified: false, checks: math }, false);
    return math.every((c) => c.ok) ? 0 : 1;
  }
  const closers: (() => Promise<void>)[] = [];
  try {
    let provider: JsonRpcApiProvider | undefined;
    let content: ContentStore | undefined;
    if (values.rpc) {
      const request = new FetchRequest(values.rpc);
      request.timeout = 20_000;
      const rpc = new JsonRpcProvider(request, proof.anchor.chainId, { staticNetwork: true, batchMaxCount: 1, batchStallTime: 0 });
      closers.push(async () => rpc.destroy());
      provider = rpc;
    } else if (values['data-dir']) {
      const { openEmbeddedChainProvider } = await import('../server/provenance/embedded-ledger.ts');
      const chain = await openEmbeddedChainProvider(values['data-dir']);
      closers.push(chain.close);
      provider = chain.provider;
    }
    if (values.ipfs) {
      const { KuboContentStore } = await import('../server/provenance/kubo-content-store.ts');
      content = new KuboContentStore(values.ipfs);
    } else if (values['data-dir']) {
      const { EmbeddedContentStore } = await import('../server/provenance/embedded-content-store.ts');
      content = new EmbeddedContentStore(values['data-dir']);
    }
    if (content) closers.push(() => content!.close());
    const result = await verifyProof(proof, { provider, content });
    report(result, true);
    return result.verified ? 0 : 1;
  } catch (err) {
    const hint = /in use by another process/.test((err as Error).message) ? ' (stop the server or use --rpc)' : '';
    process.stderr.write(`verification could not complete: ${(err as Error).message}${hint}\n`);
    return 1;
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
}

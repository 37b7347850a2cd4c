import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileAnchorContract } from './compile.ts';

/** `npx tsx contracts/build.ts`: recompile and rewrite the committed artifact. */
const artifact = compileAnchorContract();
const target = fileURLToPath(new URL('./artifacts/ProvenanceAnchor.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(artifact, null, 2)}\n`);
process.stdout.write(`wrote ${target} (solc ${artifact.compiler.version}, ${(artifact.bytecode.length - 2) / 2} bytes init code)\n`);

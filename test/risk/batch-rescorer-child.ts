/**
 * Run as a separate process by batch-rescorer.test.ts, under tsx or node --import tsx: starts the
 * NEWS2 batch rescorer (a TypeScript worker thread) and prints the scores of the rows in argv[2].
 */
import { BatchRescorer } from '../../server/risk/batch-rescorer.ts';
import { loadModelRegistry } from '../../server/risk/model-registry.ts';

const rows = JSON.parse(process.argv[2]) as number[][];
const rescorer = await BatchRescorer.start(loadModelRegistry({ extraDirs: [] }).require('news2'));
const out = await rescorer.rescore(Float32Array.from(rows.flat()), rows.length);
await rescorer.close();
console.log(JSON.stringify({ execArgv: process.execArgv, total: Array.from(out.total), band: Array.from(out.band) }));

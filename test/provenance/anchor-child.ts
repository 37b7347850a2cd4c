/**
 * Child process for the kill -9 test: anchors random roots on the embedded chain in DATA_DIR
 * (argv[2]) without end, printing each anchor as a JSON line once `anchor` has returned.
 */
import { randomBytes } from 'node:crypto';
import { openEmbeddedLedger } from '../../server/provenance/embedded-ledger.ts';

const ledger = await openEmbeddedLedger(process.argv[2]);
for (;;) {
  const receipt = await ledger.anchor(`0x${randomBytes(32).toString('hex')}`, 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4');
  process.stdout.write(`${JSON.stringify({ root: receipt.root, blockNumber: receipt.blockNumber, txHash: receipt.txHash })}\n`);
}

import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const usage = `usage: vitalchain audit --from <dateTime> [--to <dateTime>] [--json] [server configuration]

Ledger audit of a server's provenance over a time range, without the server: every root anchored
on-chain in the range is matched with the database; each leaf of its manifest must still have its
record, and the stored version must still hash to it. Deleted or altered rows are reported (named
from the encrypted bundles when their records are gone), and so are windows the database calls
anchored that the chain does not have.

The server configuration is read like the server's, from the environment or flags:
  --data-dir <dir>          DATA_DIR (keys, and the embedded database and chain; stop the server first)
  --database-url <url>      DATABASE_URL (PostgreSQL; the server may keep running)
  --eth-rpc-url <url>       ETH_RPC_URL, with --anchor-contract <address> unless the database knows it
  --kubo-rpc-url <url>      KUBO_RPC_URL
Exit code 0 when nothing is found, 1 when something is, 2 on usage or setup errors.
`;

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, strict: false, options: { from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } } });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const from = typeof values.from === 'string' ? new Date(values.from) : undefined;
  const to = typeof values.to === 'string' ? new Date(values.to) : new Date();
  if (!from || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
    process.stderr.write(usage);
    return 2;
  }

  const { loadConfig } = await import('../server/config.ts');
  const configArgs = args.filter((arg, i) => !['--from', '--to', '--json'].includes(arg) && !['--from', '--to'].includes(args[i - 1]) && !/^--(from|to)=/.test(arg));
  // An audit reads the chain; it never signs, so no operator key is needed for ETH_RPC_URL.
  const env = { ...process.env, ETH_PRIVATE_KEY: process.env.ETH_PRIVATE_KEY ?? `0x${'11'.repeat(32)}`, LOG_LEVEL: 'silent' };
  let config;
  try {
    config = loadConfig(env, configArgs);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  if (!config.DATABASE_URL && !existsSync(path.join(config.DATA_DIR, 'pg'))) {
    process.stderr.write(`no embedded database in ${config.DATA_DIR} (pass --data-dir or --database-url)\n`);
    return 2;
  }

  const closers: (() => Promise<void>)[] = [];
  try {
    const { openBackends } = await import('../server/provenance/backends.ts');
    const { createLogger } = await import('../server/log.ts');
    const { openDatabase } = await import('../server/store/open-database.ts');
    const { VerifiedContent } = await import('../server/provenance/verified-content.ts');
    const { auditAnchors } = await import('../server/provenance/audit.ts');
    const { PROVENANCE_CONSUMER } = await import('../server/provenance/provenance-feature.ts');
    const log = createLogger('silent');
    const db = await openDatabase(config);
    closers.push(() => db.close());
    const backends = await openBackends(config, db, log, { readOnly: true });
    closers.unshift(() => backends.close());
    // The embedded chain refuses a second process: find that out before reading anything else.
    await backends.ledger();
    const report = await auditAnchors({ db, backends, content: new VerifiedContent(backends.content), consumer: PROVENANCE_CONSUMER }, from, to);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      process.stdout.write(`audit ${report.from} .. ${report.to}: ${report.anchorsOnChain} anchors on-chain, ${report.windowsChecked} windows and ${report.leavesChecked} leaves checked, ${report.erasedLeaves} erased, ${report.pendingWindows} windows pending\n`);
      for (const f of report.findings) {
        process.stdout.write(`FOUND  ${f.kind.padEnd(20)} ${f.reference ?? '-'}${f.window !== undefined ? ` (window ${f.window})` : ''}: ${f.detail}\n`);
      }
      process.stdout.write(report.findings.length === 0 ? 'OK\n' : `${report.findings.length} finding(s)\n`);
    }
    return report.findings.length === 0 ? 0 : 1;
  } catch (err) {
    const hint = /in use by another process/.test((err as Error).message) ? ' (stop the server, or audit through GET [base]/$audit)' : '';
    process.stderr.write(`audit could not complete: ${(err as Error).message}${hint}\n`);
    return 2;
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
}

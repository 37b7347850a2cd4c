/**
 * `vitalchain <command>`: the offline tools for device makers and auditors. Each command lives in
 * its own module and is loaded only when asked for, so `vitalchain map` never loads the chain code.
 */
const commands: Record<string, { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> }> = {
  serve: { summary: 'start the FHIR server (same as npm start)', load: () => import('./serve.ts') },
  map: { summary: 'map device payloads to Observations offline (--mapping id|file)', load: () => import('./map.ts') },
  mappings: { summary: 'mappings test <dir>: run golden mapping cases, non-zero exit on any difference', load: () => import('./mappings-test.ts') },
  verify: { summary: 'check a provenance proof against the chain, without the server', load: () => import('./verify.ts') },
  audit: { summary: 'ledger audit over a time range: deleted or altered versions, missing anchors', load: () => import('./audit.ts') },
};

export function registeredCommands() {
  return commands;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write('usage: vitalchain <command> [options]\n\ncommands:\n');
    for (const [key, value] of Object.entries(commands)) process.stderr.write(`  ${key.padEnd(16)} ${value.summary}\n`);
    return name ? 2 : 0;
  }
  return (await command.load()).run(args);
}

process.exitCode = await main(process.argv.slice(2));

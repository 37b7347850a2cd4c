import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';

const platformPackages: Record<string, string> = {
  'linux-x64': '@foundry-rs/anvil-linux-amd64',
  'linux-arm64': '@foundry-rs/anvil-linux-arm64',
  'darwin-x64': '@foundry-rs/anvil-darwin-amd64',
  'darwin-arm64': '@foundry-rs/anvil-darwin-arm64',
};

function anvilBinary(): string | undefined {
  const pkg = platformPackages[`${process.platform}-${process.arch}`];
  if (!pkg) return undefined;
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`)), 'bin', 'anvil');
  } catch {
    return undefined;
  }
}

/**
 * The anvil binary is an optional dependency (npm only carries its linux-x64 build for the pinned
 * version), so the scale-out chain tests skip where it is not installed and say why.
 */
export const anvilInstalled = anvilBinary() !== undefined;
if (!anvilInstalled) console.warn(`anvil tests skipped: no @foundry-rs/anvil binary installed for ${process.platform}-${process.arch}`);

/** anvil's first default account (its well-known test mnemonic): funded on every fresh anvil chain. */
export const ANVIL_KEY_0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
export const ANVIL_KEY_1 = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6efcb690';

export interface Anvil {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts the anvil binary (npm @foundry-rs/anvil-linux-amd64 and its siblings) on a
 * free loopback port, and resolves once it listens.
 */
export async function startAnvil(args: string[] = []): Promise<Anvil> {
  const binary = anvilBinary();
  if (!binary) throw new Error(`no anvil binary installed for ${process.platform}-${process.arch}`);
  // A restart passes --port to come back where its clients point.
  const port = args.includes('--port') ? [] : ['--port', '0'];
  const child = spawn(binary, ['--host', '127.0.0.1', ...port, '--chain-id', '31337', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('anvil did not start within 15 s')), 15_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`anvil exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /Listening on (\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(`http://${match[1]}`);
      }
    });
  });
  return {
    url,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

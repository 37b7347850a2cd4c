import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A heart-rate Observation of `patient` (vital-signs shaped, valid R4). */
export function heartRate(patient: string, value: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: new Date(Date.UTC(2024, 0, 1, 0, value)).toISOString(),
    valueQuantity: { value, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
    ...extra,
  };
}

/** A transaction Bundle creating these resources. */
export function transaction(resources: Record<string, unknown>[]): Record<string, unknown> {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((resource) => ({ resource, request: { method: 'POST', url: resource.resourceType } })),
  };
}

/** Runs `vitalchain <args>` as a child process; never throws on a non-zero exit. */
export async function vitalchain(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // Vite puts BASE_URL=/ into the test environment; the server configuration would refuse it.
  const { BASE_URL: _vite, ...env } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(repoRoot, 'bin', 'vitalchain.mjs'), ...args], { cwd: repoRoot, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** `check` parts of a $verify Parameters, as name → outcome. */
export function checkOutcomes(parameters: any): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of parameters?.parameter ?? []) {
    if (p.name !== 'check') continue;
    const part = (name: string) => p.part.find((x: any) => x.name === name);
    out[part('name').valueCode] = part('outcome').valueCode;
  }
  return out;
}

export function parameterValue(parameters: any, name: string): unknown {
  const p = (parameters?.parameter ?? []).find((x: any) => x.name === name);
  return p ? (Object.entries(p).find(([key]) => key.startsWith('value'))?.[1] as unknown) : undefined;
}

import fs from 'node:fs';
import path from 'node:path';
import { hasErrors, PayloadError, type MappingIssue } from '../mappings/issue.ts';
import { mapPayloadsSync } from '../mappings/map-payloads.ts';
import type { PayloadContext } from '../mappings/payload.ts';
import { splitBodySync } from '../mappings/split/split-body.ts';
import { FhirDecimal, parseJson, stringifyJson } from '../server/fhir/json/index.ts';
import { formatIssue } from './map.ts';
import { loadMapping } from './mapping-source.ts';

const USAGE = `usage: vitalchain mappings test <dir>

Runs every golden case under <dir>: a folder holding case.json
  {"mapping": "<built-in id | mapping file | MedTech device template>", "fhirMapping"?: "<file>",
   "payload": "<file>", "contentType"?: "...", "context"?: {"device": {"system","value"}, "patient", "timeZone", "receivedAt"},
   "expected": "expected.json"}
and expected.json {"observations": [...], "issues"?: [{"severity", "code", "diagnostics"?}]}.
Observations must match exactly (decimal precision included); each expected issue must occur
(diagnostics as a substring); any other error issue fails the case. Exit code 1 on any difference.`;

interface GoldenCase {
  mapping: string;
  fhirMapping?: string;
  payload: string;
  contentType?: string;
  context?: PayloadContext;
  expected: string;
}

interface ExpectedIssue {
  severity: MappingIssue['severity'];
  code?: MappingIssue['code'];
  diagnostics?: string;
}

/** First difference between two JSON trees as `path: expected X, got Y`, or undefined when equal. */
export function firstDifference(expected: unknown, actual: unknown, at = '$'): string | undefined {
  const text = (value: unknown) => (value instanceof FhirDecimal ? value.text : stringifyJson(value));
  if (expected instanceof FhirDecimal || actual instanceof FhirDecimal || typeof expected !== 'object' || typeof actual !== 'object' || expected === null || actual === null) {
    return text(expected) === text(actual) ? undefined : `${at}: expected ${text(expected)}, got ${text(actual)}`;
  }
  if (Array.isArray(expected) !== Array.isArray(actual)) return `${at}: expected ${text(expected)}, got ${text(actual)}`;
  if (Array.isArray(expected) && Array.isArray(actual)) {
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
      if (i >= expected.length) return `${at}[${i}]: unexpected ${text(actual[i])}`;
      if (i >= actual.length) return `${at}[${i}]: missing ${text(expected[i])}`;
      const difference = firstDifference(expected[i], actual[i], `${at}[${i}]`);
      if (difference) return difference;
    }
    return undefined;
  }
  const e = expected as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
    if (!(key in a)) return `${at}.${key}: missing ${text(e[key])}`;
    if (!(key in e)) return `${at}.${key}: unexpected ${text(a[key])}`;
    const difference = firstDifference(e[key], a[key], `${at}.${key}`);
    if (difference) return difference;
  }
  return undefined;
}

function runCase(dir: string): string[] {
  const failures: string[] = [];
  const spec = parseJson(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as GoldenCase;
  const loaded = loadMapping(spec.mapping, spec.fhirMapping ? path.resolve(dir, spec.fhirMapping) : undefined, dir);
  const expected = parseJson(fs.readFileSync(path.join(dir, spec.expected ?? 'expected.json'), 'utf8')) as { observations: unknown[]; issues?: ExpectedIssue[] };
  const issues: MappingIssue[] = [...loaded.issues];
  const observations: unknown[] = [];
  if (loaded.mapping) {
    try {
      const body = fs.readFileSync(path.join(dir, spec.payload));
      for (const result of mapPayloadsSync(loaded.mapping, splitBodySync(body, spec.contentType, spec.context))) {
        observations.push(...result.observations);
        issues.push(...result.issues);
      }
    } catch (error) {
      if (!(error instanceof PayloadError)) throw error;
      issues.push({ severity: 'error', code: error.code, diagnostics: error.message });
    }
  }
  // Round-trip through JSON text so the comparison sees exactly what would be stored.
  const actual = parseJson(stringifyJson(observations));
  const difference = firstDifference(expected.observations, actual);
  if (difference) failures.push(`observations differ at ${difference}`);
  const wanted = expected.issues ?? [];
  for (const want of wanted) {
    const found = issues.some((issue) => issue.severity === want.severity && (!want.code || issue.code === want.code) && (!want.diagnostics || issue.diagnostics.includes(want.diagnostics)));
    if (!found) failures.push(`expected issue not reported: ${want.severity} ${want.code ?? ''} ${want.diagnostics ?? ''}`.trim());
  }
  for (const issue of issues) {
    if (issue.severity !== 'error' && issue.severity !== 'fatal') continue;
    const announced = wanted.some((want) => want.severity === issue.severity && (!want.code || issue.code === want.code) && (!want.diagnostics || issue.diagnostics.includes(want.diagnostics)));
    if (!announced) failures.push(`unexpected ${formatIssue(issue)}`);
  }
  if (!loaded.mapping && !hasErrors(wanted as MappingIssue[])) failures.push('the mapping could not be loaded');
  return failures;
}

function findCases(root: string): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    if (fs.existsSync(path.join(dir, 'case.json'))) found.push(dir);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) visit(path.join(dir, entry.name));
  };
  visit(root);
  return found.sort();
}

export async function run(args: string[]): Promise<number> {
  const [sub, dir] = args;
  if (sub !== 'test' || !dir) {
    process.stderr.write(`${USAGE}\n`);
    return sub === '--help' || sub === '-h' ? 0 : 2;
  }
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    process.stderr.write(`${dir}: not a directory\n`);
    return 2;
  }
  const cases = findCases(dir);
  let failed = 0;
  for (const caseDir of cases) {
    const name = path.relative(dir, caseDir) || path.basename(caseDir);
    let failures: string[];
    try {
      failures = runCase(caseDir);
    } catch (error) {
      failures = [`could not run: ${(error as Error).message}`];
    }
    if (failures.length === 0) process.stdout.write(`ok    ${name}\n`);
    else {
      failed++;
      process.stdout.write(`FAIL  ${name}\n${failures.map((failure) => `      ${failure}`).join('\n')}\n`);
    }
  }
  process.stdout.write(`${cases.length - failed} passed, ${failed} failed\n`);
  return failed > 0 || cases.length === 0 ? 1 : 0;
}

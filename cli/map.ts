import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { describeLocation, hasErrors, PayloadError, type MappingIssue } from '../mappings/issue.ts';
import { mapPayloadsSync } from '../mappings/map-payloads.ts';
import type { PayloadContext } from '../mappings/payload.ts';
import { splitBodySync } from '../mappings/split/split-body.ts';
import { stringifyJson } from '../server/fhir/json/index.ts';
import { loadMapping } from './mapping-source.ts';

const USAGE = `usage: vitalchain map --mapping <built-in id | mapping.json | medtech-device.json> [--fhir-mapping fhir.json]
                      [--content-type type] [--device system|value] [--patient Patient/123|system|value]
                      [--time-zone Europe/Berlin|+02:00] [--received-at ISO] [--measurements] payload-file...

Runs the device-mapping engine offline: prints {observations, issues[, measurements]} as JSON on
stdout and a summary of the issues on stderr. Exit code 1 when any issue is an error.`;

export function contextFromOptions(values: Record<string, string | boolean | undefined>): PayloadContext | undefined {
  const context: PayloadContext = {};
  if (typeof values.device === 'string') {
    const bar = values.device.indexOf('|');
    context.device = bar > 0 ? { system: values.device.slice(0, bar), value: values.device.slice(bar + 1) } : { system: 'urn:vitalchain:device-id', value: values.device };
  }
  if (typeof values.patient === 'string') context.patient = values.patient;
  if (typeof values['time-zone'] === 'string') context.timeZone = values['time-zone'];
  if (typeof values['received-at'] === 'string') context.receivedAt = values['received-at'];
  return Object.keys(context).length > 0 ? context : undefined;
}

export function formatIssue(issue: MappingIssue): string {
  const where = describeLocation(issue.location);
  return `${issue.severity.padEnd(11)} ${issue.code.padEnd(14)} ${issue.diagnostics}${where ? `  [${where}]` : ''}`;
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        mapping: { type: 'string' },
        'fhir-mapping': { type: 'string' },
        'content-type': { type: 'string' },
        device: { type: 'string' },
        patient: { type: 'string' },
        'time-zone': { type: 'string' },
        'received-at': { type: 'string' },
        measurements: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || !values.mapping || positionals.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const loaded = loadMapping(values.mapping, values['fhir-mapping']);
  const issues: MappingIssue[] = [...loaded.issues];
  const observations: unknown[] = [];
  const measurements: unknown[] = [];
  if (loaded.mapping) {
    const context = contextFromOptions(values);
    for (const file of positionals) {
      try {
        const payloads = splitBodySync(fs.readFileSync(file), values['content-type'], context);
        for (const result of mapPayloadsSync(loaded.mapping, payloads)) {
          observations.push(...result.observations);
          measurements.push(...result.measurements);
          issues.push(...result.issues);
        }
      } catch (error) {
        if (!(error instanceof PayloadError) && (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        const located = error instanceof PayloadError ? { source: 'payload' as const, ...(error.line ? { line: error.line, column: error.column } : {}), ...(error.path ? { path: error.path } : {}) } : undefined;
        issues.push({ severity: 'error', code: error instanceof PayloadError ? error.code : 'not-found', diagnostics: `${file}: ${(error as Error).message}`, ...(located ? { location: located } : {}) });
      }
    }
  }
  const output: Record<string, unknown> = { observations, issues };
  if (values.measurements) output.measurements = measurements;
  process.stdout.write(`${stringifyJson(output, true)}\n`);
  for (const issue of issues) if (issue.severity !== 'information') process.stderr.write(`${formatIssue(issue)}\n`);
  process.stderr.write(`${observations.length} observation(s), ${issues.filter((i) => i.severity === 'error' || i.severity === 'fatal').length} error(s), ${issues.filter((i) => i.severity === 'warning').length} warning(s)\n`);
  return hasErrors(issues) ? 1 : 0;
}

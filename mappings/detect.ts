import { FhirDecimal } from '../server/fhir/json/index.ts';
import type { PayloadInput } from './payload.ts';
import { bodyKind } from './split/split-body.ts';

/** How much of a body is sniffed: enough for the first payload's keys, cheap for 100 MB bodies. */
const SNIFF = 16 * 1024;

const JSON_SIGNATURES: [string, RegExp[]][] = [
  ['ble-gatt', [/"characteristic"\s*:/, /"value(Base64)?"\s*:/]],
  ['fitbit', [/"activities-(heart|steps)(-intraday)?"\s*:/]],
  ['withings', [/"measuregrps"\s*:/]],
  ['dexcom', [/"records"\s*:/, /"(systemTime|transmitterId|recordType)"\s*:/]],
  ['openmhealth', [/"schema_id"\s*:/]],
  ['openmhealth', [/"(heart_rate|systolic_blood_pressure|body_temperature|oxygen_saturation|blood_glucose|body_weight|body_height|body_mass_index|respiratory_rate|step_count)"\s*:/, /"effective_time_frame"\s*:/]],
];

/**
 * The built-in mapping a body most likely needs (for $ingest without ?mapping), or undefined
 * when nothing fits. HL7 v2 → ihe-pcd01, export.xml → apple-health; JSON is recognised by the
 * keys each format must carry, looking only at the start of the body.
 */
export function detectMapping(body: string | Uint8Array, contentType?: string): string | undefined {
  const head = typeof body === 'string' ? body.slice(0, SNIFF) : Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, SNIFF)).toString('utf8');
  const kind = bodyKind(head, contentType);
  if (kind === 'hl7v2') return /(^|[\r\n])MSH\|[^\r\n]*\|ORU\^R01/.test(head) || head.trimStart().startsWith('MSH') ? 'ihe-pcd01' : undefined;
  if (kind === 'apple-health-xml') return /<(HealthData|Record\s|Correlation\s)/.test(head) ? 'apple-health' : undefined;
  for (const [id, patterns] of JSON_SIGNATURES) if (patterns.every((pattern) => pattern.test(head))) return id;
  return undefined;
}

/** JSON text of a parsed value, cut after `budget` characters: enough for the signatures above. */
function headText(value: unknown, budget: number): string {
  let out = '';
  const visit = (node: unknown): void => {
    if (out.length >= budget) return;
    if (Array.isArray(node)) {
      out += '[';
      node.forEach((item, index) => {
        if (out.length >= budget) return;
        if (index > 0) out += ',';
        visit(item);
      });
      out += ']';
    } else if (node instanceof FhirDecimal) out += node.text;
    else if (node !== null && typeof node === 'object') {
      out += '{';
      let first = true;
      for (const [key, child] of Object.entries(node)) {
        if (out.length >= budget) return;
        out += `${first ? '' : ','}${JSON.stringify(key)}:`;
        first = false;
        visit(child);
      }
      out += '}';
    } else out += JSON.stringify(node) ?? 'null';
  };
  visit(value);
  return out;
}

/** detectMapping for a body already parsed as JSON (the server parses JSON request bodies once). */
export function detectMappingFromValue(value: unknown): string | undefined {
  return detectMapping(headText(value, SNIFF), 'application/json');
}

/**
 * detectMapping for a body that is split as it arrives: the first payload decides, so mapping can
 * start before the rest of the body is there. The signatures above are each met within one payload.
 */
export function detectPayloadMapping(payload: PayloadInput): string | undefined {
  switch (payload.format) {
    case 'json':
      return detectMappingFromValue(payload.body);
    case 'hl7v2':
      return detectMapping(payload.body as string, 'application/hl7-v2');
    case 'apple-health-record':
      return 'apple-health';
  }
}

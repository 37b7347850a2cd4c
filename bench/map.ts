/**
 * Mapping cost per reading, with the raw baseline measured in the same run.
 *
 *   npx tsx bench/map.ts [--runs 7] [--readings 10000]
 *
 * Each scenario is a request body of `--readings` readings, split and mapped end to end by the
 * engine (splitBodySync → mapPayloadsSync: parse, normalize, build Observation, vital-signs and
 * range checks), then serialized with stringifyJson as the server would store it:
 *   - ble-gatt: NDJSON of Heart Rate Measurement (0x2A37) and Blood Pressure (0x2A35) payloads;
 *   - openmhealth: a JSON array of heart-rate data points;
 *   - ihe-pcd01: HL7 v2 batch of blood-pressure ORU^R01 messages (one panel each);
 *   - medtech: IoT Hub envelopes through an IotJsonPathContent template and a Quantity FHIR template.
 * Baseline: JSON.parse of the same JSON bodies plus JSON.stringify of a same-shape Observation per
 * reading (what any pipeline pays at least). Prints a table of median µs per reading and writes
 * bench/results/map.json. The server target is ≥10,000 readings/s end to end on 2 cores, so the
 * mapping budget is well under 50 µs per reading.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getBuiltInMapping, importMedTechTemplates, mapPayloadsSync, splitBodySync, type Mapping } from '../mappings/index.ts';
import { stringifyJson } from '../server/fhir/json/index.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, readings: { type: 'string', default: '10000' } } });
const runs = Number(values.runs);
const readings = Number(values.readings);
const here = path.dirname(fileURLToPath(import.meta.url));

function isoAt(i: number): string {
  return new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString();
}

function bleBody(): string {
  const lines: string[] = [];
  for (let i = 0; i < readings; i++) {
    if (i % 2 === 0) lines.push(JSON.stringify({ characteristic: '2A37', value: `00 ${(50 + (i % 80)).toString(16)}`, deviceId: `AA:BB:CC:00:00:${(i % 200).toString(16).padStart(2, '0')}`, timestamp: isoAt(i), patient: 'Patient/p1' }));
    else lines.push(JSON.stringify({ characteristic: '2A35', value: `00 ${(100 + (i % 40)).toString(16)} 00 50 00 5D 00`, deviceId: `AA:BB:CC:00:01:${(i % 200).toString(16).padStart(2, '0')}`, timestamp: isoAt(i), patient: 'Patient/p1' }));
  }
  return lines.join('\n');
}

function omhBody(): string {
  const points = [];
  for (let i = 0; i < readings; i++) {
    points.push({
      header: { id: `id-${i}`, creation_date_time: isoAt(i), schema_id: { namespace: 'omh', name: 'heart-rate', version: '2.0' }, acquisition_provenance: { source_name: `watch-${i % 100}` }, user_id: 'Patient/p1' },
      body: { heart_rate: { value: 60 + (i % 40), unit: 'beats/min' }, effective_time_frame: { date_time: isoAt(i) } },
    });
  }
  return JSON.stringify(points);
}

function pcdBody(): string {
  const messages: string[] = [];
  for (let i = 0; i < readings; i++) {
    const time = isoAt(i).replace(/[-:T]/g, '').slice(0, 14);
    messages.push(
      [
        `MSH|^~\\&|Gateway^ACDE48234567ABCD^EUI-64||||${time}+0000||ORU^R01^ORU_R01|M${i}|P|2.6|||NE|AL|||||IHE PCD ORU-R01 2006^HL7^1.3.6.1.4.1.19376.1.6.1.1.1^ISO`,
        'PID|||P1^^^Hospital&1.2.3&ISO^PI||Doe^Jo',
        `OBR|1|A${i}^Gw^ACDE48234567ABCD^EUI-64|B${i}^Gw^ACDE48234567ABCD^EUI-64|528391^MDC_DEV_SPEC_PROFILE_BP^MDC|||${time}+0000`,
        'OBX|1||528391^MDC_DEV_SPEC_PROFILE_BP^MDC|1|||||||R|||||||0123456789ABCDEF^EUI-64',
        `OBX|2||150020^MDC_PRESS_BLD_NONINV^MDC|1.0.1|||||||R|||${time}+0000`,
        `OBX|3|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.0.1.1|${110 + (i % 30)}|266016^MDC_DIM_MMHG^MDC|||||R`,
        'OBX|4|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.0.1.2|80|266016^MDC_DIM_MMHG^MDC|||||R',
        'OBX|5|NM|150023^MDC_PRESS_BLD_NONINV_MEAN^MDC|1.0.1.3|93|266016^MDC_DIM_MMHG^MDC|||||R',
      ].join('\r'),
    );
  }
  return messages.join('\r\n');
}

function medtechBody(): string {
  const envelopes = [];
  for (let i = 0; i < readings; i++) {
    envelopes.push({ Body: { heartrate: String(60 + (i % 40)) }, Properties: { 'iothub-creation-time-utc': isoAt(i) }, SystemProperties: { 'iothub-connection-device-id': `dev-${i % 100}` } });
  }
  return JSON.stringify(envelopes);
}

function medtechMapping(): Mapping {
  const device = JSON.stringify({ templateType: 'CollectionContent', template: [{ templateType: 'IotJsonPathContent', template: { typeName: 'heartrate', typeMatchExpression: '$..[?(@Body.heartrate)]', values: [{ required: true, valueExpression: '$.Body.heartrate', valueName: 'hr' }] } }] });
  const fhir = JSON.stringify({ templateType: 'CollectionFhir', template: [{ templateType: 'CodeValueFhir', template: { typeName: 'heartrate', periodInterval: 0, codes: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }], value: { valueName: 'hr', valueType: 'Quantity', unit: 'beats/minute', code: '/min', system: 'http://unitsofmeasure.org' } } }] });
  return importMedTechTemplates(device, fhir).mapping!;
}

interface Scenario {
  name: string;
  mapping: Mapping;
  body: string;
  json: boolean;
  contentType?: string;
}

function runScenario(scenario: Scenario): { micros: number; observations: number; errors: number } {
  const start = process.hrtime.bigint();
  let observations = 0;
  let errors = 0;
  let bytes = 0;
  for (const result of mapPayloadsSync(scenario.mapping, splitBodySync(scenario.body, scenario.contentType))) {
    observations += result.observations.length;
    for (const issue of result.issues) if (issue.severity === 'error') errors++;
    for (const observation of result.observations) bytes += stringifyJson(observation).length;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1000;
  if (bytes === 0) throw new Error(`${scenario.name}: nothing serialized`);
  return { micros: elapsed / readings, observations, errors };
}

function runBaseline(scenario: Scenario, sample: string): number {
  const start = process.hrtime.bigint();
  let bytes = 0;
  if (scenario.json) {
    const parsed = scenario.contentType ? scenario.body.split('\n').map((line) => JSON.parse(line)) : (JSON.parse(scenario.body) as unknown[]);
    for (let i = 0; i < parsed.length; i++) bytes += JSON.stringify(JSON.parse(sample)).length;
  } else {
    for (const message of scenario.body.split('\r\n')) bytes += message.split('\r').map((segment) => segment.split('|')).length + JSON.stringify(JSON.parse(sample)).length;
  }
  if (bytes === 0) throw new Error('baseline did nothing');
  return Number(process.hrtime.bigint() - start) / 1000 / readings;
}

function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const scenarios: Scenario[] = [
  { name: 'ble-gatt (NDJSON, HR + BP)', mapping: getBuiltInMapping('ble-gatt')!, body: bleBody(), json: true, contentType: 'application/x-ndjson' },
  { name: 'openmhealth (JSON array)', mapping: getBuiltInMapping('openmhealth')!, body: omhBody(), json: true },
  { name: 'ihe-pcd01 (HL7 v2 batch)', mapping: getBuiltInMapping('ihe-pcd01')!, body: pcdBody(), json: false },
  { name: 'medtech IotJsonPath + Quantity', mapping: medtechMapping(), body: medtechBody(), json: true },
];

const rows: { scenario: string; medianMicrosPerReading: number; readingsPerSecond: number; baselineMicrosPerReading: number; observations: number; errors: number }[] = [];
for (const scenario of scenarios) {
  // Warm-up pass, which also yields one real Observation as the baseline's serialization sample.
  let sample = '{}';
  for (const result of mapPayloadsSync(scenario.mapping, splitBodySync(scenario.body, scenario.contentType))) {
    if (sample === '{}' && result.observations.length > 0) sample = stringifyJson(result.observations[0]);
  }
  const times: number[] = [];
  const baselines: number[] = [];
  let last = { observations: 0, errors: 0 };
  for (let run = 0; run < runs; run++) {
    const measured = runScenario(scenario);
    times.push(measured.micros);
    last = measured;
    baselines.push(runBaseline(scenario, sample));
  }
  const micros = median(times);
  rows.push({ scenario: scenario.name, medianMicrosPerReading: Number(micros.toFixed(2)), readingsPerSecond: Math.round(1e6 / micros), baselineMicrosPerReading: Number(median(baselines).toFixed(2)), observations: last.observations, errors: last.errors });
}

console.log(`Mapping cost, ${readings} readings per body, median of ${runs} runs (Node ${process.version})`);
console.table(rows);
await mkdir(path.join(here, 'results'), { recursive: true });
await writeFile(path.join(here, 'results', 'map.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, readings, runs, rows }, null, 2) + '\n');

import { z } from 'zod';

/**
 * Our declarative mapping format: JSON a device maker writes (or generates) to turn their
 * payload into measurements and Observations without code. Paths are JSONPath in the
 * Newtonsoft dialect MedTech users know (`$.sys`, `$..[?(@.hr)]`). A definition either reads
 * payloads itself (`measurements`) or `extends` a built-in mapping to change its identity mode,
 * its Observation rules or its SampledData grouping.
 */
const coding = z.object({ system: z.string().min(1), code: z.string().min(1), display: z.string().optional() }).strict();

const timestamp = z
  .object({
    path: z.string().min(1).describe('JSONPath of the reading time'),
    format: z.enum(['iso', 'unix-s', 'unix-ms']).default('iso').describe('ISO-8601 text, or a Unix time in seconds / milliseconds'),
    timeZone: z.string().optional().describe('IANA zone or ±hh:mm for times written without an offset'),
  })
  .strict();

const device = z
  .object({
    path: z.string().min(1).describe('JSONPath of the device id (serial, MAC, vendor id)'),
    system: z.string().min(1).optional().describe('Identifier system of the id; MACs and EUI-64s are recognised when omitted'),
    manufacturer: z.string().optional(),
    model: z.string().optional(),
  })
  .strict();

const patient = z.object({ path: z.string().min(1).describe('JSONPath of the patient (Patient/123, system|value, or an id)') }).strict();

const value = z
  .object({
    name: z.string().min(1).describe('value, systolic, diastolic, mean, or a name an observation rule reads'),
    path: z.string().min(1).describe('JSONPath of the value, relative to the matched token'),
    unit: z.string().optional().describe('Unit as the payload means it (mmHg, bpm, degC … are converted to UCUM)'),
    unitPath: z.string().optional().describe('JSONPath of the unit, when the payload carries it'),
    scale: z.number().optional().describe('Factor applied to numeric values (raw counts to units)'),
    required: z.boolean().default(true),
  })
  .strict();

const measurement = z
  .object({
    type: z.string().min(1).describe('A vital-sign key (heart-rate, blood-pressure, body-temperature, …) or a type defined under observations'),
    match: z.string().min(1).default('$').describe('JSONPath selecting one token per reading; other paths are relative to it'),
    timestamp: timestamp.optional(),
    device: device.optional(),
    values: z.array(value).min(1),
  })
  .strict();

const valueRule = z
  .object({
    from: z.string().min(1),
    kind: z.enum(['quantity', 'string', 'codeable-concept', 'sampled-data', 'boolean', 'integer']).default('quantity'),
    unit: z.string().optional().describe('UCUM unit of the Observation value'),
    periodMs: z.number().positive().optional(),
    concept: z.object({ coding: z.array(coding).optional(), text: z.string().optional() }).strict().optional(),
  })
  .strict();

const observation = z
  .object({
    type: z.string().min(1),
    code: z.array(coding).min(1),
    text: z.string().optional(),
    category: z.array(z.enum(['vital-signs', 'laboratory', 'activity', 'survey', 'exam'])).default([]),
    value: valueRule.optional(),
    components: z.array(z.object({ code: z.array(coding).min(1), text: z.string().optional(), value: valueRule }).strict()).optional(),
  })
  .strict();

const sampledData = z
  .object({
    type: z.string().min(1).describe('Measurement type to stream into SampledData'),
    periodMs: z.number().positive().describe('Sample period in milliseconds (1000 for 1 Hz)'),
    windowMinutes: z.number().positive().default(60).describe('One Observation per device, type and window'),
    unit: z.string().optional(),
  })
  .strict();

export const mappingDefinitionSchema = z
  .object({
    $schema: z.string().optional(),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, . _ -'),
    title: z.string().optional(),
    identity: z.enum(['lookup', 'create']).default('lookup').describe('Unknown devices: refuse (lookup) or create shell Device and Patient (create)'),
    extends: z.string().optional().describe('Id of a built-in mapping to reuse'),
    device: device.optional(),
    patient: patient.optional(),
    timestamp: timestamp.optional(),
    measurements: z.array(measurement).optional(),
    observations: z.array(observation).optional(),
    sampledData: z.array(sampledData).optional(),
  })
  .strict()
  .refine((definition) => (definition.extends === undefined) !== (definition.measurements === undefined), {
    message: 'Give either measurements (to read payloads) or extends (to reuse a built-in mapping), not both or neither',
  });

export type MappingDefinition = z.infer<typeof mappingDefinitionSchema>;

/** JSON Schema (draft 2020-12) of the format, for editors (`"$schema"` in a mapping file). */
export function mappingDefinitionJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(mappingDefinitionSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

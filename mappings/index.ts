/**
 * Public API of the device-mapping engine (usable without the server): mappings by id or from
 * text, body splitting, auto-detection, and the streaming mapper.
 */
export { listMappings, getBuiltInMapping, type MappingSummary } from './registry.ts';
export { parseMappingDefinition } from './definition/parse-definition.ts';
export { mappingDefinitionJsonSchema, mappingDefinitionSchema, type MappingDefinition } from './definition/definition-schema.ts';
export { importMedTechTemplates, medTechEnvelope, type MedTechImportOptions } from './medtech/import.ts';
export { detectMapping, detectMappingFromValue } from './detect.ts';
export { splitBody, splitBodySync, bodyKind, type RequestBody, type BodyKind } from './split/split-body.ts';
export { mapPayload, mapPayloads, mapPayloadsSync, type MappedPayload, type DeviceIdentity } from './map-payloads.ts';
export { mergeSampledData } from './observation-grouper.ts';
export { INGEST_IDENTIFIER_SYSTEM, DEVICE_ID_SYSTEM, PATIENT_ID_SYSTEM, EUI64_SYSTEM, BLUETOOTH_MAC_SYSTEM } from './identity.ts';
export { hasErrors, describeLocation, PayloadError, type MappingIssue, type IssueLocation, type IssueSeverity, type IssueCode } from './issue.ts';
export type { Mapping, MappingResult, IdentityMode, NormalizeResult } from './mapping.ts';
export type { Measurement, MeasurementValue, SampleArrayFacts, DeviceFacts, PatientHint } from './measurement.ts';
export type { PayloadInput, PayloadContext, PayloadFormat } from './payload.ts';
export type { Observation } from './observation-builder.ts';

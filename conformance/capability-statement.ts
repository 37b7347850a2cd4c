import type { SearchParameterRegistry, SearchParamDefinition } from '../server/fhir/search/definitions/search-parameters.ts';
import type { OperationHandler } from '../server/fhir/operations/operation-registry.ts';

export interface CapabilityInputs {
  baseUrl: string;
  softwareVersion: string;
  resourceTypes: string[];
  registry: SearchParameterRegistry;
  /** Whether the search engine answers this parameter (only those are listed). */
  isSearchable(param: SearchParamDefinition): boolean;
  modifiersFor(param: SearchParamDefinition): string[];
  operations: OperationHandler[];
  conditionalDelete: 'single' | 'multiple';
}

const TYPE_INTERACTIONS = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'];

/**
 * The CapabilityStatement, built from what the server has registered at start — resource types
 * from the definitions, search parameters the engine answers, operations that have a handler —
 * so it never claims what is not implemented.
 */
export function buildCapabilityStatement(inputs: CapabilityInputs): Record<string, unknown> {
  const { registry } = inputs;
  const operationsAt = (level: 'system' | 'type' | 'instance', type?: string) =>
    inputs.operations
      .filter((op) => op.levels.includes(level) && (!type || !op.resourceTypes || op.resourceTypes.includes(type)))
      .map((op) => ({ name: op.name, definition: op.definition, documentation: op.documentation }));

  const resources = inputs.resourceTypes.map((type) => {
    const params = [...registry.paramsFor(type).values()].filter((param) => inputs.isSearchable(param));
    const references = params.filter((param) => param.type === 'reference');
    const revIncludes = inputs.resourceTypes.flatMap((source) =>
      [...registry.paramsFor(source).values()]
        .filter((param) => param.type === 'reference' && inputs.isSearchable(param) && (param.targets.length === 0 || param.targets.includes(type)))
        .map((param) => `${source}:${param.code}`),
    );
    const operations = [...new Map([...operationsAt('type', type), ...operationsAt('instance', type)].map((op) => [op.name, op])).values()];
    return {
      type,
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      interaction: TYPE_INTERACTIONS.map((code) => ({ code })),
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalRead: 'full-support',
      conditionalUpdate: true,
      conditionalDelete: inputs.conditionalDelete,
      referencePolicy: ['literal', 'logical', 'local'],
      searchInclude: ['*', ...references.map((param) => `${type}:${param.code}`)],
      searchRevInclude: revIncludes,
      searchParam: params.map((param) => ({
        name: param.code,
        definition: param.url,
        type: param.type,
        documentation: documentation(param, inputs.modifiersFor(param)),
      })),
      ...(operations.length ? { operation: operations } : {}),
    };
  });

  return {
    resourceType: 'CapabilityStatement',
    id: 'vitalchain-fhir',
    url: `${inputs.baseUrl}/metadata`,
    version: inputs.softwareVersion,
    name: 'VitalchainFhirServer',
    title: 'Vitalchain FHIR server',
    status: 'active',
    experimental: false,
    date: new Date().toISOString().slice(0, 10),
    publisher: 'Vitalchain contributors',
    kind: 'instance',
    software: { name: 'vitalchain-fhir', version: inputs.softwareVersion },
    implementation: { description: 'FHIR R4 server for connected-device data', url: inputs.baseUrl },
    fhirVersion: '4.0.1',
    format: ['json', 'application/fhir+json', 'application/json'],
    patchFormat: ['application/json-patch+json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        documentation: 'Unknown search parameters are refused with 400 unless the request sends Prefer: handling=lenient.',
        resource: resources,
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }, { code: 'history-system' }],
        searchParam: [
          { name: '_id', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' },
          { name: '_lastUpdated', type: 'date', definition: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated' },
          { name: '_type', type: 'token', documentation: 'Resource types to search at system level' },
        ],
        operation: operationsAt('system'),
      },
    ],
  };
}

function documentation(param: SearchParamDefinition, modifiers: string[]): string {
  const description = String(param.source.description ?? '').split('\n')[0].slice(0, 200);
  return modifiers.length ? `${description} Modifiers: ${modifiers.map((m) => ':' + m).join(' ')}.` : description;
}

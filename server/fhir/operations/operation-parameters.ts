import { badRequest } from '../outcome.ts';
import type { FhirRequest } from '../request.ts';

/**
 * Operation inputs from the query string (GET or POST) and, for POST, a Parameters body:
 * primitive parameters as strings (repeats kept), Coding/Period values as their JSON, resources apart.
 */
export interface OperationInputs {
  values: Array<[string, string]>;
  complex: Array<[string, Record<string, any>]>;
  resources: Array<[string, Record<string, any>]>;
}

export function operationInputs(request: FhirRequest): OperationInputs {
  const inputs: OperationInputs = { values: request.query.filter(([name]) => name !== '_format' && name !== '_pretty'), complex: [], resources: [] };
  const body = request.body as Record<string, any> | undefined;
  if (body === undefined) return inputs;
  if (body?.resourceType !== 'Parameters') throw badRequest('The operation takes a Parameters resource in the body', undefined, 'structure');
  for (const parameter of body.parameter ?? []) {
    if (typeof parameter?.name !== 'string') continue;
    if (parameter.resource) {
      inputs.resources.push([parameter.name, parameter.resource]);
      continue;
    }
    const key = Object.keys(parameter).find((k) => k.startsWith('value'));
    if (!key) continue;
    const value = parameter[key];
    if (value !== null && typeof value === 'object') inputs.complex.push([parameter.name, value]);
    else inputs.values.push([parameter.name, String(value)]);
  }
  return inputs;
}

export function single(inputs: OperationInputs, name: string): string | undefined {
  const found = inputs.values.filter(([key]) => key === name);
  if (found.length > 1) throw badRequest(`Parameter '${name}' may appear only once`, [name], 'value');
  return found[0]?.[1];
}

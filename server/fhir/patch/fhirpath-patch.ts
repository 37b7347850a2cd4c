import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { typeModel } from '../../../conformance/type-model.ts';
import { badRequest, unprocessable } from '../outcome.ts';
import { structuredCloneKeepingDecimals } from './json-patch.ts';

/**
 * FHIRPath Patch (http://hl7.org/fhir/R4/fhirpatch.html): a Parameters resource whose
 * `operation` parameters add, insert, delete, replace or move elements located by FHIRPath.
 * fhirpath.js finds the nodes (it reports each node's parent, property and index); we edit the
 * JSON ourselves because the library only evaluates.
 */
export function applyFhirPathPatch(resource: Record<string, any>, parameters: unknown): Record<string, any> {
  if (!parameters || typeof parameters !== 'object' || (parameters as any).resourceType !== 'Parameters') {
    throw badRequest('A FHIRPath Patch body must be a Parameters resource', undefined, 'structure');
  }
  const target = structuredCloneKeepingDecimals(resource);
  const operations = ((parameters as any).parameter ?? []).filter((p: any) => p?.name === 'operation');
  if (operations.length === 0) throw badRequest('FHIRPath Patch has no operation parameters', ['Parameters.parameter'], 'required');
  operations.forEach((operation: any, index: number) => applyOperation(target, operation, `Parameters.parameter[${index}]`));
  return target;
}

interface Located {
  parent: Record<string, any>;
  property: string;
  index: number | null;
  data: any;
}

function part(operation: any, name: string): any {
  return (operation.part ?? []).find((p: any) => p?.name === name);
}

function stringPart(operation: any, name: string, where: string, required = true): string | undefined {
  const found = part(operation, name);
  const value = found ? (found.valueString ?? found.valueCode ?? found.valueUri) : undefined;
  if (required && typeof value !== 'string') throw badRequest(`FHIRPath Patch operation needs '${name}'`, [`${where}.part`], 'required');
  return value;
}

function integerPart(operation: any, name: string, where: string): number {
  const value = part(operation, name)?.valueInteger;
  if (!Number.isInteger(value)) throw badRequest(`FHIRPath Patch operation needs integer '${name}'`, [`${where}.part`], 'required');
  return value;
}

function locate(resource: Record<string, any>, path: string, where: string): Located[] {
  let nodes: any[];
  try {
    nodes = fhirpath.evaluate(resource, path, {}, r4Model as any, { resolveInternalTypes: false } as any) as any[];
  } catch (error) {
    throw badRequest(`Invalid FHIRPath '${path}': ${(error as Error).message}`, [`${where}.part`], 'invalid');
  }
  return nodes
    .filter((node) => node && typeof node === 'object' && 'propName' in node)
    .map((node) => ({ parent: node.parentResNode?.data, property: node.propName, index: node.index ?? null, data: node.data }))
    .filter((node) => node.parent && typeof node.parent === 'object');
}

/** The JSON value of a patch `value` part: value[x], or nested parts building a complex value. */
function valueOf(valuePart: any, where: string): { value: any; typeSuffix?: string } {
  if (!valuePart) throw badRequest('FHIRPath Patch operation needs a value', [`${where}.part`], 'required');
  for (const key of Object.keys(valuePart)) {
    if (key.startsWith('value') && key.length > 5) return { value: valuePart[key], typeSuffix: key.slice(5) };
  }
  if (Array.isArray(valuePart.part)) {
    const out: Record<string, any> = {};
    for (const child of valuePart.part) {
      const { value } = valueOf(child, where);
      if (out[child.name] === undefined) out[child.name] = value;
      else out[child.name] = [].concat(out[child.name], value);
    }
    return { value: out };
  }
  throw badRequest('FHIRPath Patch value is empty', [`${where}.part`], 'required');
}

function isRepeating(resourceType: string, parentPathHint: string | undefined, name: string): boolean {
  const type = typeModel().types.get(resourceType);
  if (!type || !parentPathHint) return false;
  for (const [path, element] of type.elements) if (path.endsWith(`.${name}`) && path.startsWith(parentPathHint)) return element.max > 1;
  return false;
}

function applyOperation(resource: Record<string, any>, operation: any, where: string): void {
  const type = stringPart(operation, 'type', where)!;
  const path = stringPart(operation, 'path', where)!;
  const nodes = locate(resource, path, where);
  const single = () => {
    if (nodes.length > 1) throw unprocessable(`FHIRPath Patch path '${path}' matches ${nodes.length} elements, expected one`, [`${where}.part`]);
    if (nodes.length === 0) throw unprocessable(`FHIRPath Patch path '${path}' matches nothing`, [`${where}.part`]);
    return nodes[0];
  };
  switch (type) {
    case 'add': {
      const name = stringPart(operation, 'name', where)!;
      const { value, typeSuffix } = valueOf(part(operation, 'value'), where);
      const targets = path === resource.resourceType ? [{ data: resource }] : nodes;
      if (targets.length !== 1) throw unprocessable(`FHIRPath Patch add path '${path}' must match exactly one element`, [`${where}.part`]);
      const container = targets[0].data;
      const element = typeModel().types.get(resource.resourceType)?.elements;
      const choice = [...(element?.keys() ?? [])].some((p) => p.endsWith(`.${name}[x]`));
      const property = choice && typeSuffix ? name + typeSuffix[0].toUpperCase() + typeSuffix.slice(1) : name;
      if (Array.isArray(container[property]) || isRepeating(resource.resourceType, undefined, property)) {
        container[property] = [...(container[property] ?? []), value];
      } else if (container[property] === undefined) container[property] = value;
      else if (Array.isArray(container[property])) container[property].push(value);
      else {
        const repeating = [...(element?.entries() ?? [])].some(([p, e]) => p.endsWith(`.${property}`) && e.max > 1);
        if (!repeating) throw unprocessable(`FHIRPath Patch add: '${property}' already has a value`, [`${where}.part`]);
        container[property] = [container[property], value];
      }
      return;
    }
    case 'insert': {
      const index = integerPart(operation, 'index', where);
      const { value } = valueOf(part(operation, 'value'), where);
      const list = nodes[0];
      const array = list ? list.parent[list.property] : undefined;
      if (!Array.isArray(array) && nodes.length !== 0) throw unprocessable(`FHIRPath Patch insert path '${path}' is not a list`, [`${where}.part`]);
      if (!array) throw unprocessable(`FHIRPath Patch insert path '${path}' matches nothing`, [`${where}.part`]);
      if (index < 0 || index > array.length) throw unprocessable(`FHIRPath Patch insert index ${index} is outside the list (0..${array.length})`, [`${where}.part`]);
      array.splice(index, 0, value);
      return;
    }
    case 'delete': {
      if (nodes.length === 0) return;
      const node = single();
      removeNode(node);
      return;
    }
    case 'replace': {
      const node = single();
      const { value } = valueOf(part(operation, 'value'), where);
      if (node.index !== null && Array.isArray(node.parent[node.property])) node.parent[node.property][node.index] = value;
      else node.parent[node.property] = value;
      return;
    }
    case 'move': {
      const source = integerPart(operation, 'source', where);
      const destination = integerPart(operation, 'destination', where);
      const node = nodes[0];
      const array = node ? node.parent[node.property] : undefined;
      if (!Array.isArray(array)) throw unprocessable(`FHIRPath Patch move path '${path}' is not a list`, [`${where}.part`]);
      if (source < 0 || source >= array.length || destination < 0 || destination >= array.length) {
        throw unprocessable(`FHIRPath Patch move indexes ${source} → ${destination} are outside the list`, [`${where}.part`]);
      }
      const [item] = array.splice(source, 1);
      array.splice(destination, 0, item);
      return;
    }
    default:
      throw badRequest(`Unknown FHIRPath Patch operation type '${type}'`, [`${where}.part`], 'code-invalid');
  }
}

function removeNode(node: Located): void {
  const current = node.parent[node.property];
  if (Array.isArray(current) && node.index !== null) {
    current.splice(node.index, 1);
    if (current.length === 0) delete node.parent[node.property];
  } else delete node.parent[node.property];
}

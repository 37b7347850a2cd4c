import fastJsonPatch from 'fast-json-patch';
import { badRequest, unprocessable } from '../outcome.ts';

const { applyPatch, validate } = fastJsonPatch;

/** RFC 6902 JSON Patch (fast-json-patch), applied to a copy. A failed `test` answers 422. */
export function applyJsonPatch(resource: Record<string, any>, patch: unknown): Record<string, any> {
  if (!Array.isArray(patch)) throw badRequest('A JSON Patch body must be an array of operations', undefined, 'structure');
  const validationError = validate(patch as any, resource);
  if (validationError?.name === 'TEST_OPERATION_FAILED') {
    throw unprocessable(`JSON Patch test failed at operation ${validationError.index}`, [`patch[${validationError.index}]`]);
  }
  if (validationError) {
    throw badRequest(`Invalid JSON Patch operation ${validationError.index ?? ''}: ${validationError.message.split('\n')[0]}`, [`patch[${validationError.index ?? 0}]`], 'invalid');
  }
  try {
    return applyPatch(structuredCloneKeepingDecimals(resource), patch as any, true, true).newDocument as Record<string, any>;
  } catch (error: any) {
    if (error?.name === 'TEST_OPERATION_FAILED') throw unprocessable(`JSON Patch test failed at operation ${error.index}`, [`patch[${error.index}]`]);
    throw badRequest(`JSON Patch could not be applied: ${String(error?.message ?? error).split('\n')[0]}`, error?.index !== undefined ? [`patch[${error.index}]`] : undefined);
  }
}

/** Deep copy that keeps FhirDecimal instances (structuredClone would turn them into plain objects). */
function structuredCloneKeepingDecimals<T>(value: T): T {
  if (Array.isArray(value)) return value.map(structuredCloneKeepingDecimals) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = structuredCloneKeepingDecimals(item);
    return out as T;
  }
  return value;
}

export { structuredCloneKeepingDecimals };

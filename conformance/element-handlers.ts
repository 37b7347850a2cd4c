import type { ElementDefinitionInfo } from './type-model.ts';
import type { JsonObject, ValidationContext } from './validation-context.ts';
import { describeJson, quoteValue } from './validation-issue.ts';

/** Validates the property `key` of `object` (path is the object's path). */
export type PropertyHandler = (object: JsonObject, key: string, path: string, ctx: ValidationContext) => void;

/** Validates one non-null value of an element (path is the value's own path). */
export type ItemCheck = (value: unknown, path: string, ctx: ValidationContext) => void;

/**
 * Handler for a complex (or resource) element: enforces the JSON shape the element's base
 * cardinality implies (array when max > 1, single value otherwise), no empty arrays or nulls,
 * the maximum count, then validates each item.
 */
export function complexPropertyHandler(element: ElementDefinitionInfo, segment: string, check: ItemCheck): PropertyHandler {
  const repeats = element.max > 1;
  const max = element.max;
  return (object, key, path, ctx) => {
    const value = object[key];
    const at = path + segment;
    if (repeats) {
      if (!Array.isArray(value)) return ctx.structure('structure', `${at}: must be a JSON array (the element repeats), found ${describeJson(value)}`, at);
      if (value.length === 0) return ctx.structure('structure', `${at}: arrays cannot be empty (omit the element instead)`, at);
      if (value.length > max) ctx.structure('structure', `${at}: maximum allowed = ${max}, but found ${value.length}`, at);
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        const itemAt = `${at}[${i}]`;
        if (item === null || item === undefined) ctx.structure('structure', `${itemAt}: null is not allowed in this array`, itemAt);
        else check(item, itemAt, ctx);
      }
    } else if (Array.isArray(value)) {
      ctx.structure('structure', `${at}: must be a single value, not an array (maximum cardinality is 1)`, at);
    } else if (value === null) {
      ctx.structure('structure', `${at}: null is not allowed (omit the element instead)`, at);
    } else {
      check(value, at, ctx);
    }
  };
}

/** Checks of a JSON object value of a complex type, before its type validator runs. */
export function requireObject(value: unknown, path: string, ctx: ValidationContext, typeName: string): value is JsonObject {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return true;
  ctx.structure('structure', `${path}: a ${typeName} must be a JSON object, found ${describeJson(value)}`, path);
  return false;
}

/**
 * Handler for a primitive element, registered under both `name` and `_name`: the value and its
 * extension part are validated together, arrays position by position (nulls allowed where the
 * other array has an entry, never both), and an element needs a value or an extension (ele-1).
 */
export function primitivePropertyHandler(
  element: ElementDefinitionInfo,
  jsonName: string,
  segment: string,
  checkValue: ItemCheck,
  checkExtensionPart: ItemCheck,
): PropertyHandler {
  const repeats = element.max > 1;
  const max = element.max;
  const extName = '_' + jsonName;
  return (object, key, path, ctx) => {
    // The value key handles both parts; the _key alone only when there is no value.
    if (key === extName && object[jsonName] !== undefined) return;
    const value = object[jsonName];
    const ext = object[extName];
    const at = path + segment;
    if (!repeats) {
      if (Array.isArray(value) || Array.isArray(ext)) {
        return ctx.structure('structure', `${at}: must be a single value, not an array (maximum cardinality is 1)`, at);
      }
      if (value === null) ctx.structure('structure', `${at}: null is not allowed (omit the element instead)`, at);
      else if (value !== undefined) checkValue(value, at, ctx);
      if (ext !== undefined) {
        if (ext === null) ctx.structure('structure', `${path}.${extName}: null is not allowed`, at);
        else {
          checkExtensionPart(ext, at, ctx);
          if (value === undefined) requireExtensions(ext, at, ctx);
        }
      }
      return;
    }
    if ((value !== undefined && !Array.isArray(value)) || (ext !== undefined && !Array.isArray(ext))) {
      return ctx.structure('structure', `${at}: must be a JSON array (the element repeats), found ${describeJson(Array.isArray(value) ? ext : value)}`, at);
    }
    const values = value as unknown[] | undefined;
    const exts = ext as unknown[] | undefined;
    if (values && exts && values.length !== exts.length) {
      ctx.structure('structure', `${at}: the arrays ${jsonName} and ${extName} must have the same length`, at);
    }
    const length = Math.max(values?.length ?? 0, exts?.length ?? 0);
    if (length === 0) return ctx.structure('structure', `${at}: arrays cannot be empty (omit the element instead)`, at);
    if (length > max) ctx.structure('structure', `${at}: maximum allowed = ${max}, but found ${length}`, at);
    for (let i = 0; i < length; i++) {
      const item = values?.[i];
      const itemExt = exts?.[i];
      const itemAt = `${at}[${i}]`;
      const hasValue = item !== null && item !== undefined;
      const hasExt = itemExt !== null && itemExt !== undefined;
      if (!hasValue && !hasExt) ctx.structure('structure', `${itemAt}: null entries need an extension at the same position in ${extName}`, itemAt);
      if (hasValue) checkValue(item, itemAt, ctx);
      if (hasExt) {
        checkExtensionPart(itemExt, itemAt, ctx);
        if (!hasValue) requireExtensions(itemExt, itemAt, ctx);
      }
    }
  };
}

/** ele-1 for a primitive without a value: its extension part must carry extensions, not just an id. */
function requireExtensions(ext: unknown, path: string, ctx: ValidationContext): void {
  if (typeof ext === 'object' && ext !== null && !Array.isArray(ext) && (ext as JsonObject).extension === undefined && Object.keys(ext).length > 0) {
    ctx.structure('structure', `${path}: a primitive element without a value must have extensions (ele-1)`, path);
  }
}

/** Diagnostic for a property no element definition declares. */
export function reportUnknownProperty(key: string, path: string, ctx: ValidationContext, typeName: string): void {
  const at = `${path}.${key}`;
  ctx.structure('structure', `${at}: unrecognized property ${quoteValue(key)} (not an element of ${typeName})`, at);
}

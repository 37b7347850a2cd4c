import { asNumber, itemsEqual } from './fhirpath-values.ts';
import { UnsupportedProfile, type ProfileNode } from './profile-tree.ts';
import type { JsonObject } from './validation-context.ts';

/** fixed[x]: the instance value equals the fixed value exactly (complex values: no extra content either). */
export function matchesFixed(actual: unknown, fixed: unknown): boolean {
  return itemsEqual(actual, fixed);
}

/**
 * pattern[x]: the instance value has at least the pattern's content. Primitives must be equal;
 * objects must match each pattern property; each entry of a pattern array must match some entry
 * of the instance array.
 */
export function matchesPattern(actual: unknown, pattern: unknown): boolean {
  if (pattern === null || typeof pattern !== 'object') {
    const number = asNumber(pattern);
    return number !== undefined ? asNumber(actual) === number : actual === pattern;
  }
  if (Array.isArray(pattern)) {
    const items = Array.isArray(actual) ? actual : [actual];
    return pattern.every((wanted) => items.some((item) => matchesPattern(item, wanted)));
  }
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
  for (const key of Object.keys(pattern)) {
    const value = (actual as JsonObject)[key];
    if (value === undefined || !matchesPattern(value, (pattern as JsonObject)[key])) return false;
  }
  return true;
}

/** Values at a simple dotted path (arrays flattened), as slicing discriminators navigate. */
export function valuesAt(item: unknown, path: string[]): unknown[] {
  let current: unknown[] = [item];
  for (const name of path) {
    const next: unknown[] = [];
    for (const value of current) {
      if (value === null || typeof value !== 'object') continue;
      const child = (value as JsonObject)[name];
      if (Array.isArray(child)) for (const entry of child) { if (entry != null) next.push(entry); }
      else if (child !== undefined && child !== null) next.push(child);
    }
    current = next;
  }
  return current;
}

export function discriminatorPath(path: string): string[] {
  if (path === '$this') return [];
  if (!/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/.test(path)) throw new UnsupportedProfile(`discriminator path ${path}`);
  return path.split('.');
}

/**
 * The values a slice fixes at a discriminator path: fixed[x]/pattern[x] of the element the path
 * reaches inside the slice, looking into nested slices on the way (bp's SystolicBP fixes its
 * code inside the SBPCode slice of code.coding), or inside a pattern met part-way.
 */
export function sliceValues(slice: ProfileNode, path: string[]): { value: unknown; pattern: boolean }[] {
  const found: { value: unknown; pattern: boolean }[] = [];
  const visit = (current: ProfileNode, rest: string[]): void => {
    if (current.fixed !== undefined) {
      for (const value of valuesAt(current.fixed, rest)) found.push({ value, pattern: false });
      return;
    }
    if (current.pattern !== undefined) {
      for (const value of valuesAt(current.pattern, rest)) found.push({ value, pattern: true });
      return;
    }
    if (rest.length === 0) return;
    const child = current.children.get(rest[0]);
    if (child) visit(child, rest.slice(1));
    for (const nested of child?.slices ?? []) visit(nested, rest.slice(1));
  };
  visit(slice, path);
  return found;
}

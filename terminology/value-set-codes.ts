import { expandValueSet } from '../conformance/value-set-expansion.ts';
import { allCodesOf, descendantsOf } from './code-system-hierarchy.ts';

/** Codes of a value set, per code system. */
export type ValueSetCodes = Map<string, Set<string>>;

/** Finds a ValueSet resource stored on the server by canonical URL (a search the caller runs). */
export type StoredValueSetLoader = (url: string) => Promise<Record<string, any> | undefined>;

/**
 * Codes of a value set the server knows: the R4 definitions first, then ValueSet resources stored
 * on the server (their expansion, or a compose of enumerated concepts, whole code systems the
 * package holds, is-a filters on those, and imported value sets). Undefined when it cannot be
 * expanded here (e.g. it draws on all of SNOMED CT).
 */
export async function valueSetCodes(url: string, loadStored: StoredValueSetLoader, depth = 0): Promise<ValueSetCodes | undefined> {
  const packaged = expandValueSet(url);
  if (packaged) return packaged.bySystem;
  if (depth > 5) return undefined;
  const stored = await loadStored(url.split('|')[0]);
  if (!stored) return undefined;
  const codes: ValueSetCodes = new Map();
  const add = (system: string, code: string) => {
    if (!codes.has(system)) codes.set(system, new Set());
    codes.get(system)!.add(code);
  };
  if (stored.expansion?.contains) {
    const visit = (items: any[]) => {
      for (const item of items ?? []) {
        if (item.system && item.code) add(item.system, item.code);
        visit(item.contains);
      }
    };
    visit(stored.expansion.contains);
    return codes;
  }
  const compose = stored.compose;
  if (!compose?.include) return undefined;
  for (const include of compose.include) {
    const part = await includeCodes(include, loadStored, depth);
    if (!part) return undefined;
    for (const [system, set] of part) for (const code of set) add(system, code);
  }
  for (const exclude of compose.exclude ?? []) {
    const part = await includeCodes(exclude, loadStored, depth);
    for (const [system, set] of part ?? []) for (const code of set) codes.get(system)?.delete(code);
  }
  return codes;
}

async function includeCodes(include: any, loadStored: StoredValueSetLoader, depth: number): Promise<ValueSetCodes | undefined> {
  const out: ValueSetCodes = new Map();
  if (include.system) {
    let codes: Set<string> | undefined;
    if (include.concept) codes = new Set(include.concept.map((c: any) => c.code));
    else if (include.filter) {
      codes = new Set();
      for (const filter of include.filter) {
        if (filter.property !== 'concept' || (filter.op !== 'is-a' && filter.op !== 'descendent-of')) return undefined;
        const found = descendantsOf(include.system, filter.value);
        if (!found) return undefined;
        for (const code of found) if (filter.op === 'is-a' || code !== filter.value) codes.add(code);
      }
    } else codes = allCodesOf(include.system);
    if (!codes) return undefined;
    out.set(include.system, codes);
  }
  for (const imported of include.valueSet ?? []) {
    const nested = await valueSetCodes(imported, loadStored, depth + 1);
    if (!nested) return undefined;
    for (const [system, set] of nested) out.set(system, new Set([...(out.get(system) ?? []), ...set]));
  }
  return out;
}

import type { QuantityCanonicalizer } from './index/extract-index.ts';

/**
 * UCUM canonicalization for quantity index rows and searches. terminology/ucum.ts provides the
 * conversion; until it is loaded (or for a unit UCUM cannot read) quantities compare as written.
 */
let implementation: QuantityCanonicalizer | undefined;

export const canonicalQuantity: QuantityCanonicalizer = (value, code) => implementation?.(value, code);

export function useQuantityCanonicalizer(canonicalize: QuantityCanonicalizer | undefined): void {
  implementation = canonicalize;
}

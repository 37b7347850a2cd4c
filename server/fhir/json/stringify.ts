import { DECIMAL_MARKER } from './decimal.ts';

const MARKED_DECIMAL = new RegExp(`"${JSON.stringify(DECIMAL_MARKER).slice(1, -1).replace(/\\/g, '\\\\')}([^"]*)"`, 'g');
const MARKER_IN_OUTPUT = JSON.stringify(DECIMAL_MARKER).slice(1, -1);

/**
 * JSON.stringify that writes FhirDecimal values as their original number text. Decimals
 * serialize to a marked string (FhirDecimal.toJSON) which is swapped for the bare number here;
 * native stringify stays in charge of everything else, which keeps this as fast as it can be.
 */
export function stringifyJson(value: unknown, pretty = false): string {
  const out = pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
  return out.includes(MARKER_IN_OUTPUT) ? out.replace(MARKED_DECIMAL, '$1') : out;
}

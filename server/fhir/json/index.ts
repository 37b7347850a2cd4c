export { FhirDecimal, isNumeric, numericValue, numericText, withPlainNumbers } from './decimal.ts';
export { parseJson, JsonSyntaxError } from './parse.ts';
export { stringifyJson } from './stringify.ts';

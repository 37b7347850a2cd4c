export { FhirDecimal, isNumeric, numericValue, numericText, withPlainNumbers } from './decimal.ts';
export { parseJson, parseJsonArrayElement, JsonSyntaxError } from './parse.ts';
export { stringifyJson } from './stringify.ts';

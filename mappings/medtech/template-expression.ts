import type { JsonPathSegments } from '../json-locations.ts';
import { compileJmesPath } from './jmespath-medtech.ts';
import { compileJsonPath } from './newtonsoft-jsonpath.ts';

export type ExpressionLanguage = 'JsonPath' | 'JmesPath';

/** A compiled template expression, remembering where it was written for issue locations. */
export interface TemplateExpression {
  text: string;
  language: ExpressionLanguage;
  path: JsonPathSegments;
  selectTokens(data: unknown): unknown[];
  selectToken(data: unknown): unknown | undefined;
}

/**
 * A MedTech expression value: a string in the template's default language, or `{value,
 * language}`. Throws (JsonPathError / JmesPathError) when the expression does not parse.
 */
export function compileTemplateExpression(raw: unknown, defaultLanguage: ExpressionLanguage, path: JsonPathSegments): TemplateExpression | undefined {
  let text: unknown = raw;
  let language: ExpressionLanguage = defaultLanguage;
  let at = path;
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const object = raw as Record<string, unknown>;
    text = object.value;
    at = [...path, 'value'];
    if (typeof object.language === 'string') {
      const named = object.language.toLowerCase();
      if (named !== 'jsonpath' && named !== 'jmespath') throw new Error(`Unknown expression language '${object.language}'; use JsonPath or JmesPath`);
      language = named === 'jmespath' ? 'JmesPath' : 'JsonPath';
    }
  }
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  const compiled = language === 'JmesPath' ? compileJmesPath(text) : compileJsonPath(text);
  return { text, language, path: at, selectTokens: (data) => compiled.selectTokens(data), selectToken: (data) => compiled.selectToken(data) };
}

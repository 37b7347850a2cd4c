import type { SearchParamDefinition } from './search-parameters.ts';
import { splitUnion } from './path-expression.ts';

const normalize = (expression: string) => expression.replace(/\s+/g, ' ').replace(/^\((.*) as (\w+)\)$/, '$1.as($2)').trim();

/**
 * Many R4 parameters repeat others: Observation.patient is Observation.subject restricted to
 * Patient targets; combo-code is code ∪ component-code; combo-code-value-quantity is
 * code-value-quantity ∪ component-code-value-quantity. Indexing both would write the same rows
 * twice on every device reading. An alias is answered from its base parameters' rows instead.
 */
export function detectAliases(params: Map<string, SearchParamDefinition>): void {
  const alternatives = new Map<string, string[]>();
  for (const [code, param] of params) {
    if (!param.expression || param.code.startsWith('_')) continue;
    const key = param.type === 'composite' ? `|${param.components.map((c) => normalize(c.expression)).join('$')}` : '';
    alternatives.set(code, splitUnion(param.expression).map((a) => normalize(a) + key));
  }
  for (const [code, param] of params) {
    const own = alternatives.get(code);
    if (!own) continue;
    // patient = subject.where(resolve() is Patient)
    const restricted = own.length === 1 ? /^(.*)\.where\(resolve\(\) is ([A-Z][A-Za-z]+)\)$/.exec(own[0]) : null;
    if (restricted && param.type === 'reference') {
      const base = [...alternatives].find(([other, alts]) => other !== code && params.get(other)!.type === 'reference' && alts.length === 1 && alts[0] === restricted[1]);
      if (base) {
        param.aliasOf = { codes: [base[0]], targetType: restricted[2] };
        continue;
      }
    }
    if (own.length < 2) continue;
    // Union of other parameters of the same type whose alternatives together are exactly ours.
    const parts = [...alternatives].filter(([other, alts]) => other !== code && params.get(other)!.type === param.type && !params.get(other)!.aliasOf && alts.length < own.length && alts.every((a) => own.includes(a)));
    const covered = new Set(parts.flatMap(([, alts]) => alts));
    if (parts.length > 1 && own.every((a) => covered.has(a)) && covered.size === own.length) {
      param.aliasOf = { codes: parts.map(([other]) => other) };
    }
  }
  for (const param of params.values()) {
    if (param.aliasOf) {
      param.extract = undefined;
      param.extractComposite = undefined;
    }
  }
}

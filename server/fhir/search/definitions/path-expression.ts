/**
 * Parser for the small FHIRPath subset that nearly all R4 SearchParameter expressions use:
 *   Type.a.b            (Observation.value as Quantity)   x.as(T)   x.ofType(T)
 *   x.where(resolve() is T)   x.where(field='literal')   x.extension('url')   x[0]
 *   x.where(hasExtension('url'))
 * Anything else returns undefined and the caller falls back to fhirpath.js.
 */
export type PathStep =
  | { kind: 'child'; name: string }
  | { kind: 'as'; type: string }
  | { kind: 'resolveIs'; type: string }
  | { kind: 'whereEquals'; field: string; value: string }
  | { kind: 'extension'; url: string }
  | { kind: 'hasExtension'; url: string }
  | { kind: 'index'; index: number };

export interface PathExpression {
  root: string;
  steps: PathStep[];
}

const IDENT = String.raw`[A-Za-z][A-Za-z0-9_]*`;
const STRING = String.raw`'((?:[^'\\]|\\.)*)'`;
const STEP_PATTERNS: Array<[RegExp, (m: RegExpExecArray) => PathStep]> = [
  [new RegExp(String.raw`^\.where\(resolve\(\) is (${IDENT})\)`), (m) => ({ kind: 'resolveIs', type: m[1] })],
  [new RegExp(String.raw`^\.where\((${IDENT})\s*=\s*${STRING}\)`), (m) => ({ kind: 'whereEquals', field: m[1], value: m[2] })],
  [new RegExp(String.raw`^\.where\(hasExtension\(${STRING}\)\)`), (m) => ({ kind: 'hasExtension', url: m[1] })],
  [new RegExp(String.raw`^\.extension\(${STRING}\)`), (m) => ({ kind: 'extension', url: m[1] })],
  [new RegExp(String.raw`^\.(?:as|ofType)\((${IDENT})\)`), (m) => ({ kind: 'as', type: m[1] })],
  [new RegExp(String.raw`^\.(${IDENT})(?![A-Za-z0-9_(])`), (m) => ({ kind: 'child', name: m[1] })],
  [/^\[(\d+)\]/, (m) => ({ kind: 'index', index: Number(m[1]) })],
  [new RegExp(String.raw`^\s+as\s+(${IDENT})`), (m) => ({ kind: 'as', type: m[1] })],
];

export function parsePathExpression(source: string): PathExpression | undefined {
  let text = source.trim();
  // "(X as T)" and "(X as T).rest": drop the parentheses, the grammar is linear.
  const wrapped = /^\(([^()]*)\)(.*)$/.exec(text);
  if (wrapped) text = wrapped[1].trim() + wrapped[2];
  const root = new RegExp(`^${IDENT}`).exec(text);
  if (!root) return undefined;
  const steps: PathStep[] = [];
  let rest = text.slice(root[0].length);
  while (rest.length > 0) {
    let matched = false;
    for (const [pattern, build] of STEP_PATTERNS) {
      const m = pattern.exec(rest);
      if (m) {
        steps.push(build(m));
        rest = rest.slice(m[0].length);
        matched = true;
        break;
      }
    }
    if (!matched) return undefined;
  }
  return { root: root[0], steps };
}

/** Splits "A.x | B.y" at top-level pipes (never inside parentheses or quotes). */
export function splitUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === "'" && expression[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && c === '|') {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts.filter(Boolean);
}

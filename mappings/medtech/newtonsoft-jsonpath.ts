import { FhirDecimal } from '../../server/fhir/json/index.ts';

/**
 * JSONPath with the semantics of Newtonsoft.Json's `SelectTokens`, which MedTech templates are
 * written against. We write our own because no JS library reproduces that dialect (reference note
 * §2): jsonpath-plus rejects `@heartrate` and drops `steps: 0`, RFC 9535 engines skip the root in
 * `$..[?()]` so `@Body.x` filters never match. Newtonsoft rules implemented here:
 *
 * - `@name` is `@.name`; a bare path in a filter tests existence (true for 0, false, "", null).
 * - `..[?(…)]` tests every container and value in document order *including the start token*
 *   (DescendantsAndSelf); `[?(…)]` tests array elements only (on an object, children are
 *   properties, which never match a field path).
 * - `..name` yields matching property values in document order (pre-order), never the start
 *   token; `..*` yields the start token first, then every descendant.
 * - `.*` yields property values of objects only; `[*]` yields array elements (and, unlike
 *   Newtonsoft, which yields JProperty tokens there, object values). `..[0]` and `..[*]` do not
 *   scan: Newtonsoft ignores `..` before an array indexer.
 * - Comparisons: numbers numerically, strings ordinally, a string against a number as text;
 *   `==` needs equal kinds (`'5'` ≠ `5`); `=~ /re/flags` regex; `&&` binds tighter than `||`.
 * - A path that selects several tokens where one is expected is an error ("Path returned
 *   multiple tokens."), as in SelectToken.
 *
 * Expressions compile once to closures; evaluation allocates only result arrays.
 */
export class JsonPathError extends Error {
  constructor(
    message: string,
    readonly position?: number,
  ) {
    super(message);
  }
}

type Json = unknown;
type Step = (nodes: Json[], root: Json) => Json[];
type Predicate = (node: Json, root: Json) => boolean;

export interface CompiledJsonPath {
  readonly expression: string;
  selectTokens(data: Json): Json[];
  /** Zero tokens → undefined; more than one → JsonPathError (Newtonsoft SelectToken). */
  selectToken(data: Json): Json | undefined;
}

const cache = new Map<string, CompiledJsonPath>();

export function compileJsonPath(expression: string): CompiledJsonPath {
  let compiled = cache.get(expression);
  if (!compiled) {
    const steps = new Parser(expression).parseMain();
    compiled = {
      expression,
      selectTokens: (data) => run(steps, [data], data),
      selectToken(data) {
        const found = run(steps, [data], data);
        if (found.length > 1) throw new JsonPathError('Path returned multiple tokens.');
        return found[0];
      },
    };
    if (cache.size > 2000) cache.clear();
    cache.set(expression, compiled);
  }
  return compiled;
}

function run(steps: Step[], start: Json[], root: Json): Json[] {
  let nodes = start;
  for (const step of steps) {
    if (nodes.length === 0) return nodes;
    nodes = step(nodes, root);
  }
  return nodes;
}

function isObject(value: Json): value is Record<string, Json> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof FhirDecimal);
}

function isContainer(value: Json): value is Record<string, Json> | Json[] {
  return Array.isArray(value) || isObject(value);
}

/** Pre-order walk over a token's descendants (not the token itself), calling visit(name, value). */
function descend(node: Json, visit: (name: string | undefined, value: Json) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) {
      visit(undefined, child);
      descend(child, visit);
    }
  } else if (isObject(node)) {
    for (const key of Object.keys(node)) {
      const child = node[key];
      visit(key, child);
      descend(child, visit);
    }
  }
}

const field =
  (name: string): Step =>
  (nodes) => {
    const out: Json[] = [];
    for (const node of nodes) if (isObject(node) && Object.prototype.hasOwnProperty.call(node, name)) out.push(node[name]);
    return out;
  };

const fields =
  (names: string[]): Step =>
  (nodes) => {
    const out: Json[] = [];
    for (const node of nodes) if (isObject(node)) for (const name of names) if (Object.prototype.hasOwnProperty.call(node, name)) out.push(node[name]);
    return out;
  };

const objectWildcard: Step = (nodes) => {
  const out: Json[] = [];
  for (const node of nodes) if (isObject(node)) for (const key of Object.keys(node)) out.push(node[key]);
  return out;
};

const indexWildcard: Step = (nodes) => {
  const out: Json[] = [];
  for (const node of nodes) {
    if (Array.isArray(node)) out.push(...node);
    else if (isObject(node)) for (const key of Object.keys(node)) out.push(node[key]);
  }
  return out;
};

const scan =
  (names: string[] | null): Step =>
  (nodes) => {
    const out: Json[] = [];
    for (const node of nodes) {
      if (names === null) out.push(node);
      descend(node, (name, value) => {
        if (names === null ? true : name !== undefined && names.includes(name)) out.push(value);
      });
    }
    return out;
  };

const indexes =
  (list: number[]): Step =>
  (nodes) => {
    const out: Json[] = [];
    for (const node of nodes) {
      if (!Array.isArray(node)) continue;
      for (const index of list) {
        const at = index < 0 ? node.length + index : index;
        if (at >= 0 && at < node.length) out.push(node[at]);
      }
    }
    return out;
  };

const slice =
  (start: number | undefined, end: number | undefined, step: number | undefined): Step =>
  (nodes) => {
    const out: Json[] = [];
    const stride = step ?? 1;
    for (const node of nodes) {
      if (!Array.isArray(node)) continue;
      const length = node.length;
      const norm = (value: number) => (value < 0 ? Math.max(length + value, 0) : Math.min(value, length));
      if (stride > 0) {
        for (let i = start === undefined ? 0 : norm(start), stop = end === undefined ? length : norm(end); i < stop; i += stride) out.push(node[i]);
      } else {
        const from = start === undefined ? length - 1 : Math.min(start < 0 ? length + start : start, length - 1);
        const stop = end === undefined ? -1 : end < 0 ? length + end : end;
        for (let i = from; i > stop && i >= 0; i += stride) out.push(node[i]);
      }
    }
    return out;
  };

const filter =
  (predicate: Predicate, scanSelf: boolean): Step =>
  (nodes, root) => {
    const out: Json[] = [];
    for (const node of nodes) {
      if (scanSelf) {
        if (predicate(node, root)) out.push(node);
        descend(node, (_name, value) => {
          if (predicate(value, root)) out.push(value);
        });
      } else if (Array.isArray(node)) {
        for (const element of node) if (predicate(element, root)) out.push(element);
      }
    }
    return out;
  };

type Operand = { kind: 'path'; fromRoot: boolean; steps: Step[] } | { kind: 'value'; value: Json } | { kind: 'regex'; regex: RegExp };
type Operator = '==' | '!=' | '<' | '<=' | '>' | '>=' | '=~' | 'exists';

function scalarOf(value: Json): Json {
  return value instanceof FhirDecimal ? Number(value.text) : value;
}

function isPrimitive(value: Json): boolean {
  return value === null || typeof value !== 'object' || value instanceof FhirDecimal;
}

function compare(left: Json, right: Json): number | undefined {
  const a = scalarOf(left);
  const b = scalarOf(right);
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  if (typeof a === 'string') {
    const text = typeof b === 'string' ? b : b === null ? '' : String(b);
    return a === text ? 0 : a < text ? -1 : 1;
  }
  if (typeof a === 'number' && typeof b === 'string') {
    const number = Number(b);
    if (b.trim() === '' || Number.isNaN(number)) return undefined;
    return a === number ? 0 : a < number ? -1 : 1;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (a === null && b === null) return 0;
  return undefined;
}

function equals(left: Json, right: Json): boolean {
  const a = scalarOf(left);
  const b = scalarOf(right);
  if (typeof a !== typeof b || (a === null) !== (b === null)) return false;
  return a === b;
}

function matchTokens(left: Json, operator: Operator, right: Json | RegExp): boolean {
  if (right instanceof RegExp) return typeof left === 'string' && right.test(left);
  if (isPrimitive(left) && isPrimitive(right)) {
    switch (operator) {
      case '==':
        return equals(left, right);
      case '!=':
        return !equals(left, right);
      default: {
        const order = compare(left, right);
        if (order === undefined) return false;
        return operator === '<' ? order < 0 : operator === '<=' ? order <= 0 : operator === '>' ? order > 0 : order >= 0;
      }
    }
  }
  // A container compared with a value: only `!= null` holds (Newtonsoft BooleanQueryExpression).
  return operator === '!=' && right === null;
}

function operandTokens(operand: Operand, node: Json, root: Json): Json[] {
  if (operand.kind === 'path') return run(operand.steps, [operand.fromRoot ? root : node], root);
  return [operand.kind === 'regex' ? operand.regex : operand.value];
}

function comparison(left: Operand, operator: Operator, right: Operand | undefined): Predicate {
  if (operator === 'exists') return (node, root) => operandTokens(left, node, root).length > 0;
  return (node, root) => {
    const lefts = operandTokens(left, node, root);
    if (lefts.length === 0) return false;
    const rights = operandTokens(right!, node, root);
    for (const l of lefts) for (const r of rights) if (matchTokens(l, operator, r as Json | RegExp)) return true;
    return false;
  };
}

class Parser {
  private i = 0;

  constructor(private readonly text: string) {}

  private fail(message: string): never {
    throw new JsonPathError(`${message} at position ${this.i} in JSONPath '${this.text}'`, this.i);
  }

  private ws(): void {
    while (this.text[this.i] === ' ') this.i++;
  }

  parseMain(): Step[] {
    this.ws();
    if (this.text.length === 0) this.fail('Empty path');
    if (this.text[this.i] === '$') {
      this.i++;
      if (this.i < this.text.length && this.text[this.i] !== '.' && this.text[this.i] !== '[') this.fail(`Unexpected character '${this.text[this.i]}' after $`);
    }
    const steps = this.parsePath(false);
    this.ws();
    if (this.i < this.text.length) this.fail(`Unexpected character '${this.text[this.i]}'`);
    return steps;
  }

  /** Path steps until the end (or, inside a filter, until an operator, space or closing paren). */
  private parsePath(query: boolean): Step[] {
    const steps: Step[] = [];
    // A leading name without a dot (`Body.x`, or `@name` in filters) is a field.
    if (this.i < this.text.length && !'.[ )'.includes(this.text[this.i]!) && !(query && '=!<>&|'.includes(this.text[this.i]!))) {
      steps.push(this.nameStep(this.readName(query), false));
    }
    while (this.i < this.text.length) {
      const c = this.text[this.i]!;
      if (c === '.') {
        this.i++;
        const scanning = this.text[this.i] === '.';
        if (scanning) this.i++;
        if (this.text[this.i] === '[') {
          steps.push(this.parseIndexer(scanning));
          continue;
        }
        steps.push(this.nameStep(this.readName(query), scanning));
      } else if (c === '[') {
        steps.push(this.parseIndexer(false));
      } else break;
    }
    return steps;
  }

  private readName(query: boolean): string {
    const start = this.i;
    while (this.i < this.text.length) {
      const c = this.text[this.i]!;
      if (c === '.' || c === '[' || c === ']' || c === '(' || c === ')' || c === ' ') break;
      if (query && (c === '=' || c === '<' || c === '>' || c === '!' || c === '&' || c === '|')) break;
      this.i++;
    }
    if (this.i === start) this.fail('Property name expected');
    return this.text.slice(start, this.i);
  }

  private nameStep(name: string, scanning: boolean): Step {
    if (name === '*') return scanning ? scan(null) : objectWildcard;
    return scanning ? scan([name]) : field(name);
  }

  private parseIndexer(scanning: boolean): Step {
    this.i++;
    this.ws();
    const c = this.text[this.i];
    let step: Step;
    if (c === "'" || c === '"') {
      const names = [this.readQuoted()];
      this.ws();
      while (this.text[this.i] === ',') {
        this.i++;
        this.ws();
        names.push(this.readQuoted());
        this.ws();
      }
      step = scanning ? scan(names) : names.length === 1 ? field(names[0]!) : fields(names);
    } else if (c === '?') {
      this.i++;
      if (this.text[this.i] !== '(') this.fail("Expected '(' after '?'");
      this.i++;
      const predicate = this.parseOr();
      this.ws();
      if (this.text[this.i] !== ')') this.fail("Expected ')' to close the filter");
      this.i++;
      step = filter(predicate, scanning);
    } else if (c === '*') {
      // Newtonsoft drops the scan for array indexers: `..[*]` is `[*]`, `..[0]` is `[0]`.
      this.i++;
      step = indexWildcard;
    } else {
      step = this.parseArrayIndexer();
    }
    this.ws();
    if (this.text[this.i] !== ']') this.fail("Expected ']'");
    this.i++;
    return step;
  }

  private readQuoted(): string {
    const quote = this.text[this.i];
    if (quote !== "'" && quote !== '"') this.fail('Quoted name expected');
    this.i++;
    let out = '';
    while (this.i < this.text.length && this.text[this.i] !== quote) {
      if (this.text[this.i] === '\\' && this.i + 1 < this.text.length) {
        this.i++;
        const escaped = this.text[this.i]!;
        out += escaped === 'n' ? '\n' : escaped === 't' ? '\t' : escaped;
      } else out += this.text[this.i];
      this.i++;
    }
    if (this.i >= this.text.length) this.fail('Unterminated quoted name');
    this.i++;
    return out;
  }

  private readInteger(): number | undefined {
    this.ws();
    const match = /^-?\d+/.exec(this.text.slice(this.i));
    if (!match) return undefined;
    this.i += match[0].length;
    this.ws();
    return Number(match[0]);
  }

  private parseArrayIndexer(): Step {
    const first = this.readInteger();
    if (this.text[this.i] === ':') {
      this.i++;
      const end = this.readInteger();
      let step: number | undefined;
      if (this.text[this.i] === ':') {
        this.i++;
        step = this.readInteger();
        if (step === 0) this.fail('Step cannot be zero');
      }
      return slice(first, end, step);
    }
    if (first === undefined) this.fail('Array index expected');
    const list = [first];
    while (this.text[this.i] === ',') {
      this.i++;
      const next = this.readInteger();
      if (next === undefined) this.fail('Array index expected');
      list.push(next);
    }
    return indexes(list);
  }

  private parseOr(): Predicate {
    const parts = [this.parseAnd()];
    for (this.ws(); this.text.startsWith('||', this.i); this.ws()) {
      this.i += 2;
      parts.push(this.parseAnd());
    }
    return parts.length === 1 ? parts[0]! : (node, root) => parts.some((part) => part(node, root));
  }

  private parseAnd(): Predicate {
    const parts = [this.parseAtom()];
    for (this.ws(); this.text.startsWith('&&', this.i); this.ws()) {
      this.i += 2;
      parts.push(this.parseAtom());
    }
    return parts.length === 1 ? parts[0]! : (node, root) => parts.every((part) => part(node, root));
  }

  private parseAtom(): Predicate {
    this.ws();
    if (this.text[this.i] === '(') {
      this.i++;
      const inner = this.parseOr();
      this.ws();
      if (this.text[this.i] !== ')') this.fail("Expected ')'");
      this.i++;
      return inner;
    }
    const left = this.parseOperand();
    this.ws();
    const operator = /^(==|!=|<=|>=|=~|<|>)/.exec(this.text.slice(this.i))?.[0] as Operator | undefined;
    if (!operator) {
      if (left.kind !== 'path') this.fail('A filter needs a path or a comparison');
      return comparison(left, 'exists', undefined);
    }
    this.i += operator.length;
    this.ws();
    const right = this.parseOperand();
    if (operator === '=~' && right.kind !== 'regex') this.fail('=~ needs a /regex/');
    return comparison(left, operator, right);
  }

  private parseOperand(): Operand {
    this.ws();
    const c = this.text[this.i];
    if (c === '@' || c === '$') {
      this.i++;
      return { kind: 'path', fromRoot: c === '$', steps: this.parsePath(true) };
    }
    if (c === "'" || c === '"') return { kind: 'value', value: this.readQuoted() };
    if (c === '/') {
      const end = this.text.indexOf('/', this.i + 1);
      if (end < 0) this.fail('Unterminated regex');
      const pattern = this.text.slice(this.i + 1, end);
      this.i = end + 1;
      const flags = /^[imsu]*/.exec(this.text.slice(this.i))![0];
      this.i += flags.length;
      try {
        return { kind: 'regex', regex: new RegExp(pattern, flags) };
      } catch (error) {
        return this.fail(`Invalid regex: ${(error as Error).message}`);
      }
    }
    const literal = /^(true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(this.text.slice(this.i));
    if (!literal) this.fail(`Unexpected character '${c ?? 'end of path'}' in filter`);
    this.i += literal[0].length;
    const text = literal[0];
    return { kind: 'value', value: text === 'true' ? true : text === 'false' ? false : text === 'null' ? null : Number(text) };
  }
}

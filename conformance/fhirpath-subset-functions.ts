import { asNumber, distinct, ExtensionOnly, isPrimitiveValue, itemsEqual, NeedsFullEngine, toBoolean, Undecidable, type Collection } from './fhirpath-values.ts';
import {
  BOOLEAN, identifierText, INTEGER, STRING, unionType, Unsupported, type Ast, type Compiled, type Evaluator, type StaticType,
} from './fhirpath-subset-types.ts';
import type { JsonObject } from './validation-context.ts';

/** What a function needs from the compiler to compile its arguments. */
export interface ArgumentCompiler {
  /** A lambda argument (where, exists, all, select, iif): $this is one input item of `itemType`. */
  lambda(node: Ast, itemType: StaticType): Compiled;
  /** Any other argument: evaluated against the $this of the enclosing expression. */
  argument(node: Ast): Compiled;
  typeOperator(operator: string, input: Compiled, typeName: string): Compiled;
  propertyReader(jsonName: string, primitive: boolean): (item: unknown, out: Collection) => void;
}

/** The functions of the FHIRPath subset; anything else is Unsupported (fhirpath.js evaluates it). */
export function callFunction(compiler: ArgumentCompiler, input: Compiled, functn: Ast): Compiled {
  const name = identifierText(functn.children![0]);
  const params = functn.children![1]?.children ?? [];
  const source = input.fn;
  // Lambda arguments (where, exists, all, select) see each input item as their focus and $this.
  const lambda = (index: number, itemType: StaticType): Evaluator => compiler.lambda(params[index], itemType).fn;
  // Other arguments are evaluated against the $this of the enclosing expression.
  const argument = (index: number): Compiled => compiler.argument(params[index]);
  const arity = (...allowed: number[]) => {
    if (!allowed.includes(params.length)) throw new Unsupported(`${name} with ${params.length} arguments`);
  };
  const itemType = input.t;
  switch (name) {
    case 'empty':
      arity(0);
      return { fn: (f, s, e) => [source(f, s, e).length === 0], t: BOOLEAN };
    case 'exists': {
      arity(0, 1);
      if (params.length === 0) return { fn: (f, s, e) => [source(f, s, e).length > 0], t: BOOLEAN };
      const criteria = lambda(0, itemType);
      return { fn: (f, s, e) => [source(f, s, e).some((item) => toBoolean(criteria([item], [item], e)) === true)], t: BOOLEAN };
    }
    case 'all': {
      arity(1);
      const criteria = lambda(0, itemType);
      return { fn: (f, s, e) => [source(f, s, e).every((item) => toBoolean(criteria([item], [item], e)) === true)], t: BOOLEAN };
    }
    case 'where': {
      arity(1);
      const criteria = lambda(0, itemType);
      return { fn: (f, s, e) => source(f, s, e).filter((item) => toBoolean(criteria([item], [item], e)) === true), t: itemType };
    }
    case 'select': {
      arity(1);
      const compiled = compiler.lambda(params[0], itemType);
      return { fn: (f, s, e) => source(f, s, e).flatMap((item) => compiled.fn([item], [item], e)), t: compiled.t };
    }
    case 'not':
      arity(0);
      return {
        fn: (f, s, e) => {
          const value = toBoolean(source(f, s, e));
          return value === undefined ? [] : [!value];
        },
        t: BOOLEAN,
      };
    case 'count':
      arity(0);
      return { fn: (f, s, e) => [source(f, s, e).length], t: INTEGER };
    case 'hasValue':
      arity(0);
      return {
        fn: (f, s, e) => {
          const items = source(f, s, e);
          return [items.length === 1 && isPrimitiveValue(items[0])];
        },
        t: BOOLEAN,
      };
    case 'first':
      arity(0);
      return { fn: (f, s, e) => source(f, s, e).slice(0, 1), t: itemType };
    case 'last':
      arity(0);
      return { fn: (f, s, e) => source(f, s, e).slice(-1), t: itemType };
    case 'tail':
      arity(0);
      return { fn: (f, s, e) => source(f, s, e).slice(1), t: itemType };
    case 'toInteger':
      arity(0);
      return {
        fn: (f, s, e) => {
          const items = source(f, s, e);
          if (items.length === 0) return [];
          if (items.length > 1) throw new NeedsFullEngine('toInteger on a collection');
          const item = items[0];
          if (typeof item === 'string') return /^[+-]?\d+$/.test(item) ? [Number(item)] : [];
          if (typeof item === 'boolean') return [item ? 1 : 0];
          const number = asNumber(item);
          if (number !== undefined && Number.isInteger(number) && typeof item === 'number') return [number];
          throw new NeedsFullEngine('toInteger');
        },
        t: INTEGER,
      };
    case 'distinct':
      arity(0);
      return { fn: (f, s, e) => distinct(source(f, s, e)), t: itemType };
    case 'isDistinct':
      arity(0);
      return {
        fn: (f, s, e) => {
          const items = source(f, s, e);
          return [distinct(items).length === items.length];
        },
        t: BOOLEAN,
      };
    case 'trace':
      arity(1, 2);
      return input;
    case 'ofType':
      arity(1);
      return compiler.typeOperator('as', input, typeNameOf(params[0]));
    case 'as':
    case 'is':
      arity(1);
      return compiler.typeOperator(name, input, typeNameOf(params[0]));
    case 'intersect':
    case 'exclude':
    case 'union':
    case 'combine': {
      arity(1);
      const other = argument(0).fn;
      return {
        fn: (f, s, e) => {
          const [left, right] = [source(f, s, e), other(s, s, e)];
          if (name === 'combine') return [...left, ...right];
          if (name === 'union') return distinct([...left, ...right]);
          const keep = name === 'intersect';
          const result = left.filter((item) => right.some((candidate) => itemsEqual(candidate, item)) === keep);
          return keep ? distinct(result) : result;
        },
        t: itemType,
      };
    }
    case 'matches':
    case 'startsWith':
    case 'endsWith':
    case 'contains':
      arity(1);
      return stringFunction(name, input, argument(0));
    case 'length':
      arity(0);
      return { fn: (f, s, e) => stringOf(source(f, s, e)).map((text) => text.length), t: INTEGER };
    case 'toString':
      arity(0);
      if (itemType.k === 'unknown' || itemType.k === 'choice' || itemType.k === 'complex') throw new Unsupported('toString of complex');
      return {
        fn: (f, s, e) => {
          const items = source(f, s, e);
          if (items.length === 0) return [];
          if (items.length > 1 || items[0] instanceof ExtensionOnly) throw new NeedsFullEngine('toString');
          const item = items[0];
          if (typeof item === 'string') return [item];
          if (typeof item === 'boolean') return [String(item)];
          throw new NeedsFullEngine('toString of a number');
        },
        t: STRING,
      };
    case 'extension': {
      arity(1);
      if (itemType.k !== 'complex') throw new Unsupported('extension() on non-complex');
      const url = argument(0).fn;
      const read = compiler.propertyReader('extension', false);
      return {
        fn: (f, s, e) => {
          const wanted = url(s, s, e)[0];
          const out: Collection = [];
          for (const item of source(f, s, e)) read(item, out);
          return out.filter((ext) => (ext as JsonObject).url === wanted);
        },
        t: { k: 'complex', type: 'Extension', path: 'Extension' },
      };
    }
    case 'iif': {
      arity(2, 3);
      const branches = [1, 2].filter((i) => i < params.length).map((i) => compiler.lambda(params[i], itemType));
      const condition = lambda(0, itemType);
      const [then, otherwise] = branches.map((branch) => branch.fn);
      return {
        fn: (f, s, e) => {
          const items = source(f, s, e);
          if (items.length > 1) throw new NeedsFullEngine('iif on a collection');
          const chosen = toBoolean(condition(items, items, e)) === true ? then : otherwise;
          return chosen ? chosen(items, items, e) : [];
        },
        t: branches.reduce<StaticType>((type, branch) => unionType(type, branch.t), branches[0].t),
      };
    }
    default:
      throw new Unsupported(`${name}()`);
  }
}

function stringFunction(name: string, input: Compiled, arg: Compiled): Compiled {
  const cache = new Map<string, RegExp>();
  const apply = (text: string, operand: string): boolean => {
    switch (name) {
      case 'matches': {
        let regex = cache.get(operand);
        if (!regex) {
          try {
            regex = new RegExp(operand, 'us');
          } catch {
            // fhirpath.js builds the same RegExp (flags 'us') and fails the same way.
            throw new Undecidable('regex the JavaScript engine rejects');
          }
          cache.set(operand, regex);
        }
        return regex.test(text);
      }
      case 'startsWith':
        return text.startsWith(operand);
      case 'endsWith':
        return text.endsWith(operand);
      default:
        return text.includes(operand);
    }
  };
  return {
    fn: (f, s, e) => {
      const texts = stringOf(input.fn(f, s, e));
      if (texts.length === 0) return [];
      const operand = arg.fn(s, s, e);
      if (operand.length === 0) return [];
      if (typeof operand[0] !== 'string') throw new NeedsFullEngine(`${name} with a non-string`);
      return [apply(texts[0], operand[0])];
    },
    t: BOOLEAN,
  };
}

/** The single string of a collection for string functions (empty stays empty). */
function stringOf(items: Collection): string[] {
  if (items.length === 0) return [];
  if (items.length > 1) throw new NeedsFullEngine('string function on a collection');
  if (typeof items[0] !== 'string') throw new NeedsFullEngine('string function on a non-string');
  return [items[0]];
}

function typeNameOf(node: Ast): string {
  const text = node.text ?? '';
  if (text) return text;
  // TermExpression > InvocationTerm > MemberInvocation > Identifier
  let current: Ast | undefined = node;
  while (current?.children?.length) current = current.children[current.children.length - 1];
  return identifierText(current ?? node);
}

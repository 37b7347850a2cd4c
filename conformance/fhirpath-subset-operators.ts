import { asNumber, collectionsEqual, compareDateTimes, itemsEqual, NeedsFullEngine, toBoolean, type Collection } from './fhirpath-values.ts';
import {
  BOOLEAN, comparable, INTEGER, isDateType, isNumericType, STRING, Unsupported, type Compiled, type Evaluator,
} from './fhirpath-subset-types.ts';

/** The operators of the FHIRPath subset, with FHIRPath's empty-propagation and three-valued logic. */

const ORDERINGS: Record<string, (order: number) => boolean> = {
  '<': (order) => order < 0,
  '>': (order) => order > 0,
  '<=': (order) => order <= 0,
  '>=': (order) => order >= 0,
};

export function logic(operator: string, a: Compiled, b: Compiled): Compiled {
  const [fa, fb] = [a.fn, b.fn];
  // and/or: one operand equal to the decisive value decides; both opposite give the opposite; else empty.
  const shortCircuit = (decisive: boolean): Evaluator => (focus, self, env) => {
    const x = toBoolean(fa(focus, self, env));
    if (x === decisive) return [decisive];
    const y = toBoolean(fb(focus, self, env));
    if (y === decisive) return [decisive];
    return x === !decisive && y === !decisive ? [!decisive] : [];
  };
  let fn: Evaluator;
  switch (operator) {
    case 'and':
      fn = shortCircuit(false);
      break;
    case 'or':
      fn = shortCircuit(true);
      break;
    case 'xor':
      fn = (focus, self, env) => {
        const x = toBoolean(fa(focus, self, env));
        const y = toBoolean(fb(focus, self, env));
        return x === undefined || y === undefined ? [] : [x !== y];
      };
      break;
    case 'implies':
      // false implies anything; anything implies true; true implies false is false; else empty.
      fn = (focus, self, env) => {
        const x = toBoolean(fa(focus, self, env));
        if (x === false) return [true];
        const y = toBoolean(fb(focus, self, env));
        if (y === true) return [true];
        return x === true && y === false ? [false] : [];
      };
      break;
    default:
      throw new Unsupported(operator);
  }
  return { fn, t: BOOLEAN };
}


export function equality(operator: string, a: Compiled, b: Compiled): Compiled {
  if (operator !== '=' && operator !== '!=') throw new Unsupported(operator);
  if (!comparable(a.t) || !comparable(b.t)) throw new Unsupported('equality on dates or unknown types');
  const negate = operator === '!=';
  return {
    fn: (focus, self, env) => {
      const equal = collectionsEqual(a.fn(focus, self, env), b.fn(focus, self, env));
      return equal === undefined ? [] : [negate ? !equal : equal];
    },
    t: BOOLEAN,
  };
}


export function comparison(operator: string, a: Compiled, b: Compiled): Compiled {
  const test = ORDERINGS[operator];
  if (!test) throw new Unsupported(operator);
  const dates = isDateType(a.t) && isDateType(b.t);
  if (!dates && !(isNumericType(a.t) && isNumericType(b.t))) throw new Unsupported('comparison of non-numbers');
  return {
    fn: (focus, self, env) => {
      const [x, y] = [a.fn(focus, self, env), b.fn(focus, self, env)];
      if (x.length === 0 || y.length === 0) return [];
      if (x.length > 1 || y.length > 1) throw new NeedsFullEngine('comparison of collections');
      let order: number | undefined;
      if (dates) {
        if (typeof x[0] !== 'string' || typeof y[0] !== 'string') throw new NeedsFullEngine('date without value');
        order = compareDateTimes(x[0], y[0]);
      } else {
        const [nx, ny] = [asNumber(x[0]), asNumber(y[0])];
        if (nx === undefined || ny === undefined) throw new NeedsFullEngine('comparison of non-numbers');
        order = nx - ny;
      }
      return order === undefined ? [] : [test(order)];
    },
    t: BOOLEAN,
  };
}


export function arithmetic(operator: '+' | '-', a: Compiled, b: Compiled): Compiled {
  if (!isNumericType(a.t) || !isNumericType(b.t)) throw new Unsupported(`${operator} on non-numbers`);
  const sign = operator === '+' ? 1 : -1;
  const integer = a.t.k === 'value' && a.t.type === 'Integer' && b.t.k === 'value' && b.t.type === 'Integer';
  return {
    fn: (focus, self, env) => {
      const [x, y] = [a.fn(focus, self, env), b.fn(focus, self, env)];
      if (x.length === 0 || y.length === 0) return [];
      const [nx, ny] = [asNumber(x[0]), asNumber(y[0])];
      if (x.length > 1 || y.length > 1 || nx === undefined || ny === undefined || !integer) throw new NeedsFullEngine('arithmetic');
      return [nx + sign * ny];
    },
    t: INTEGER,
  };
}


export function membership(operator: string, a: Compiled, b: Compiled): Compiled {
  if (!comparable(a.t) || !comparable(b.t)) throw new Unsupported('membership on dates');
  const [item, list] = operator === 'in' ? [a, b] : [b, a];
  return {
    fn: (focus, self, env) => {
      const x = item.fn(focus, self, env);
      if (x.length === 0) return [];
      if (x.length > 1) throw new NeedsFullEngine('membership of a collection');
      return [list.fn(focus, self, env).some((candidate) => itemsEqual(candidate, x[0]))];
    },
    t: BOOLEAN,
  };
}


export function additive(operator: string, a: Compiled, b: Compiled): Compiled {
  if (operator === '+' || operator === '-') return arithmetic(operator, a, b);
  if (operator !== '&') throw new Unsupported(operator);
  const text = (c: Collection): string => {
    if (c.length > 1) throw new NeedsFullEngine('& on a collection');
    if (c.length === 0) return '';
    if (typeof c[0] !== 'string') throw new NeedsFullEngine('& on a non-string');
    return c[0];
  };
  if (!comparable(a.t) || !comparable(b.t)) throw new Unsupported('& on dates');
  return { fn: (focus, self, env) => [text(a.fn(focus, self, env)) + text(b.fn(focus, self, env))], t: STRING };
}

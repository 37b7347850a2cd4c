import fhirpath from 'fhirpath';
import { typeModel } from './type-model.ts';
import type { JsonObject } from './validation-context.ts';
import { asNumber, distinct, ExtensionOnly, NeedsFullEngine, type Collection } from './fhirpath-values.ts';
import { callFunction, type ArgumentCompiler } from './fhirpath-subset-functions.ts';
import { additive, comparison, equality, logic, membership } from './fhirpath-subset-operators.ts';
import {
  BOOLEAN, identifierText, INTEGER, STRING, UNKNOWN, unionType, Unsupported,
  type Ast, type Compiled, type Evaluator, type StaticType, type SubsetEnv,
} from './fhirpath-subset-types.ts';

export type { SubsetEnv } from './fhirpath-subset-types.ts';

/** What navigating below a primitive yields: always empty, and empty again further down. */
const NOTHING: StaticType = { k: 'primitive', type: 'nothing' };

/**
 * A compiler from the FHIRPath used by R4 invariants to closures over plain JSON. fhirpath.js
 * costs 4-7 µs per evaluation even for `code.empty() or system.exists()` (it wraps every node and
 * sets up a context per call); on the write path that is most of the budget. Because the element
 * types are known when an invariant is compiled, member navigation (including choice types) can be
 * resolved up front and evaluated on the raw JSON. Anything outside the subset — dates, quantities,
 * resolve(), descendants(), unknown types — is refused at compile time (the caller then uses
 * fhirpath.js) or raises NeedsFullEngine at run time (the caller re-evaluates with fhirpath.js), so
 * results always match the reference engine; a test compares both on every example instance.
 */

/** Where an invariant is evaluated: a complex node of `type` at `path`, or a primitive of `type`. */
export interface SubsetContext {
  type: string;
  path: string;
  primitive: boolean;
  /** Resource type of %resource when known (invariants declared in a resource definition). */
  resourceType?: string;
}

export type SubsetEvaluator = (node: unknown, env: SubsetEnv) => Collection;

/** Compiled evaluator, or undefined when the expression uses something outside the subset. */
export function compileSubset(expression: string, context: SubsetContext): SubsetEvaluator | undefined {
  let ast;
  try {
    ast = fhirpath.parse(expression);
  } catch {
    return undefined;
  }
  const start: StaticType = context.primitive
    ? { k: 'primitive', type: context.type }
    : { k: 'complex', type: context.type, path: context.path };
  try {
    const { fn } = new Compiler(context, start).expression(ast.children[0], start);
    return (node, env) => {
      const focus = [node];
      return fn(focus, focus, env);
    };
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

function capitalize(code: string): string {
  return code.charAt(0).toUpperCase() + code.slice(1);
}

/** The static type of values of one element type code at an element path. */
function typeOfElement(code: string, elementPath: string, contentReference: string | undefined): StaticType {
  if (contentReference) {
    const target = contentReference.replace(/^#/, '');
    return { k: 'complex', type: target.split('.')[0], path: target };
  }
  if (code === 'BackboneElement' || code === 'Element') return { k: 'complex', type: elementPath.split('.')[0], path: elementPath };
  if (code === 'Resource') return { k: 'resource' };
  if (typeModel().isPrimitive(code)) return { k: 'primitive', type: code };
  if (typeModel().types.has(code)) return { k: 'complex', type: code, path: code };
  return UNKNOWN;
}

function isSameOrSubtype(typeName: string, ancestor: string): boolean {
  for (let current: string | undefined = typeName; current; current = typeModel().types.get(current)?.baseType) {
    if (current === ancestor) return true;
  }
  return false;
}

/** Navigation from JSON objects to one property, pairing primitive values with their `_name` extensions. */
function propertyReader(jsonName: string, primitive: boolean): (item: unknown, out: Collection) => void {
  const extName = '_' + jsonName;
  return (item, out) => {
    if (item === null || typeof item !== 'object' || item instanceof ExtensionOnly) return;
    const object = item as JsonObject;
    const value = object[jsonName];
    const ext = primitive ? object[extName] : undefined;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const entry = value[i];
        if (entry !== null && entry !== undefined) out.push(entry);
        else if (Array.isArray(ext) && ext[i] != null) out.push(new ExtensionOnly(ext[i]));
      }
    } else if (value !== undefined && value !== null) {
      out.push(value);
    } else if (ext !== undefined && ext !== null) {
      if (Array.isArray(ext)) for (const entry of ext) { if (entry != null) out.push(new ExtensionOnly(entry)); }
      else out.push(new ExtensionOnly(ext));
    }
  };
}

class Compiler implements ArgumentCompiler {
  constructor(
    readonly context: SubsetContext,
    /** Type of $this: the context node, or the current item inside a lambda argument. */
    readonly selfType: StaticType,
  ) {}

  /** A lambda argument: compiled with $this (and the focus) being one item of the given type. */
  lambda(node: Ast, itemType: StaticType): Compiled {
    return new Compiler(this.context, itemType).expression(node, itemType);
  }

  argument(node: Ast): Compiled {
    return this.expression(node, this.selfType);
  }

  propertyReader(jsonName: string, primitive: boolean): (item: unknown, out: Collection) => void {
    return propertyReader(jsonName, primitive);
  }

  expression(node: Ast, input: StaticType): Compiled {
    const children = node.children ?? [];
    switch (node.type) {
      case 'EntireExpression':
      case 'TermExpression':
      case 'ParenthesizedTerm':
        return this.expression(children[0], input);
      case 'InvocationTerm': {
        const first = children[0];
        // `Patient.name` at the start of an expression on a Patient: the type name selects the root.
        if (first.type === 'MemberInvocation' && input.k === 'complex' && input.path === input.type && identifierText(first.children![0]) === input.type) {
          return { fn: (focus) => focus, t: input };
        }
        return this.invocation(first, { fn: (focus) => focus, t: input });
      }
      case 'InvocationExpression':
        return this.invocation(children[1], this.expression(children[0], input));
      case 'LiteralTerm':
        return this.literal(children[0]);
      case 'ExternalConstantTerm':
        return this.constant(identifierText(children[0].children![0]));
      case 'AndExpression':
      case 'OrExpression':
      case 'ImpliesExpression':
        return logic(node.text!, this.expression(children[0], input), this.expression(children[1], input));
      case 'EqualityExpression':
        return equality(node.text!, this.expression(children[0], input), this.expression(children[1], input));
      case 'InequalityExpression':
        return comparison(node.text!, this.expression(children[0], input), this.expression(children[1], input));
      case 'MembershipExpression':
        return membership(node.text!, this.expression(children[0], input), this.expression(children[1], input));
      case 'UnionExpression': {
        const [a, b] = [this.expression(children[0], input), this.expression(children[1], input)];
        return { fn: (focus, self, env) => distinct([...a.fn(focus, self, env), ...b.fn(focus, self, env)]), t: unionType(a.t, b.t) };
      }
      case 'AdditiveExpression':
        return additive(node.text!, this.expression(children[0], input), this.expression(children[1], input));
      case 'TypeExpression':
        return this.typeOperator(node.text!, this.expression(children[0], input), identifierText(children[1]));
      case 'IndexerExpression': {
        const [list, index] = [this.expression(children[0], input), this.expression(children[1], input)];
        return {
          fn: (focus, self, env) => {
            const i = asNumber(index.fn(focus, self, env)[0]);
            const items = list.fn(focus, self, env);
            return i === undefined || i >= items.length ? [] : [items[i]];
          },
          t: list.t,
        };
      }
      default:
        throw new Unsupported(node.type);
    }
  }

  literal(node: Ast): Compiled {
    switch (node.type) {
      case 'StringLiteral': {
        const value = stringLiteral(node.text!);
        return { fn: () => [value], t: STRING };
      }
      case 'BooleanLiteral': {
        const value = node.text === 'true';
        return { fn: () => [value], t: BOOLEAN };
      }
      case 'NumberLiteral': {
        const value = Number(node.text);
        return { fn: () => [value], t: node.text!.includes('.') ? { k: 'value', type: 'Decimal' } : INTEGER };
      }
      case 'NullLiteral':
        return { fn: () => [], t: UNKNOWN };
      default:
        throw new Unsupported(node.type);
    }
  }

  constant(name: string): Compiled {
    switch (name) {
      case 'resource':
        if (!this.context.resourceType) throw new Unsupported('%resource of unknown type');
        return { fn: (_focus, _self, env) => [env.resource], t: { k: 'complex', type: this.context.resourceType, path: this.context.resourceType } };
      case 'ucum':
        return { fn: () => ['http://unitsofmeasure.org'], t: STRING };
      default:
        throw new Unsupported(`%${name}`);
    }
  }

  invocation(node: Ast, input: Compiled): Compiled {
    switch (node.type) {
      case 'MemberInvocation':
        return this.member(input, identifierText(node.children![0]));
      case 'ThisInvocation':
        return { fn: (_focus, self) => self, t: this.selfType };
      case 'FunctionInvocation':
        return callFunction(this, input, node.children![0]);
      default:
        throw new Unsupported(node.type);
    }
  }

  member(input: Compiled, name: string): Compiled {
    const t = input.t;
    // A primitive has no child elements besides id and extension: anything else is empty.
    if (t.k === 'primitive' && name !== 'id' && name !== 'extension') return { fn: () => [], t: NOTHING };
    if (t.k !== 'complex' && t.k !== 'resource') throw new Unsupported(`member ${name} of ${t.k}`);
    // Any resource has the elements of Resource (id, meta, implicitRules, language).
    const element = t.k === 'resource' ? typeModel().childrenOf('Resource', 'Resource')?.get(name) : typeModel().childrenOf(t.type, t.path)?.get(name);
    if (!element) throw new Unsupported(`unknown element ${name}`);
    const types = element.contentReference ? [{ code: 'BackboneElement' }] : element.types;
    const variants = types.map((type) => ({
      code: type.code,
      jsonName: element.isChoice ? name + capitalize(type.code) : name,
      t: typeOfElement(type.code, element.path, element.contentReference),
    }));
    const build = (chosen: typeof variants): Compiled => {
      const readers = chosen.map((v) => propertyReader(v.jsonName, v.t.k === 'primitive'));
      const parent = input.fn;
      let fn: Evaluator;
      if (readers.length === 1) {
        fn = (focus, self, env) => {
          const out: Collection = [];
          for (const item of parent(focus, self, env)) readers[0](item, out);
          return out;
        };
      } else if (readers.length <= 8) {
        fn = (focus, self, env) => {
          const out: Collection = [];
          for (const item of parent(focus, self, env)) for (const read of readers) read(item, out);
          return out;
        };
      } else {
        // Wide choices (value[x] of Extension has 50 types): scan the object's keys instead of probing every name.
        const byKey = new Map<string, (item: unknown, out: Collection) => void>();
        chosen.forEach((v, i) => {
          byKey.set(v.jsonName, readers[i]);
          if (v.t.k === 'primitive') byKey.set('_' + v.jsonName, readers[i]);
        });
        fn = (focus, self, env) => {
          const out: Collection = [];
          for (const item of parent(focus, self, env)) {
            if (item === null || typeof item !== 'object') continue;
            for (const key in item as JsonObject) {
              const read = byKey.get(key);
              // A value and its `_` part are read together, once.
              if (read && !(key.charCodeAt(0) === 95 && (item as JsonObject)[key.slice(1)] !== undefined)) read(item, out);
            }
          }
          return out;
        };
      }
      return { fn, t: chosen.length === 1 ? chosen[0].t : { k: 'choice' } };
    };
    const compiled = build(variants);
    if (element.isChoice) compiled.restrict = (code) => build(variants.filter((v) => v.code === code));
    return compiled;
  }

  typeOperator(operator: string, input: Compiled, typeName: string): Compiled {
    const type = typeName.replace(/^FHIR\./, '');
    if (type.startsWith('System.')) throw new Unsupported(type);
    let narrowed: Compiled;
    if (input.t.k === 'resource') {
      if (!typeModel().isResourceType(type)) throw new Unsupported(`type test for ${type}`);
      const source = input.fn;
      narrowed = {
        fn: (focus, self, env) => source(focus, self, env).filter((item) => (item as JsonObject).resourceType === type),
        t: { k: 'complex', type, path: type },
      };
    } else if (input.restrict) narrowed = input.restrict(type);
    else if ((input.t.k === 'primitive' || input.t.k === 'complex') && isSameOrSubtype(input.t.type, type)) narrowed = input;
    else if (input.t.k === 'primitive' || (input.t.k === 'complex' && input.t.path === input.t.type)) narrowed = { fn: () => [], t: input.t };
    else throw new Unsupported(`type test on ${input.t.k}`);
    if (operator === 'is') {
      const fn = narrowed.fn;
      return {
        fn: (focus, self, env) => {
          const all = input.fn(focus, self, env);
          if (all.length === 0) return [];
          if (all.length > 1) throw new NeedsFullEngine('is on a collection');
          return [fn(focus, self, env).length > 0];
        },
        t: BOOLEAN,
      };
    }
    return narrowed;
  }
}

/** FHIRPath string literal text (single-quoted, JSON-like escapes) to its value. */
function stringLiteral(text: string): string {
  const inner = text.slice(1, -1);
  if (!inner.includes('\\')) return inner;
  try {
    return JSON.parse(`"${inner.replace(/\\(['`])/g, '$1').replace(/"/g, '\\"')}"`) as string;
  } catch {
    throw new Unsupported('string literal escape');
  }
}

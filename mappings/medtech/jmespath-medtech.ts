import { TreeInterpreter, compile, register, TYPE_NUMBER, TYPE_STRING } from '@jmespath-community/jmespath';
import { withPlainNumbers } from '../../server/fhir/json/index.ts';

/**
 * JMESPath for MedTech CalculatedContent templates: @jmespath-community/jmespath (it parses the
 * `to_array(@.Body) | [? …]` forms Microsoft's samples use, which the `jmespath` package does not)
 * plus MedTech's custom functions (iomt-fhir src/lib/Microsoft.Health.Expressions, docs
 * CustomFunctions.md): add, subtract, multiply, divide, pow — integer arithmetic when both
 * operands are integers (C# long), floating point otherwise; divide by integer zero is an error —
 * insertString, appendString, fromUnixTimestamp, fromUnixTimestampMs (UTC date-times).
 *
 * JS numbers cannot tell `4.0` from `4`, so a JSON `4.0` operand counts as an integer here where
 * .NET would use double arithmetic; results only differ for `divide` and `pow` of such values.
 */
export class JmesPathError extends Error {}

type Json = ReturnType<typeof withPlainNumbers<unknown>>;

function numbers(name: string, args: unknown[]): [number, number, boolean] {
  const [a, b] = args;
  if (typeof a !== 'number' || typeof b !== 'number') throw new JmesPathError(`Error: invalid-type, function ${name} expects numbers`);
  return [a, b, Number.isInteger(a) && Number.isInteger(b)];
}

function integer(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new JmesPathError(`Error: invalid-type, function ${name} expects an integer`);
  return value;
}

function dateTimeFromMillis(millis: number): string {
  const date = new Date(millis);
  if (Number.isNaN(date.getTime())) throw new JmesPathError('Timestamp out of range');
  const iso = date.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}

let registered = false;

function registerMedTechFunctions(): void {
  if (registered) return;
  registered = true;
  const options = { override: true };
  const numberPair = [{ types: [TYPE_NUMBER] }, { types: [TYPE_NUMBER] }];
  register('add', (args) => {
    const [a, b] = numbers('add', args);
    return a + b;
  }, numberPair, options);
  register('subtract', (args) => {
    const [a, b] = numbers('subtract', args);
    return a - b;
  }, numberPair, options);
  register('multiply', (args) => {
    const [a, b] = numbers('multiply', args);
    return a * b;
  }, numberPair, options);
  register('divide', (args) => {
    const [a, b, integers] = numbers('divide', args);
    if (integers) {
      if (b === 0) throw new JmesPathError('Attempted to divide by zero.');
      return Math.trunc(a / b);
    }
    return a / b;
  }, numberPair, options);
  register('pow', (args) => {
    const [a, b, integers] = numbers('pow', args);
    return integers ? Math.round(Math.pow(a, b)) : Math.pow(a, b);
  }, numberPair, options);
  register('insertString', (args) => {
    const [original, toInsert, position] = args;
    if (typeof original !== 'string' || typeof toInsert !== 'string') throw new JmesPathError('Error: invalid-type, function insertString expects strings');
    const at = integer('insertString', position);
    if (at < 0 || at > original.length) throw new JmesPathError(`Index ${at} is out of range for insertString`);
    return original.slice(0, at) + toInsert + original.slice(at);
  }, [{ types: [TYPE_STRING] }, { types: [TYPE_STRING] }, { types: [TYPE_NUMBER] }], options);
  register('appendString', (args) => {
    const [original, toAppend] = args;
    if (typeof original !== 'string' || typeof toAppend !== 'string') throw new JmesPathError('Error: invalid-type, function appendString expects strings');
    return original + toAppend;
  }, [{ types: [TYPE_STRING] }, { types: [TYPE_STRING] }], options);
  register('fromUnixTimestamp', (args) => dateTimeFromMillis(integer('fromUnixTimestamp', args[0]) * 1000), [{ types: [TYPE_NUMBER] }], options);
  register('fromUnixTimestampMs', (args) => dateTimeFromMillis(integer('fromUnixTimestampMs', args[0])), [{ types: [TYPE_NUMBER] }], options);
}

export interface CompiledJmesPath {
  readonly expression: string;
  /** Tokens as MedTech's SelectTokens sees them: a projection's elements, else the single non-null result. */
  selectTokens(data: unknown): unknown[];
  /** A projection with several elements is an error ("Multiple tokens were returned"). */
  selectToken(data: unknown): unknown | undefined;
}

type Node = { type: string; left?: Node; right?: Node; children?: Node[] };

/** Whether the expression's outermost operation is a projection (its result is a list of tokens, not one array token). */
function isProjection(node: Node): boolean {
  switch (node.type) {
    case 'Projection':
    case 'ValueProjection':
    case 'FilterProjection':
    case 'Flatten':
      return true;
    case 'Pipe':
    case 'Subexpression':
    case 'IndexExpression':
      return node.right ? isProjection(node.right) || (node.type !== 'Pipe' && !!node.left && isProjection(node.left)) : false;
    default:
      return false;
  }
}

const cache = new Map<string, CompiledJmesPath>();

export function compileJmesPath(expression: string): CompiledJmesPath {
  registerMedTechFunctions();
  let compiled = cache.get(expression);
  if (compiled) return compiled;
  let ast: ReturnType<typeof compile>;
  try {
    ast = compile(expression);
  } catch (error) {
    throw new JmesPathError(`The following JmesPath expression could not be parsed: ${expression}. Cause: ${(error as Error).message}`);
  }
  const projection = isProjection(ast as unknown as Node);
  const evaluate = (data: unknown) => {
    try {
      return TreeInterpreter.search(ast, withPlainNumbers(data) as Json as never) as unknown;
    } catch (error) {
      if (error instanceof JmesPathError) throw error;
      throw new JmesPathError((error as Error).message);
    }
  };
  compiled = {
    expression,
    selectTokens(data) {
      const result = evaluate(data);
      if (projection && Array.isArray(result)) return result;
      return result === null || result === undefined ? [] : [result];
    },
    selectToken(data) {
      const result = evaluate(data);
      if (projection && Array.isArray(result)) {
        if (result.length > 1) throw new JmesPathError(`Multiple tokens were returned using expression ${expression}`);
        return result[0] ?? undefined;
      }
      return result === null ? undefined : result;
    },
  };
  if (cache.size > 2000) cache.clear();
  cache.set(expression, compiled);
  return compiled;
}

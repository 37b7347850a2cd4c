import { expandValueSet, type Expansion } from './value-set-expansion.ts';
import type { JsonObject, ValidationContext } from './validation-context.ts';
import { quoteValue } from './validation-issue.ts';

/** Checks one value of a bound element (a code string, Coding, CodeableConcept or Quantity). */
export type BindingCheck = (value: unknown, path: string, ctx: ValidationContext) => void;

/**
 * The check for a required binding on an element of the given type, or undefined when there is
 * nothing to check: the binding is not required, or its value set cannot be expanded from the
 * package (external terminologies are skipped silently, as agreed for this server).
 */
export function requiredBindingCheck(binding: JsonObject | undefined, typeCode: string): BindingCheck | undefined {
  if (!binding || binding.strength !== 'required' || typeof binding.valueSet !== 'string') return undefined;
  const url = binding.valueSet;
  const expansion = expandValueSet(url);
  if (!expansion) return undefined;
  const name = url.replace(/\|.*$/, '');
  switch (typeCode) {
    case 'code':
    case 'string':
    case 'uri':
      return (value, path, ctx) => {
        if (typeof value === 'string' && !expansion.codes.has(value)) {
          ctx.rule('code-invalid', `${path}: the code ${quoteValue(value)} is not in the required value set ${name}`, path);
        }
      };
    case 'Coding':
    case 'Quantity':
      return (value, path, ctx) => {
        const problem = codingProblem(value as JsonObject, expansion);
        if (problem) ctx.rule('code-invalid', `${path}: ${problem} in the required value set ${name}`, path);
      };
    case 'CodeableConcept':
      return (value, path, ctx) => {
        const codings = (value as JsonObject).coding;
        if (Array.isArray(codings)) {
          for (const coding of codings) if (coding && !codingProblem(coding as JsonObject, expansion)) return;
        }
        ctx.rule('code-invalid', `${path}: none of the codings is in the required value set ${name}`, path);
      };
    default:
      return undefined;
  }
}

/** Why a Coding (or Quantity's system/code) is not in the expansion, or undefined when it is. */
function codingProblem(coding: JsonObject, expansion: Expansion): string | undefined {
  const code = coding.code;
  if (typeof code !== 'string') return 'no code is given';
  const system = coding.system;
  if (typeof system !== 'string') return expansion.codes.has(code) ? undefined : `the code ${quoteValue(code)} (no system) is not`;
  if (expansion.bySystem.get(system)?.has(code)) return undefined;
  return `the code ${quoteValue(code)} from ${system} is not`;
}

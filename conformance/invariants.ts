import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';
import { withPlainNumbers } from '../server/fhir/json/index.ts';
import type { FhirJson } from './definition-package.ts';
import { invariantExpression } from './invariant-corrections.ts';
import { compileSubset, type SubsetContext, type SubsetEvaluator } from './fhirpath-subset.ts';
import { toBoolean, Undecidable, type Collection } from './fhirpath-values.ts';
import type { JsonObject, ValidationContext } from './validation-context.ts';

/**
 * Invariants checked natively by the structural walk instead of through FHIRPath, because they
 * apply to (nearly) every element or resource: ele-1 (every element), ext-1 (every extension),
 * dom-2..dom-6 (every DomainResource; only dom-6 matters without contained resources), ref-1
 * (every Reference), txt-1/txt-2 (every narrative). See native-invariants.ts.
 */
export const NATIVE_INVARIANTS = new Set(['ele-1', 'ext-1', 'dom-2', 'dom-3', 'dom-4', 'dom-5', 'dom-6', 'ref-1', 'txt-1', 'txt-2']);

export interface Invariant {
  key: string;
  severity: 'error' | 'warning';
  human: string;
  /** True when satisfied or undecidable here; false when violated. */
  holds(node: unknown, ctx: ValidationContext): boolean;
}

const r4 = r4Model as unknown as Parameters<typeof fhirpath.compile>[1];
type FullEvaluator = (data: unknown, env: Record<string, unknown>) => unknown[];

/**
 * FHIRPath verdict on an invariant: satisfied when true, and also when empty (FHIRPath cannot
 * decide, e.g. a comparison of dates of different precision) — an unknown is not a proven violation.
 */
function verdict(result: Collection): boolean {
  try {
    return toBoolean(result) !== false;
  } catch {
    return true;
  }
}

/**
 * An invariant compiled for evaluation at one element: through the FHIRPath subset compiler when
 * possible, otherwise (and whenever the subset meets a case it does not decide) through fhirpath.js
 * with its R4 model. Expressions fhirpath.js cannot evaluate count as satisfied: the server cannot
 * enforce a rule it cannot compute, and must not reject valid resources for it.
 */
export function compileInvariant(constraint: FhirJson, context: SubsetContext, fhirpathBase: string): Invariant | undefined {
  if (typeof constraint.expression !== 'string') return undefined;
  const expression = invariantExpression(constraint.key, constraint.expression);
  const fast: SubsetEvaluator | undefined = compileSubset(expression, context);
  let full: FullEvaluator | null | undefined;
  const fullEvaluator = (): FullEvaluator | null => {
    if (full === undefined) {
      try {
        full = fhirpath.compile({ base: fhirpathBase, expression }, r4, { resolveInternalTypes: false, traceFn: () => undefined }) as unknown as FullEvaluator;
      } catch {
        full = null;
      }
    }
    return full;
  };
  const evaluateFully = (node: unknown, ctx: ValidationContext): boolean => {
    const evaluate = fullEvaluator();
    if (!evaluate) return true;
    try {
      // fhirpath.js understands plain numbers only; copies are made only when the resource holds FhirDecimal.
      const env = { resource: ctx.plain(ctx.resource, withPlainNumbers), rootResource: ctx.plain(ctx.rootResource, withPlainNumbers) };
      return verdict(evaluate(withPlainNumbers(node), env) as Collection);
    } catch {
      return true;
    }
  };
  return {
    key: constraint.key,
    severity: constraint.severity === 'warning' ? 'warning' : 'error',
    human: constraint.human ?? '',
    holds: fast
      ? (node, ctx) => {
          try {
            const holds = verdict(fast(node, ctx as unknown as { resource: JsonObject; rootResource: JsonObject }));
            audit?.({ key: constraint.key, expression, holds, reference: () => evaluateFully(node, ctx) });
            return holds;
          } catch (error) {
            if (error instanceof Undecidable) return true;
            // NeedsFullEngine, or input shaped in a way the subset did not expect: fhirpath.js decides.
            return evaluateFully(node, ctx);
          }
        }
      : evaluateFully,
  };
}

/** Receives every verdict of the compiled subset together with a way to get fhirpath.js's verdict. */
export type InvariantAudit = (entry: { key: string; expression: string; holds: boolean; reference: () => boolean }) => void;
let audit: InvariantAudit | undefined;

/** Test seam: compare the compiled subset with fhirpath.js on real data. */
export function auditInvariants(auditor: InvariantAudit | undefined): void {
  audit = auditor;
}

/** Report a violated invariant at `path`. */
export function reportInvariant(invariant: Invariant, path: string, ctx: ValidationContext): void {
  ctx.rule('invariant', `${path}: constraint ${invariant.key} failed: ${invariant.human}`, path, invariant.severity);
}

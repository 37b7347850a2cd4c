import type { SearchParameterRegistry } from './search-parameters.ts';

/** The index rows that answer a parameter: its own pid, or the pids of the parameters it aliases. */
export interface IndexTarget {
  pids: number[];
  /** For aliases like Observation.patient = Observation.subject restricted to Patient targets. */
  targetType?: string;
}

export type PidLookup = (resourceType: string, code: string) => number | undefined;

export function indexTarget(registry: SearchParameterRegistry, pid: PidLookup, resourceType: string, code: string): IndexTarget | undefined {
  const param = registry.param(resourceType, code);
  if (!param) return undefined;
  if (param.aliasOf) {
    const pids = param.aliasOf.codes.map((base) => pid(resourceType, base));
    if (pids.some((p) => p === undefined)) return undefined;
    return { pids: pids as number[], targetType: param.aliasOf.targetType };
  }
  const own = pid(resourceType, code);
  return own === undefined ? undefined : { pids: [own] };
}

/**
 * SQL restricting index rows `alias` to a target. Pids are integers from our own table and
 * target types come from the R4 definitions, so both are safe to inline.
 */
export function targetSql(target: IndexTarget, alias = 'i', withTargetType = true): string {
  const pid = target.pids.length === 1 ? `${alias}.pid = ${target.pids[0]}` : `${alias}.pid IN (${target.pids.join(', ')})`;
  return withTargetType && target.targetType ? `${pid} AND ${alias}.target_type = '${target.targetType}'` : pid;
}

import { badRequest } from '../outcome.ts';
import { referenceRows, type ConditionContext } from './query/search-conditions.ts';
import { indexTarget, targetSql } from './definitions/index-target.ts';

const SORT_COLUMN: Record<string, { table: string; asc: string; desc: string }> = {
  date: { table: 'idx_date', asc: 'min(i.low)', desc: 'max(i.high)' },
  string: { table: 'idx_string', asc: 'min(i.value)', desc: 'max(i.value)' },
  token: { table: 'idx_token', asc: 'min(i.code)', desc: 'max(i.code)' },
  number: { table: 'idx_number', asc: 'min(i.value)', desc: 'max(i.value)' },
  quantity: { table: 'idx_quantity', asc: 'min(i.value)', desc: 'max(i.value)' },
  reference: { table: 'idx_reference', asc: 'min(i.target_id)', desc: 'max(i.target_id)' },
  uri: { table: 'idx_uri', asc: 'min(i.uri)', desc: 'max(i.uri)' },
};

/**
 * The value a resource sorts by for one parameter: the lowest value ascending, the highest
 * descending (for repeating elements the spec leaves this to the server; this is HAPI's choice).
 */
export function sortExpression(ctx: ConditionContext, types: string[], code: string, descending: boolean): string {
  if (code === '_id') return 'r.id';
  if (code === '_lastUpdated') return 'r.last_updated';
  const per = types.map((type) => {
    const param = ctx.registry.param(type, code);
    const column = param ? SORT_COLUMN[param.type] : undefined;
    if (!param || !column) return undefined;
    const target = indexTarget(ctx.registry, ctx.pid, type, code)!;
    const table = param.type === 'reference' ? referenceRows(ctx, target.pids).from : column.table;
    return `(SELECT ${descending ? column.desc : column.asc} FROM ${table} i WHERE i.rid = r.rid AND ${targetSql(target, 'i', param.type === 'reference')})`;
  });
  const defined = per.filter((e): e is string => e !== undefined);
  if (defined.length === 0) throw badRequest(`Cannot sort by '${code}': not a sortable search parameter of ${types.join(', ')}`, ['_sort'], 'not-supported');
  if (defined.length === 1) return defined[0];
  return `COALESCE(${defined.join(', ')})`;
}

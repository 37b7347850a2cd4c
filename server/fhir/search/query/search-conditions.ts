import { badRequest, notSupported } from '../../outcome.ts';
import type { SearchParameterRegistry, SearchParamDefinition } from '../definitions/search-parameters.ts';
import type { QuantityCanonicalizer } from '../index/extract-index.ts';
import { referenceParts } from '../values/reference-parts.ts';
import { dateCondition } from './date-condition.ts';
import { numberCondition } from './number-condition.ts';
import { quantityCondition } from './quantity-condition.ts';
import { likeEscape, SqlParams } from './sql-params.ts';
import { splitOrValues, unescapeValue } from './split-values.ts';
import { stringCondition } from './string-condition.ts';
import { tokenCondition } from './token-condition.ts';
import { uriCondition } from './uri-condition.ts';
import { compositeCondition } from './composite-condition.ts';
import { ofTypeCondition, subsumptionCondition, valueSetCondition } from './token-terminology-condition.ts';
import type { ValueSetCodes } from '../../../../terminology/value-set-codes.ts';
import { indexTarget, targetSql } from '../definitions/index-target.ts';

export interface ConditionContext {
  registry: SearchParameterRegistry;
  pid(resourceType: string, code: string): number | undefined;
  baseUrl: string;
  params: SqlParams;
  canonicalize?: QuantityCanonicalizer;
  /** Value sets named by :in / :not-in, expanded before the SQL is built (expansion may read the store). */
  valueSets?: Map<string, ValueSetCodes>;
  /** FROM item with the reference index rows of these pids (reference-rows.ts); idx_reference when absent. */
  referenceRows?: (pids: readonly number[]) => string;
}

/** The search parameter name split into its parts: code, :modifier and .chain. */
export interface ParameterName {
  code: string;
  modifier?: string;
  chain?: string;
}

export function parseParameterName(name: string): ParameterName {
  const dot = name.indexOf('.');
  const head = dot < 0 ? name : name.slice(0, dot);
  const chain = dot < 0 ? undefined : name.slice(dot + 1);
  const colon = head.indexOf(':');
  return colon < 0 ? { code: head, chain } : { code: head.slice(0, colon), modifier: head.slice(colon + 1), chain };
}

const TABLE: Record<string, string> = {
  token: 'idx_token', string: 'idx_string', date: 'idx_date', number: 'idx_number',
  quantity: 'idx_quantity', reference: 'idx_reference', uri: 'idx_uri',
};

const MODIFIERS: Record<string, Set<string>> = {
  token: new Set(['missing', 'not', 'text', 'in', 'not-in', 'above', 'below', 'of-type']),
  string: new Set(['missing', 'exact', 'contains']),
  date: new Set(['missing']),
  number: new Set(['missing']),
  quantity: new Set(['missing']),
  reference: new Set(['missing', 'identifier']),
  uri: new Set(['missing', 'below', 'above']),
};

/** Modifiers each parameter type supports (also what the CapabilityStatement documents). */
export function supportedModifiers(type: string): string[] {
  return [...(MODIFIERS[type] ?? [])];
}

/**
 * SQL condition (over `alias`, a row of table resource) for one search parameter of one resource
 * type. Chains and _has recurse into subqueries on their own aliases.
 */
export function parameterCondition(ctx: ConditionContext, alias: string, resourceType: string, name: string, value: string): string {
  if (name.startsWith('_has:')) return hasCondition(ctx, alias, resourceType, name, value);
  const parsed = parseParameterName(name);
  if (parsed.code === '_id') return idCondition(ctx, alias, value, parsed.modifier);
  if (parsed.code === '_list') return listCondition(ctx, alias, value, parsed.modifier);
  if (parsed.code === '_lastUpdated') {
    if (parsed.modifier) throw notSupported(`Modifier ':${parsed.modifier}' is not supported on _lastUpdated`);
    const ors = splitOrValues(value).map((v) => dateCondition(ctx.params, v, `${alias}.last_updated`, `(${alias}.last_updated + interval '1 millisecond')`, name));
    return `(${ors.join(' OR ')})`;
  }
  const param = ctx.registry.param(resourceType, parsed.code);
  if (!param) throw unknownParameter(resourceType, parsed.code);
  if (parsed.chain !== undefined) return chainCondition(ctx, alias, param, parsed, value);
  if (param.type === 'special' || (param.type === 'composite' && !param.extractComposite && !param.aliasOf)) {
    throw notSupported(`Search parameter '${parsed.code}' (${param.type}) is not supported`);
  }
  const target = indexTarget(ctx.registry, ctx.pid, resourceType, param.code)!;
  const pid = targetSql(target);
  const pidWithoutType = targetSql(target, 'i', false);
  if (param.type === 'composite') {
    if (parsed.modifier) throw notSupported(`Composite parameters take no modifiers ('${name}')`);
    return exists(alias, 'idx_composite', pid, splitOrValues(value).map((v) => compositeCondition(ctx.params, param, v, name, ctx.canonicalize)));
  }
  const rows = param.type === 'reference' ? referenceRows(ctx, target.pids) : { from: TABLE[param.type], derived: false };
  const table = rows.from;
  if (parsed.modifier === 'missing') return missingCondition(alias, table, pid, value, rows.derived);
  if (param.type === 'reference' && parsed.modifier && parsed.modifier !== 'identifier') {
    return referenceTypedCondition(ctx, alias, param, table, pid, parsed.modifier, value);
  }
  if (parsed.modifier && !MODIFIERS[param.type]?.has(parsed.modifier)) {
    throw notSupported(`Modifier ':${parsed.modifier}' is not supported on ${param.type} parameter '${param.code}'`);
  }
  const values = splitOrValues(value);
  if (param.type === 'reference' && parsed.modifier === 'identifier') {
    return exists(alias, 'idx_token', pidWithoutType, values.map((v) => tokenCondition(ctx.params, v, undefined)));
  }
  if (param.type === 'token' && (parsed.modifier === 'in' || parsed.modifier === 'not-in')) {
    const sets = values.map((url) => {
      const codes = ctx.valueSets?.get(unescapeValue(url));
      if (!codes) throw notSupported(`ValueSet '${url}' is not known to this server (or cannot be expanded here)`);
      return valueSetCondition(ctx.params, codes);
    });
    const match = exists(alias, TABLE.token, pid, sets);
    return parsed.modifier === 'in' ? match : `NOT ${match}`;
  }
  if (param.type === 'token' && (parsed.modifier === 'above' || parsed.modifier === 'below')) {
    return exists(alias, TABLE.token, pid, values.map((v) => subsumptionCondition(ctx.params, v, parsed.modifier as 'above' | 'below', name)));
  }
  if (param.type === 'token' && parsed.modifier === 'of-type') {
    return exists(alias, 'idx_identifier_type', pid, values.map((v) => ofTypeCondition(ctx.params, v, name)));
  }
  const rowConditions = values.map((v) => valueCondition(ctx, param, parsed.modifier, v, name));
  if (param.type === 'token' && parsed.modifier === 'not') {
    return `NOT ${exists(alias, TABLE.token, pid, rowConditions)}`;
  }
  return exists(alias, table, pid, rowConditions);
}

/** The reference rows of these pids, and whether some are derived at query time (reference-rows.ts), which plans must probe rather than enumerate. */
export function referenceRows(ctx: ConditionContext, pids: readonly number[]): { from: string; derived: boolean } {
  const from = ctx.referenceRows?.(pids) ?? TABLE.reference;
  return { from, derived: from !== TABLE.reference };
}

export class UnknownParameterError extends Error {
  constructor(
    readonly resourceType: string,
    readonly code: string,
  ) {
    super(`Unknown search parameter '${code}' for resource type '${resourceType}'`);
  }
}

function unknownParameter(resourceType: string, code: string): Error {
  return new UnknownParameterError(resourceType, code);
}

/** `pid` is the SQL that restricts index rows `i` to the parameter (see index-target.ts). */
function exists(alias: string, table: string, pid: string, rowConditions: string[]): string {
  return `EXISTS (SELECT 1 FROM ${table} i WHERE i.rid = ${alias}.rid AND ${pid} AND (${rowConditions.join(' OR ')}))`;
}

/**
 * Rows derived at query time (reference-rows.ts) are found by the resource's rid only when the
 * planner probes them once per resource: OFFSET 0 keeps it from hashing every derived row instead.
 */
function missingCondition(alias: string, table: string, pid: string, value: string, derived: boolean): string {
  if (value !== 'true' && value !== 'false') throw badRequest(`:missing takes true or false, not '${value}'`, undefined, 'value');
  const any = `EXISTS (SELECT 1 FROM ${table} i WHERE i.rid = ${alias}.rid AND ${pid}${derived ? ' OFFSET 0' : ''})`;
  return value === 'true' ? `NOT ${any}` : any;
}

function valueCondition(ctx: ConditionContext, param: SearchParamDefinition, modifier: string | undefined, value: string, name: string): string {
  switch (param.type) {
    case 'token':
      return tokenCondition(ctx.params, value, modifier === 'not' ? undefined : modifier);
    case 'string':
      return stringCondition(ctx.params, value, modifier);
    case 'date':
      return dateCondition(ctx.params, value, 'i.low', 'i.high', name);
    case 'number':
      return numberCondition(ctx.params, value, 'i.value', name);
    case 'quantity':
      return quantityCondition(ctx.params, value, name, ctx.canonicalize);
    case 'uri':
      return uriCondition(ctx.params, value, modifier);
    case 'reference':
      return referenceValueCondition(ctx, param, value);
    default:
      throw notSupported(`Search parameter type '${param.type}' is not supported`);
  }
}

/** "Patient/1", "1", "http://other/fhir/Patient/1", canonical "http://x/ValueSet/y|1.0". */
function referenceValueCondition(ctx: ConditionContext, param: SearchParamDefinition, raw: string): string {
  const value = unescapeValue(raw);
  if (/^[A-Za-z0-9\-.]{1,64}$/.test(value)) {
    const types = param.targets.length > 0 ? `AND i.target_type = ANY(${ctx.params.add(param.targets)}::text[])` : '';
    return `(i.target_id = ${ctx.params.add(value)} ${types})`;
  }
  const parts = referenceParts(value, ctx.baseUrl);
  if (parts?.id !== undefined) return `(i.target_id = ${ctx.params.add(parts.id)} AND i.target_type = ${ctx.params.add(parts.type)})`;
  // Canonical references may carry a version: "url" matches "url|1.0" too.
  return `(i.url = ${ctx.params.add(value)} OR i.url LIKE ${ctx.params.add(likeEscape(value) + '|%')})`;
}

/** subject:Patient=123 */
function referenceTypedCondition(ctx: ConditionContext, alias: string, param: SearchParamDefinition, table: string, pid: string, type: string, value: string): string {
  if (!ctx.registry.resourceTypes().includes(type)) throw notSupported(`Modifier ':${type}' is not supported on reference parameter '${param.code}'`);
  const ors = splitOrValues(value).map((raw) => {
    const v = unescapeValue(raw);
    const id = v.includes('/') ? referenceParts(v, ctx.baseUrl)?.id : v;
    return `(i.target_type = ${ctx.params.add(type)} AND i.target_id = ${ctx.params.add(id ?? v)})`;
  });
  return exists(alias, table, pid, ors);
}

function idCondition(ctx: ConditionContext, alias: string, value: string, modifier: string | undefined): string {
  const ids = splitOrValues(value).map(unescapeValue);
  if (modifier === 'missing') return value === 'true' ? 'false' : 'true';
  if (modifier === 'not') return `NOT (${alias}.id = ANY(${ctx.params.add(ids)}::text[]))`;
  if (modifier) throw notSupported(`Modifier ':${modifier}' is not supported on _id`);
  return `${alias}.id = ANY(${ctx.params.add(ids)}::text[])`;
}

/** _list=id: resources that List/id names in its entries (List.entry.item). */
function listCondition(ctx: ConditionContext, alias: string, value: string, modifier: string | undefined): string {
  if (modifier) throw notSupported(`Modifier ':${modifier}' is not supported on _list`);
  const pid = targetSql(indexTarget(ctx.registry, ctx.pid, 'List', 'item')!, 'l');
  const ids = splitOrValues(value).map(unescapeValue);
  return `${alias}.id IN (SELECT l.target_id FROM idx_reference l JOIN resource lr ON lr.rid = l.rid
    WHERE ${pid} AND l.target_type = ${alias}.type AND lr.type = 'List' AND lr.id = ANY(${ctx.params.add(ids)}::text[]) AND NOT lr.deleted)`;
}

/** subject.name=x or subject:Patient.name=x: the referenced resource must match the rest of the chain. */
function chainCondition(ctx: ConditionContext, alias: string, param: SearchParamDefinition, parsed: ParameterName, value: string): string {
  if (param.type !== 'reference') throw badRequest(`Chained search on '${param.code}' needs a reference parameter`, [param.code]);
  const target = indexTarget(ctx.registry, ctx.pid, param.resourceType, param.code)!;
  const pid = targetSql(target);
  const candidateTypes = parsed.modifier ? [parsed.modifier] : param.targets.length > 0 ? param.targets : ctx.registry.resourceTypes();
  const chainedCode = parseParameterName(parsed.chain!).code;
  const types = candidateTypes.filter((t) => chainedCode === '_id' || chainedCode === '_lastUpdated' || chainedCode === '_has' || ctx.registry.param(t, chainedCode));
  if (types.length === 0) {
    throw badRequest(`Chained parameter '${parsed.chain}' is not defined on any target of '${param.code}' (${candidateTypes.join(', ')})`, [param.code]);
  }
  const referenced = ctx.params.alias('c');
  const rows = referenceRows(ctx, target.pids);
  if (rows.derived) {
    // Derived rows (reference-rows.ts): from the resources the rest of the chain matches to the
    // rows naming each of them, one probe per resource; probed per candidate instead, every
    // candidate's derived rows would be built.
    const matching = types.map((type) => `(${referenced}.type = ${ctx.params.add(type)} AND ${parameterCondition(ctx, referenced, type, parsed.chain!, value)})`);
    return `${alias}.rid IN (SELECT i.rid FROM resource ${referenced}
      CROSS JOIN LATERAL (SELECT i.rid FROM ${rows.from} i WHERE ${pid} AND i.target_type = ${referenced}.type AND i.target_id = ${referenced}.id OFFSET 0) AS i
      WHERE ${referenced}.type = ANY(${ctx.params.add(types)}::text[]) AND NOT ${referenced}.deleted AND (${matching.join(' OR ')}))`;
  }
  const perType = types.map((type) => {
    const inner = parameterCondition(ctx, referenced, type, parsed.chain!, value);
    return `(i.target_type = ${ctx.params.add(type)} AND i.target_id IN (SELECT ${referenced}.id FROM resource ${referenced} WHERE ${referenced}.type = ${ctx.params.add(type)} AND NOT ${referenced}.deleted AND ${inner}))`;
  });
  return exists(alias, rows.from, pid, perType);
}

/** _has:Observation:patient:code=1234 — some Observation whose `patient` points here has that code. */
function hasCondition(ctx: ConditionContext, alias: string, resourceType: string, name: string, value: string): string {
  const match = /^_has:([A-Z][A-Za-z]+):([a-z][A-Za-z0-9\-_]*):(.+)$/.exec(name);
  if (!match) throw badRequest(`Malformed _has parameter '${name}': expected _has:Type:reference:parameter`, [name]);
  const [, type, referenceCode, rest] = match;
  const referenceParam = ctx.registry.param(type, referenceCode);
  if (!referenceParam || referenceParam.type !== 'reference') {
    throw badRequest(`'${referenceCode}' is not a reference search parameter of ${type} (in '${name}')`, [name]);
  }
  const target = indexTarget(ctx.registry, ctx.pid, type, referenceCode)!;
  const pid = targetSql(target, 'hr');
  const other = ctx.params.alias('h');
  const inner = parameterCondition(ctx, other, type, rest, value);
  const rows = referenceRows(ctx, target.pids);
  // The type as a value, not ${alias}.type: uncorrelated, the subquery runs once, not once per row.
  const targetType = ctx.params.add(resourceType);
  if (rows.derived) {
    // Derived rows (reference-rows.ts): one probe by rid per matching resource (see chainCondition).
    return `${alias}.id IN (SELECT hr.target_id FROM resource ${other}
      CROSS JOIN LATERAL (SELECT hr.target_id FROM ${rows.from} hr WHERE hr.rid = ${other}.rid AND ${pid} AND hr.target_type = ${targetType} OFFSET 0) AS hr
      WHERE ${other}.type = ${ctx.params.add(type)} AND NOT ${other}.deleted AND ${inner})`;
  }
  return `${alias}.id IN (SELECT hr.target_id FROM ${rows.from} hr JOIN resource ${other} ON ${other}.rid = hr.rid
    WHERE ${pid} AND hr.target_type = ${targetType} AND NOT ${other}.deleted AND ${inner})`;
}

/**
 * Preload for `bench:ingest --index-cost off`: the server process computes search index rows once
 * per Observation code and reuses them, so the run shows what ingestion costs without index
 * extraction (the rows written are the same in number and kind). The ingest identifier's token
 * row keeps each Observation's own value: with one shared value the planner's statistics would
 * say every reading has the same identifier and the idempotency look-ups would scan instead of
 * probing. Never use outside the benchmark.
 */
import { INGEST_IDENTIFIER_SYSTEM } from '../mappings/identity.ts';
import type { IndexRows } from '../server/fhir/search/index/index-rows.ts';
import { Repository } from '../server/store/repository.ts';

const extract = Repository.prototype.indexRows;
const memo = new Map<string, IndexRows>();
Repository.prototype.indexRows = function (this: Repository, type: string, resource: Record<string, any>) {
  if (type !== 'Observation') return extract.call(this, type, resource);
  const key = JSON.stringify(resource.code);
  let rows = memo.get(key);
  if (!rows) memo.set(key, (rows = extract.call(this, type, resource)));
  const identifier = (resource.identifier as Array<{ system?: string; value?: string }> | undefined)?.find((i) => i.system === INGEST_IDENTIFIER_SYSTEM)?.value ?? null;
  // Fresh lists per call: the write path may add to them.
  const copy = Object.fromEntries(Object.entries(rows).map(([table, list]) => [table, (list as unknown[]).slice()])) as unknown as IndexRows;
  copy.token = copy.token.map((row) => (row[1] === INGEST_IDENTIFIER_SYSTEM ? [row[0], row[1], identifier, row[3]] : row));
  return copy;
};

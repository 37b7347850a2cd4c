import type { SearchParameterRegistry, SearchParamDefinition } from '../fhir/search/definitions/search-parameters.ts';
import type { Database } from './database.ts';

/**
 * Stable small integer ids for (resource type, parameter code), shared by every server process
 * through the search_param table. Loaded once at start; new definitions are registered then.
 */
export class SearchParamIds {
  private readonly ids = new Map<string, number>();

  static async load(db: Database, registry: SearchParameterRegistry): Promise<SearchParamIds> {
    const types: string[] = [];
    const codes: string[] = [];
    for (const resourceType of registry.resourceTypes()) {
      for (const code of registry.paramsFor(resourceType).keys()) {
        types.push(resourceType);
        codes.push(code);
      }
    }
    await db.query(
      `INSERT INTO search_param (resource_type, code) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (resource_type, code) DO NOTHING`,
      [types, codes],
    );
    const { rows } = await db.query<{ pid: number; resource_type: string; code: string }>('SELECT pid, resource_type, code FROM search_param');
    const ids = new SearchParamIds();
    for (const row of rows) ids.ids.set(`${row.resource_type}.${row.code}`, row.pid);
    return ids;
  }

  pid(resourceType: string, code: string): number | undefined {
    return this.ids.get(`${resourceType}.${code}`);
  }

  /** Per definition object: index extraction asks for every parameter of every resource written. */
  private readonly byDefinition = new WeakMap<SearchParamDefinition, number>();

  pidOf = (param: SearchParamDefinition): number => {
    const known = this.byDefinition.get(param);
    if (known !== undefined) return known;
    const pid = this.ids.get(`${param.resourceType}.${param.code}`);
    if (pid === undefined) throw new Error(`search parameter ${param.resourceType}.${param.code} has no id`);
    this.byDefinition.set(param, pid);
    return pid;
  };
}

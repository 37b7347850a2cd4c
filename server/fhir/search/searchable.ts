import type { SearchParamDefinition } from './definitions/search-parameters.ts';

/** Parameters the search engine answers: every indexed type, composites whose components compile, _id/_lastUpdated. Not `special` (near). */
export function isSearchable(param: SearchParamDefinition): boolean {
  if (param.code === '_id' || param.code === '_lastUpdated' || param.aliasOf) return true;
  if (param.type === 'composite') return param.extractComposite !== undefined;
  return param.extract !== undefined && param.type !== 'special';
}

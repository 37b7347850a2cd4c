import { badRequest } from './outcome.ts';

/** `_cursor` of a next/previous link (search and history): a non-negative integer the server made. */
export function pagingCursor(value: string): number {
  const cursor = Number(value);
  if (!Number.isInteger(cursor) || cursor < 0) throw badRequest(`Invalid paging cursor '${value}'`, ['_cursor'], 'value');
  return cursor;
}

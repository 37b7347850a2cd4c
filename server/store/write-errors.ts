/** The version a client expected (If-Match) is not the current one. */
export class VersionConflictError extends Error {
  constructor(
    readonly type: string,
    readonly id: string,
    readonly expected: number,
    readonly actual: number | undefined,
  ) {
    super(`${type}/${id}: expected version ${expected}, current is ${actual ?? 'none'}`);
  }
}

/** A create with a client-chosen id found the resource already there. */
export class ResourceExistsError extends Error {
  constructor(
    readonly type: string,
    readonly id: string,
  ) {
    super(`${type}/${id} already exists`);
  }
}

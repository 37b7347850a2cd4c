/** Collects bind parameters while SQL text is built; add() returns the placeholder. */
export class SqlParams {
  readonly values: unknown[] = [];
  private aliasCounter = 0;

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /**
   * A placeholder bound only if the SQL actually uses it: PostgreSQL cannot type a parameter
   * that no statement text refers to, so conditions that pick between values bind lazily.
   */
  lazy(value: unknown, cast = ''): () => string {
    let placeholder: string | undefined;
    return () => (placeholder ??= this.add(value) + cast);
  }

  /** Position to roll back to when building one parameter's condition fails. */
  mark(): number {
    return this.values.length;
  }

  reset(mark: number): void {
    this.values.length = mark;
  }

  /** A fresh table alias for nested subqueries (chains, _has). */
  alias(prefix: string): string {
    return `${prefix}${++this.aliasCounter}`;
  }
}

/** Escapes LIKE wildcards in user text. */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}

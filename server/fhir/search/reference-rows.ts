/**
 * Where the index rows of reference search parameters come from: idx_reference, and for a
 * parameter whose rows a feature derives from tables it keeps anyway, those too. The provenance
 * pipeline's window Provenances name every version they anchor — a thousand targets each, a
 * reference row per reading — while the leaf runs and provenance_window already say which
 * versions each window holds: deriving the rows from them at query time instead of writing them
 * saved ~3 µs of PostgreSQL CPU per ingested reading (alternated runs of 100,000 readings).
 *
 * Ingest requests' Provenances name every reading they wrote; their rows come from the rids kept
 * with the request's source row.
 *
 * A derived source yields the columns of idx_reference (rid, pid, target_type, target_id,
 * target_version, url) for one pid, with plain columns where searches filter — target type and id,
 * rid — so PostgreSQL pushes the conditions into it. Only queries over a derived pid read it: every
 * other reference search reads idx_reference alone, as before.
 */
export class ReferenceRows {
  private readonly derived = new Map<number, string[]>();

  constructor(private readonly pidOf: (resourceType: string, code: string) => number | undefined) {}

  /**
   * `rows(pid)`: a SELECT of that pid's rows, for the resources whose rows the store was told not to
   * write (WriteOperation.unindexed). Several sources of one parameter are read together.
   */
  derive(resourceType: string, code: string, rows: (pid: number) => string): void {
    const pid = this.pidOf(resourceType, code);
    if (pid === undefined) return;
    const sources = this.derived.get(pid);
    if (sources) sources.push(rows(pid));
    else this.derived.set(pid, [rows(pid)]);
  }

  /** A FROM item (give it an alias) with the reference rows of these pids. */
  source(pids: Iterable<number>): string {
    // Every reference search asks: nothing is allocated unless some pid is derived.
    let extra: Set<string> | undefined;
    for (const pid of pids) {
      const sources = this.derived.get(pid);
      if (sources !== undefined) for (const rows of sources) (extra ??= new Set()).add(rows);
    }
    if (extra === undefined) return 'idx_reference';
    return `(SELECT rid, pid, target_type, target_id, target_version, url FROM idx_reference UNION ALL ${[...extra].join(' UNION ALL ')})`;
  }
}

import type { IndexRows } from '../fhir/search/index/index-rows.ts';
import { PG_DEADLOCK, PG_SERIALIZATION_FAILURE, sqlErrorCode, type Database, type Queryable } from './database.ts';
import type { CommittedWrite, WriteOperation } from './repository.ts';

export interface GroupItem {
  operations: WriteOperation[];
  indexed: Array<IndexRows | undefined>;
}

interface Pending {
  item: GroupItem;
  resolve(results: CommittedWrite[]): void;
  reject(error: unknown): void;
}

type Outcome = { results?: CommittedWrite[]; error?: unknown };

const MAX_GROUP = 64;
const MAX_ATTEMPTS = 3;

/**
 * Group commit. The commit-order lock (see repository) is held through COMMIT, so every
 * transaction pays one fsync while others wait; writes that arrive together therefore share one
 * transaction. One group is in flight at a time and the next gathers meanwhile, so a lone write
 * is not delayed and a busy server batches itself.
 *
 * A group is first written as one (a handful of statements for all its requests). If anything in
 * it fails — a stale If-Match, two requests writing one resource — that is rolled back and the
 * group is written request by request, each in its own savepoint, so only the guilty request
 * gets an error and the others commit.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly db: Database,
    /** Writes an item; with `finishing`, also what `finish` would (one statement fewer for a lone write). */
    private readonly writeItem: (tx: Queryable, item: GroupItem, finishing: boolean) => Promise<CommittedWrite[]>,
    private readonly finish: (tx: Queryable, results: CommittedWrite[]) => Promise<void>,
  ) {}

  write(item: GroupItem): Promise<CommittedWrite[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) await this.commitGroup(this.queue.splice(0, MAX_GROUP));
    } finally {
      this.flushing = false;
    }
  }

  private async commitGroup(group: Pending[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let outcomes: Outcome[] = [];
      try {
        await this.db.transaction(async (tx) => {
          if (group.length === 1) outcomes = [{ results: await this.writeItem(tx, group[0].item, true) }];
          else {
            outcomes = (await this.writeMerged(tx, group)) ?? (await this.writeEach(tx, group));
            await this.finish(tx, outcomes.flatMap((outcome) => outcome.results ?? []));
          }
        });
      } catch (error) {
        // A deadlock with another server process aborts the whole group: run it again.
        if (isRetryable(error) && attempt < MAX_ATTEMPTS) continue;
        // A lone write failed, or the commit itself did: the error belongs to everyone in the group.
        for (const pending of group) pending.reject(error);
        return;
      }
      group.forEach((pending, index) => {
        const outcome = outcomes[index];
        if (outcome.error !== undefined) pending.reject(outcome.error);
        else pending.resolve(outcome.results!);
      });
      return;
    }
  }

  private async writeMerged(tx: Queryable, group: Pending[]): Promise<Outcome[] | undefined> {
    const merged: GroupItem = { operations: group.flatMap((p) => p.item.operations), indexed: group.flatMap((p) => p.item.indexed) };
    await tx.query('SAVEPOINT group_all');
    try {
      const results = await this.writeItem(tx, merged, false);
      await tx.query('RELEASE SAVEPOINT group_all');
      let offset = 0;
      return group.map((pending) => {
        const slice = results.slice(offset, offset + pending.item.operations.length);
        offset += pending.item.operations.length;
        return { results: slice };
      });
    } catch (error) {
      if (isRetryable(error)) throw error;
      await tx.query('ROLLBACK TO SAVEPOINT group_all');
      return undefined;
    }
  }

  private async writeEach(tx: Queryable, group: Pending[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const pending of group) {
      await tx.query('SAVEPOINT group_item');
      try {
        outcomes.push({ results: await this.writeItem(tx, pending.item, false) });
        await tx.query('RELEASE SAVEPOINT group_item');
      } catch (error) {
        if (isRetryable(error)) throw error;
        await tx.query('ROLLBACK TO SAVEPOINT group_item');
        outcomes.push({ error });
      }
    }
    return outcomes;
  }
}

function isRetryable(error: unknown): boolean {
  const code = sqlErrorCode(error);
  return code === PG_DEADLOCK || code === PG_SERIALIZATION_FAILURE;
}

import { rmSync } from 'node:fs';
import { afterAll, describe, it } from 'vitest';
import type { Database } from '../../server/store/database.ts';
import { listMigrations, migrate } from '../../server/store/migrate.ts';
import { PgliteDatabase } from '../../server/store/pglite-database.ts';
import { PostgresDatabase } from '../../server/store/postgres-database.ts';
import { createTestDatabase, postgresAvailable } from './postgres.ts';
import { tempDir } from './test-server.ts';

/**
 * For a migration test: a new database (PGlite in a temporary directory, or PostgreSQL) holding
 * the schema as it was before migration `version`; `migrateRest` applies the rest and says which
 * ran, `close` closes and removes it.
 */
export async function databaseBefore(version: number, postgres: boolean): Promise<{ db: Database; migrateRest(): Promise<string[]>; close(): Promise<void> }> {
  const database = postgres ? await createTestDatabase() : undefined;
  const dataDir = postgres ? undefined : tempDir(`migration-${version}`);
  const db = database ? await PostgresDatabase.open(database.url, 2) : await PgliteDatabase.open(dataDir!);
  const migrations = listMigrations();
  await migrate(db, migrations.filter((m) => m.version < version));
  return {
    db,
    migrateRest: () => migrate(db, migrations),
    close: async () => {
      await db.close();
      await database?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type DatabaseBefore = Awaited<ReturnType<typeof databaseBefore>>;

const withPostgres = await postgresAvailable();

/**
 * A migration test on both backends: `check` gets a database as it was before migration `version`
 * on PGlite, then on PostgreSQL (skipped where none runs here), each closed and removed afterwards.
 */
export function describeMigration(version: number, title: string, name: string, check: (database: DatabaseBefore) => Promise<void>): void {
  describe.each([
    ['PGlite', false],
    ['PostgreSQL', true],
  ] as const)(`${title} (%s)`, (_name, postgres) => {
    let database: DatabaseBefore | undefined;
    afterAll(() => database?.close());

    it.skipIf(postgres && !withPostgres)(name, async () => {
      database = await databaseBefore(version, postgres);
      await check(database);
    }, 120_000);
  });
}

import { rmSync } from 'node:fs';
import type { Database } from '../../server/store/database.ts';
import { listMigrations, migrate } from '../../server/store/migrate.ts';
import { PgliteDatabase } from '../../server/store/pglite-database.ts';
import { PostgresDatabase } from '../../server/store/postgres-database.ts';
import { createTestDatabase } from './postgres.ts';
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

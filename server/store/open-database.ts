import type { Config } from '../config.ts';
import type { Database } from './database.ts';

/** DATABASE_URL selects PostgreSQL; otherwise the embedded PGlite in DATA_DIR. */
export async function openDatabase(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_POOL_SIZE' | 'DATA_DIR'>): Promise<Database> {
  if (config.DATABASE_URL) {
    const { PostgresDatabase } = await import('./postgres-database.ts');
    return PostgresDatabase.open(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  }
  const { PgliteDatabase } = await import('./pglite-database.ts');
  return PgliteDatabase.open(config.DATA_DIR);
}

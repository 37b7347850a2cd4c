import pg from 'pg';
import type { Database, Lease, Queryable, QueryResult } from './database.ts';

// bigint (row ids, sequence numbers) as JS numbers: they stay far below 2^53.
pg.types.setTypeParser(20, (value) => Number(value));

/** A real PostgreSQL server (DATABASE_URL): the scale-out path for several server processes. */
export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly binaryArrays = true;
  /**
   * One extra connection, outside the pool, carries every LISTEN and every advisory lease (a
   * session can hold many advisory locks). Holding pooled connections for those would starve
   * the pool as features add consumers.
   */
  private session: Promise<pg.Client> | undefined;
  private readonly channels = new Map<string, Set<(payload: string) => void>>();
  private readonly leases = new Set<{ held: boolean }>();
  /** Session queries run one after another: a pg.Client must not be handed overlapping queries. */
  private sessionQueue: Promise<unknown> = Promise.resolve();

  private sessionQuery(sql: string, params?: unknown[]): Promise<pg.QueryResult> {
    const run = this.sessionQueue.then(async () => (await this.sessionClient()).query(sql, params as any[]));
    this.sessionQueue = run.catch(() => undefined);
    return run;
  }

  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
  ) {}

  static async open(url: string, poolSize: number): Promise<PostgresDatabase> {
    // Our statements are short bulk writes and index probes. With JIT on (PostgreSQL's default),
    // a 2,500-row ingest look-up whose cost estimate passed jit_above_cost spent 13 of its 44 ms
    // compiling expressions it ran once. Options given in the URL take precedence over this.
    const pool = new pg.Pool({ connectionString: url, max: poolSize, idleTimeoutMillis: 30_000, options: '-c jit=off' });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    const client = await pool.connect();
    client.release();
    return new PostgresDatabase(pool, url);
  }

  private sessionClient(): Promise<pg.Client> {
    this.session ??= (async () => {
      const client = new pg.Client({ connectionString: this.url });
      const lost = () => {
        if (this.session === current) this.session = undefined;
        for (const lease of this.leases) lease.held = false;
        this.leases.clear();
      };
      client.on('error', lost);
      client.on('end', lost);
      client.on('notification', (message) => {
        for (const handler of this.channels.get(message.channel) ?? []) handler(message.payload ?? '');
      });
      await client.connect();
      for (const channel of this.channels.keys()) await client.query(`LISTEN "${channel}"`);
      return client;
    })();
    const current = this.session;
    current.catch(() => {
      if (this.session === current) this.session = undefined;
    });
    return current;
  }

  async query<R>(sql: string, params?: unknown[], name?: string): Promise<QueryResult<R>> {
    const result = name ? await this.pool.query({ name, text: sql, values: params as any[] }) : await this.pool.query(sql, params as any[]);
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const tx: Queryable = {
        binaryArrays: true,
        async query<R>(sql: string, params?: unknown[], name?: string) {
          const result = name ? await client.query({ name, text: sql, values: params as any[] }) : await client.query(sql, params as any[]);
          return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
        },
      };
      const value = await fn(tx);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    const name = channel.replace(/"/g, '');
    let handlers = this.channels.get(name);
    const first = !handlers;
    if (!handlers) this.channels.set(name, (handlers = new Set()));
    handlers.add(onNotify);
    if (first) await this.sessionQuery(`LISTEN "${name}"`);
    return async () => {
      handlers!.delete(onNotify);
      if (handlers!.size === 0) {
        this.channels.delete(name);
        if (this.session) await this.sessionQuery(`UNLISTEN "${name}"`).catch(() => undefined);
      }
    };
  }

  async tryLease(key: number): Promise<Lease | undefined> {
    const client = await this.sessionClient();
    const { rows } = await this.sessionQuery('SELECT pg_try_advisory_lock($1) AS ok', [key]);
    if (!rows[0].ok) return undefined;
    const state = { held: true };
    this.leases.add(state);
    return {
      isHeld: () => state.held,
      release: async () => {
        if (!state.held) return;
        state.held = false;
        this.leases.delete(state);
        // Unlock on the session that took the lock; after a reconnect there is nothing to unlock.
        if ((await this.session?.catch(() => undefined)) === client) await this.sessionQuery('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.then((client) => client.end()).catch(() => undefined);
    await this.pool.end();
  }
}

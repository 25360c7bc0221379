import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.ts';
import { applyMigrations, type SqlExecutor } from './migrate.ts';

export interface Database {
  prisma: PrismaClient;
  /** Raw SQL access, for migrations and the tests that inspect the schema. */
  sql: SqlExecutor;
  close(): Promise<void>;
}

/** PostgreSQL server (distributed mode): Prisma through the `pg` driver adapter. */
export async function openPostgres(url: string, migrate = true): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // A server restart, failover or pg_terminate_backend kills idle connections; pg reports that
  // as an 'error' event, which would crash the process without a listener. The pool drops the
  // dead client and the next query opens a fresh one, so there is nothing else to do.
  pool.on('error', () => {});
  // Migrations need one session (an advisory lock, transactions): a client of their own, given
  // back afterwards. Everything later goes through the pool, so a query after PostgreSQL
  // restarted or moved gets a fresh connection; a client kept for good would stay dead.
  const client = await pool.connect();
  client.on('error', () => {});
  try {
    if (migrate)
      await applyMigrations({
        exec: (text) => client.query(text),
        query: (text, params) => client.query(text, params) as never,
      });
  } catch (error) {
    client.release();
    await pool.end();
    throw error;
  }
  client.release();
  const sql: SqlExecutor = {
    exec: (text) => pool.query(text),
    query: (text, params) => pool.query(text, params) as never,
  };
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    sql,
    async close() {
      await prisma.$disconnect();
      await pool.end().catch(() => {});
    },
  };
}

/**
 * Embedded PostgreSQL (PGlite, PostgreSQL compiled to Wasm) for the single-node mode: the same
 * schema and migrations, no server to run. `dataDir` undefined keeps the data in memory.
 */
export async function openEmbedded(dataDir?: string): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = dataDir ? new PGlite(dataDir) : new PGlite();
  const sql: SqlExecutor = {
    exec: (text) => db.exec(text),
    query: (text, params) => db.query(text, params) as never,
  };
  await applyMigrations(sql);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
  return {
    prisma,
    sql,
    async close() {
      await prisma.$disconnect();
      await db.close();
    },
  };
}

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { applyMigrations, MIGRATIONS_DIR, MigrationError, type SqlExecutor } from './migrate.ts';

function executor(db: PGlite): SqlExecutor {
  return { exec: (sql) => db.exec(sql), query: (sql, params) => db.query(sql, params) as never };
}

describe('offline migrations', () => {
  it("apply once, record Prisma's bookkeeping row with the file's SHA-256, and are idempotent", async () => {
    const db = new PGlite();
    const sql = executor(db);
    const first = await applyMigrations(sql);
    assert.deepEqual(first, [
      '20261126000000_init',
      '20261202000000_permanent_room_idle',
      '20261203000000_keyed_meeting_names',
    ]);
    assert.deepEqual(await applyMigrations(sql), []);
    const { rows } = await sql.query<{
      migration_name: string;
      checksum: string;
      finished_at: Date;
      applied_steps_count: number;
    }>(
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
    );
    const file = readFileSync(join(MIGRATIONS_DIR, '20261126000000_init', 'migration.sql'));
    assert.equal(rows.length, first.length);
    assert.equal(rows[0]!.checksum, createHash('sha256').update(file).digest('hex'));
    assert.ok(rows[0]!.finished_at);
    assert.equal(rows[0]!.applied_steps_count, 1);
    await db.close();
  });

  it('a migration edited after it was applied is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conclave-migrations-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    const db = new PGlite();
    await applyMigrations(executor(db), dir);
    writeFileSync(join(dir, '20261126000000_init', 'migration.sql'), '-- changed\n');
    await assert.rejects(applyMigrations(executor(db), dir), MigrationError);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a failing migration rolls back and leaves no finished row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conclave-migrations-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    cpSync(join(dir, '20261126000000_init'), join(dir, '20261127000000_broken'), { recursive: true });
    writeFileSync(join(dir, '20261127000000_broken', 'migration.sql'), 'CREATE TABLE oops (;');
    const db = new PGlite();
    await assert.rejects(applyMigrations(executor(db), dir), MigrationError);
    const { rows } = await db.query<{ migration_name: string }>(
      'SELECT migration_name FROM "_prisma_migrations"',
    );
    assert.deepEqual(
      rows.map((r) => r.migration_name),
      ['20261126000000_init'],
    );
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

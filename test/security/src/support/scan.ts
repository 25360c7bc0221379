/**
 * Looks for identifying values (needles) everywhere a Conclave deployment keeps or writes
 * something: every row of every PostgreSQL table, every Redis key of a database index (names and
 * values of every type), files (logs, working and temporary directories) and text such as
 * /metrics output. Values are searched as raw bytes, so UTF-8 text, JSON and binary encodings
 * that carry the value verbatim are all covered.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

export interface Needle {
  /** What the value is, for messages ("display name of guest A"). */
  label: string;
  value: string;
  /** Addresses must not match inside longer numbers (127.0.0.1 in 127.0.0.10). */
  bounded?: boolean;
}

export interface Hit {
  needle: string;
  where: string;
  context: string;
}

export interface ScanStats {
  tables: number;
  rows: number;
  redisKeys: number;
  files: number;
  bytes: number;
  texts: number;
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class Scanner {
  readonly hits: Hit[] = [];
  readonly stats: ScanStats = { tables: 0, rows: 0, redisKeys: 0, files: 0, bytes: 0, texts: 0 };
  /** Remaining lifetime of every Redis key seen, in ms (-1: none). */
  readonly redisTtls = new Map<string, number>();
  readonly #needles: { needle: Needle; pattern: RegExp }[];

  constructor(needles: Needle[]) {
    for (const n of needles) if (n.value.length < 3) throw new Error(`needle ${n.label} is too short`);
    this.#needles = needles.map((needle) => ({
      needle,
      pattern: needle.bounded
        ? new RegExp(`(?<![0-9A-Za-z:.])${escapeRegExp(needle.value)}(?![0-9A-Za-z])`, 'g')
        : new RegExp(escapeRegExp(needle.value), 'g'),
    }));
  }

  /** Searches `data` (decoded byte for byte, so binary values are searched too). */
  scan(where: string, data: Buffer | string): void {
    const text = typeof data === 'string' ? data : data.toString('latin1');
    const utf8 = typeof data === 'string' ? data : data.toString('utf8');
    this.stats.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    for (const { needle, pattern } of this.#needles) {
      for (const haystack of typeof data === 'string' ? [text] : [text, utf8]) {
        pattern.lastIndex = 0;
        const match = pattern.exec(haystack);
        if (match) {
          const from = Math.max(0, match.index - 80);
          this.hits.push({
            needle: `${needle.label} (${needle.value})`,
            where,
            context: haystack.slice(from, match.index + needle.value.length + 80).replace(/\s+/g, ' '),
          });
          break;
        }
      }
    }
  }

  text(where: string, data: string): void {
    this.stats.texts++;
    this.scan(where, data);
  }

  /** Every row of every table outside the system schemas, each cast to text. */
  async postgres(databaseUrl: string): Promise<Record<string, number>> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const counts: Record<string, number> = {};
    try {
      const { rows: tables } = await client.query<{ schema: string; name: string }>(
        `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
          WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'`,
      );
      for (const table of tables) {
        const qualified = `"${table.schema.replaceAll('"', '""')}"."${table.name.replaceAll('"', '""')}"`;
        const { rows } = await client.query<{ row: string }>(`SELECT t::text AS row FROM ${qualified} t`);
        this.stats.tables++;
        this.stats.rows += rows.length;
        counts[`${table.schema}.${table.name}`] = rows.length;
        for (const [i, r] of rows.entries())
          this.scan(`postgres ${table.schema}.${table.name} row ${i}`, r.row);
      }
      // Sequences, views and anything else with a name: their names too.
      const { rows: names } = await client.query<{ name: string }>(
        `SELECT relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`,
      );
      this.scan('postgres relation names', names.map((n) => n.name).join('\n'));
    } finally {
      await client.end();
    }
    return counts;
  }

  /** Every key of the Redis database `redisUrl` selects: its name and its value, whatever the type. */
  async redis(redisUrl: string): Promise<string[]> {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
    const seen: string[] = [];
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scanBuffer(cursor, 'COUNT', 500);
        cursor = next.toString();
        for (const key of keys) {
          const name = key.toString('latin1');
          seen.push(name);
          this.stats.redisKeys++;
          this.scan(`redis key name ${name}`, key);
          this.redisTtls.set(name, await redis.pttl(key));
          const type = await redis.type(key);
          const where = `redis ${type} ${name}`;
          if (type === 'string') {
            const value = await redis.getBuffer(key);
            if (value) this.scan(where, value);
          } else if (type === 'hash') {
            const value = await redis.hgetallBuffer(key);
            for (const [field, v] of Object.entries(value))
              this.scan(where, Buffer.concat([Buffer.from(field), v]));
          } else if (type === 'list') {
            for (const v of await redis.lrangeBuffer(key, 0, -1)) this.scan(where, v);
          } else if (type === 'set') {
            for (const v of await redis.smembersBuffer(key)) this.scan(where, v);
          } else if (type === 'zset') {
            for (const v of await redis.zrangeBuffer(key, '0', '-1', 'WITHSCORES')) this.scan(where, v);
          } else if (type === 'stream') {
            const entries = await redis.xrangeBuffer(key, '-', '+');
            for (const [id, fields] of entries) this.scan(where, Buffer.concat([id, ...fields]));
          } else if (type !== 'none') {
            // Any other type (module types): its serialized form.
            const dumped = await redis.dumpBuffer(key);
            if (dumped) this.scan(where, dumped);
          }
        }
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    return seen;
  }

  /** Every regular file under `dir`, recursively. */
  async files(dir: string): Promise<string[]> {
    const found: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const entry of await readdir(d, { withFileTypes: true })) {
        const path = join(d, entry.name);
        this.scan(`file name ${path}`, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile() || (await stat(path)).isFile()) {
          found.push(path);
          this.stats.files++;
          this.scan(`file ${path}`, await readFile(path));
        }
      }
    };
    await walk(dir);
    return found;
  }
}

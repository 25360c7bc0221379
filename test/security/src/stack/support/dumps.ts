/**
 * Reading a deployment's databases into a Scanner, whatever runs them (compose containers,
 * Kubernetes pods): a `pg_dump` of the application database, and every Redis key with its
 * type, remaining lifetime and values, dumped by one Lua script run through redis-cli.
 */
import type { Scanner } from '../../support/scan.ts';

/** All keys (SCAN), each with its type, remaining lifetime and every value, as one JSON text. */
export const REDIS_DUMP_SCRIPT = `
local out = {}
local cursor = '0'
repeat
  local page = redis.call('SCAN', cursor, 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    local kind = redis.call('TYPE', key)['ok']
    local values = {}
    if kind == 'string' then values = { redis.call('GET', key) }
    elseif kind == 'hash' then values = redis.call('HGETALL', key)
    elseif kind == 'list' then values = redis.call('LRANGE', key, 0, -1)
    elseif kind == 'set' then values = redis.call('SMEMBERS', key)
    elseif kind == 'zset' then values = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    elseif kind == 'stream' then
      for _, entry in ipairs(redis.call('XRANGE', key, '-', '+')) do
        table.insert(values, entry[1])
        for _, v in ipairs(entry[2]) do table.insert(values, v) end
      end
    elseif kind ~= 'none' then values = { redis.call('DUMP', key) }
    end
    table.insert(out, { key, kind, redis.call('PTTL', key), values })
  end
until cursor == '0'
return cjson.encode(out)
`;

/**
 * The shell command (for `sh -c`, with the script as $1) that runs REDIS_DUMP_SCRIPT in a Redis
 * container whose password is in $REDIS_PASSWORD, as the bundled Redis of the compose stack and
 * of the chart both have it.
 */
export const REDIS_DUMP_COMMAND = [
  'sh',
  '-c',
  'REDISCLI_AUTH="$REDIS_PASSWORD" exec redis-cli --raw EVAL "$1" 0',
  'sh',
  REDIS_DUMP_SCRIPT,
];

export interface RedisKey {
  name: string;
  type: string;
  ttlMs: number;
}

/** Scans the output of REDIS_DUMP_SCRIPT: every key name and every value; the keys it held. */
export function scanRedisDump(raw: Buffer, scanner: Scanner): RedisKey[] {
  // cjson leaves bytes above 0x7f as they are: latin1 keeps them byte for byte.
  const text = raw.toString('latin1').trim();
  if (!text.startsWith('[') && !text.startsWith('{'))
    throw new Error(`redis-cli answered: ${text.slice(0, 300)}`);
  // An empty Lua table encodes as {}.
  const decoded = JSON.parse(text) as [string, string, number, string[] | object][] | object;
  const keys = Array.isArray(decoded) ? decoded : [];
  const found: RedisKey[] = [];
  for (const [name, type, ttlMs, values] of keys) {
    found.push({ name, type, ttlMs });
    scanner.scan(`redis key name ${name}`, Buffer.from(name, 'latin1'));
    for (const value of Array.isArray(values) ? values : [])
      scanner.scan(`redis ${type} ${name}`, Buffer.from(String(value), 'latin1'));
  }
  return found;
}

/** Scans a `pg_dump` (schema and COPY blocks) as 'postgres dump'; its tables and rows counted. */
export function scanPgDump(dump: Buffer, scanner: Scanner): { tables: number; rows: number; text: string } {
  scanner.scan('postgres dump', dump);
  const text = dump.toString('utf8');
  let tables = 0;
  let rows = 0;
  let inCopy = false;
  for (const line of text.split('\n')) {
    if (/^COPY .* FROM stdin;$/.test(line)) {
      inCopy = true;
      tables++;
    } else if (line === '\\.') inCopy = false;
    else if (inCopy) rows++;
  }
  return { tables, rows, text };
}

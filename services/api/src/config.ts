import { ConfigError, loadConfig } from '@conclave/runtime';
import { type Static, Type } from 'typebox';

/** Environment variables the API reads. Names are the variables; see docs/configuration.md. */
export const ApiConfigSchema = Type.Object({
  CONCLAVE_MODE: Type.Union([Type.Literal('embedded'), Type.Literal('distributed')], { default: 'embedded' }),
  API_HOST: Type.String({ default: '127.0.0.1' }),
  API_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  /** PostgreSQL URL; required in distributed mode. */
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  /** Redis URL; required in distributed mode. */
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  /** Embedded mode: where PGlite keeps its data; in memory when unset. */
  CONCLAVE_DATA_DIR: Type.Optional(Type.String()),
  /** Ed25519 private key (PKCS#8 PEM) that signs join tokens; required in distributed mode. */
  CONCLAVE_JOIN_TOKEN_PRIVATE_KEY: Type.Optional(Type.String({ pattern: 'BEGIN PRIVATE KEY' })),
  /** Previous public keys (SPKI PEM, concatenated) still published while tokens they signed may live. */
  CONCLAVE_JOIN_TOKEN_PREVIOUS_PUBLIC_KEYS: Type.Optional(Type.String()),
  /** 32 bytes, base64: subkeys of it seal SRP state and name rate-limit buckets; shared by all API instances. */
  CONCLAVE_STATE_KEY: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' })),
  /** Who may create meetings: anyone (`open`) or holders of an operator-issued key (`key`). */
  CONCLAVE_CREATION: Type.Union([Type.Literal('open'), Type.Literal('key')], { default: 'open' }),
  /**
   * How a room's SFU is chosen: `static` hands out CONCLAVE_SFU_URL; `registry` (distributed
   * mode) places each new room on the least-loaded live node announced in Redis.
   */
  CONCLAVE_SFU_SELECTION: Type.Union([Type.Literal('static'), Type.Literal('registry')], {
    default: 'static',
  }),
  /** Public WebSocket URL of the SFU handed to clients when no node registry is used. */
  CONCLAVE_SFU_URL: Type.String({ default: 'ws://127.0.0.1:8443/v1/sfu' }),
  /** Public WebSocket URL of the MLS delivery service. */
  CONCLAVE_DS_URL: Type.String({ default: 'ws://127.0.0.1:8090/v1/ds' }),
  /**
   * Failed password proofs (join or knock) allowed per meeting per source (IPv4 address or IPv6
   * /64) per minute; further attempts from that source get 429 until the minute is over.
   */
  CONCLAVE_FAILED_JOINS_PER_SOURCE: Type.Integer({ minimum: 1, default: 10 }),
  /** Requests allowed per source (IPv4 address or IPv6 /64) per minute (kept only as a keyed hash). */
  CONCLAVE_RATE_PER_SOURCE: Type.Integer({ minimum: 1, default: 120 }),
  /**
   * Take the client address from X-Forwarded-For: `false`, `true` (any peer), or a
   * comma-separated list of proxy addresses/CIDRs (only those peers are believed).
   */
  CONCLAVE_TRUST_PROXY: Type.String({ default: 'false', pattern: '^(true|false|[0-9a-fA-F:./, ]+)$' }),
  /**
   * Seconds a client has to send a whole request, headers and body (bodies are at most 16 KB);
   * a slower one gets 408 and is disconnected, so slow senders cannot hold connections open.
   * Long polls are not affected: the limit is on receiving the request, not on answering it.
   */
  CONCLAVE_REQUEST_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 300, default: 10 }),
  /** Apply database migrations at start; turn off where the runtime user has no DDL rights. */
  CONCLAVE_MIGRATE_ON_START: Type.Boolean({ default: true }),
  /** coturn `static-auth-secret`: when set with CONCLAVE_TURN_URLS, joins get short-lived TURN credentials. */
  CONCLAVE_TURN_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  /** Comma-separated TURN URLs, e.g. `turns:turn.example.org:443?transport=tcp`. */
  CONCLAVE_TURN_URLS: Type.Optional(Type.String({ pattern: '^(turns?:[^,\\s]+)(,turns?:[^,\\s]+)*$' })),
  /** Lifetime of TURN credentials handed out with a join, in seconds. */
  CONCLAVE_TURN_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 86400, default: 600 }),
  /** Lifetime of a one-off meeting without an explicit expiry, in hours. */
  CONCLAVE_DEFAULT_MEETING_HOURS: Type.Integer({ minimum: 1, maximum: 8760, default: 24 }),
  /**
   * Days a permanent room may go without anyone joining before it is deleted like an expired
   * meeting; 0 keeps permanent rooms forever. Only a date per room is kept for it, never a time.
   */
  CONCLAVE_PERMANENT_ROOM_IDLE_DAYS: Type.Integer({ minimum: 0, maximum: 3650, default: 90 }),
  /** Permanent rooms the server holds at most; creating another is refused (503); 0: no limit. */
  CONCLAVE_MAX_PERMANENT_ROOMS: Type.Integer({ minimum: 0, default: 100000 }),
  /**
   * How often clients rotate the meeting's keys with a self-update commit while membership is
   * stable, in seconds (each member waits a random 1–1.5 × this after every epoch change);
   * 0 turns scheduled rotation off. Told to clients in the join answer.
   */
  CONCLAVE_KEY_ROTATION_SECONDS: Type.Integer({ minimum: 0, maximum: 86400, default: 600 }),
  /**
   * Seconds after a call ends at which its end is announced on the bus once more, for an SFU or
   * delivery service whose Redis connection was down the first time (Redis pub/sub does not
   * replay); 0 announces only once.
   */
  CONCLAVE_END_REPEAT_SECONDS: Type.Integer({ minimum: 0, maximum: 3600, default: 15 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
});
export type ApiConfig = Static<typeof ApiConfigSchema>;

/** Shortest scheduled key rotation interval accepted (0 turns rotation off). */
export const MIN_KEY_ROTATION_SECONDS = 10;

export function loadApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  const problems: string[] = [];
  if ((env.CONCLAVE_MODE ?? 'embedded') === 'distributed') {
    for (const name of [
      'DATABASE_URL',
      'REDIS_URL',
      'CONCLAVE_JOIN_TOKEN_PRIVATE_KEY',
      'CONCLAVE_STATE_KEY',
    ]) {
      if (!env[name] && !env[`${name}_FILE`]) problems.push(`${name}: required in distributed mode`);
    }
  }
  if (
    Boolean(env.CONCLAVE_TURN_SECRET || env.CONCLAVE_TURN_SECRET_FILE) !== Boolean(env.CONCLAVE_TURN_URLS)
  ) {
    problems.push('CONCLAVE_TURN_SECRET and CONCLAVE_TURN_URLS: set both or neither');
  }
  if (env.CONCLAVE_JOIN_RATE_PER_MEETING !== undefined) {
    // A per-meeting limit let anyone who knew a meeting ID lock everyone out; say so rather than ignore it.
    problems.push(
      'CONCLAVE_JOIN_RATE_PER_MEETING: removed; failed proofs are limited per source with CONCLAVE_FAILED_JOINS_PER_SOURCE',
    );
  }
  const rotation = Number(env.CONCLAVE_KEY_ROTATION_SECONDS);
  if (rotation > 0 && rotation < MIN_KEY_ROTATION_SECONDS) {
    problems.push(`CONCLAVE_KEY_ROTATION_SECONDS: must be 0 (off) or at least ${MIN_KEY_ROTATION_SECONDS}`);
  }
  try {
    const config = loadConfig(ApiConfigSchema, env);
    if (problems.length) throw new ConfigError(problems);
    return config;
  } catch (error) {
    if (error instanceof ConfigError && !problems.every((p) => error.problems.includes(p))) {
      throw new ConfigError([...error.problems, ...problems]);
    }
    throw error;
  }
}

/** Fastify's trustProxy from CONCLAVE_TRUST_PROXY. */
export function trustProxySetting(value: string): boolean | string[] {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

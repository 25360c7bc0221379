import { ConfigError, loadConfig } from '@conclave/runtime';
import { type Static, Type } from 'typebox';

/** Environment variables of the DS; see docs/mls-ds.md. */
export const DsConfigSchema = Type.Object({
  DS_HOST: Type.String({ default: '0.0.0.0' }),
  DS_PORT: Type.Integer({ default: 4100, minimum: 0, maximum: 65535 }),
  /** Ed25519 public key(s) of the API, PEM; several keys (concatenated) allow rotation. */
  JOIN_TOKEN_PUBLIC_KEYS: Type.String({ minLength: 1 }),
  /** Redis for the distributed mode; without it the DS keeps state in process (embedded mode). */
  REDIS_URL: Type.Optional(Type.String()),
  DS_MAX_MESSAGE_BYTES: Type.Integer({ default: 1024 * 1024, minimum: 4096 }),
  DS_MAX_PENDING_KEY_PACKAGES: Type.Integer({ default: 256, minimum: 1 }),
  DS_MAX_GROUP_MEMBERS: Type.Integer({ default: 1000, minimum: 2 }),
  DS_MAX_COMMIT_BATCH: Type.Integer({ default: 100, minimum: 1 }),
  DS_RATE_MESSAGES_PER_SECOND: Type.Number({ default: 50, minimum: 1 }),
  DS_RATE_MESSAGE_BURST: Type.Integer({ default: 200, minimum: 1 }),
  DS_RATE_BYTES_PER_SECOND: Type.Integer({ default: 4 * 1024 * 1024, minimum: 1024 }),
  DS_SLOW_CONSUMER_BYTES: Type.Integer({ default: 8 * 1024 * 1024, minimum: 1024 }),
  DS_AUTH_TIMEOUT_MS: Type.Integer({ default: 5000, minimum: 100 }),
  /** At least MIN_GRACE_HEARTBEATS × DS_MAINTAIN_INTERVAL_MS (see there). */
  DS_RESUME_GRACE_MS: Type.Integer({ default: 15_000, minimum: 100 }),
  DS_COMMIT_DEADLINE_MS: Type.Integer({ default: 5000, minimum: 100 }),
  DS_REPLAY_EVENTS: Type.Integer({ default: 512, minimum: 16 }),
  DS_STATE_TTL_SECONDS: Type.Integer({ default: 600, minimum: 10 }),
  DS_MAINTAIN_INTERVAL_MS: Type.Integer({ default: 1000, minimum: 20 }),
  DS_PING_INTERVAL_MS: Type.Integer({ default: 10_000, minimum: 100 }),
  LOG_LEVEL: Type.String({ default: 'info' }),
});
export type DsConfig = Static<typeof DsConfigSchema>;

/**
 * Heartbeat intervals DS_RESUME_GRACE_MS must span. A connected member's session is kept alive
 * only by its room's heartbeat (GroupRoom#maintain, every DS_MAINTAIN_INTERVAL_MS, sets its
 * `seen`), while any change to the group (another instance's heartbeat, a join, a leave, the
 * purge job) expires every session not seen within the grace (`settle`), and the member, still
 * connected, is closed 4404 session_expired once two heartbeats in a row no longer find it.
 * With a grace of one interval, any late heartbeat can expire live members; with two, the next
 * heartbeat may be up to an interval late but none may be lost; with three, one can be lost
 * (its store call failed) and the next still be up to an interval late.
 */
export const MIN_GRACE_HEARTBEATS = 3;

/**
 * Refuses settings the schema cannot judge alone, with a ConfigError worded like loadConfig's.
 * The loaders apply it, and startDs to whatever it is given.
 */
export function checkDsSettings<T extends DsSettings>(config: T): T {
  const grace = config.DS_RESUME_GRACE_MS;
  const interval = config.DS_MAINTAIN_INTERVAL_MS;
  const least = MIN_GRACE_HEARTBEATS * interval;
  if (grace < least) {
    throw new ConfigError([
      `DS_RESUME_GRACE_MS: must be at least ${MIN_GRACE_HEARTBEATS} × DS_MAINTAIN_INTERVAL_MS, ` +
        `${least} with DS_MAINTAIN_INTERVAL_MS=${interval}; got ${grace}, which lets a connected ` +
        "member's session expire between heartbeats",
    ]);
  }
  return config;
}

export function loadDsConfig(env: Record<string, string | undefined> = process.env): DsConfig {
  return checkDsSettings(loadConfig(DsConfigSchema, env));
}

/**
 * The same variables without the join token keys, for a host that hands the DS its verifier
 * (the embedded stack, which owns the key pair) instead of PEM text.
 */
export const DsSettingsSchema = Type.Omit(DsConfigSchema, ['JOIN_TOKEN_PUBLIC_KEYS']);
export type DsSettings = Static<typeof DsSettingsSchema>;

export function loadDsSettings(env: Record<string, string | undefined> = process.env): DsSettings {
  return checkDsSettings(loadConfig(DsSettingsSchema, env));
}

/** What the DS starts from: its settings, with keys unless a verifier is given. */
export type DsStartConfig = DsSettings & { JOIN_TOKEN_PUBLIC_KEYS?: string };

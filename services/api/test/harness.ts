import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger, type BusEvent } from '@conclave/runtime';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createVerifierAndSalt, SRPClientSession, SRPParameters, SRPRoutines } from 'tssrp6a';
import { type ApiApp, buildApi } from '../src/app.ts';
import { type ApiConfig, loadApiConfig } from '../src/config.ts';
import { MeetingNames } from '../src/meetings/meeting-names.ts';
import { deriveStateKeys } from '../src/state-keys.ts';
import { type ApiDeps, createDeps } from '../src/wiring.ts';

/** Every API test runs against both store sets: embedded (PGlite, in-process) and PostgreSQL + Redis. */
export const MODES = ['embedded', 'distributed'] as const;
export type Mode = (typeof MODES)[number];

/** Log lines of every API built by this process, for the privacy assertions. */
export const capturedLogLines: string[] = [];

export interface TestApi {
  api: ApiApp;
  deps: ApiDeps;
  config: ApiConfig;
  busEvents: BusEvent[];
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

const TEST_STATE_KEY = Buffer.alloc(32, 7).toString('base64');

export async function startApi(mode: Mode, env: Record<string, string> = {}): Promise<TestApi> {
  const base: Record<string, string> = {
    CONCLAVE_MODE: mode,
    CONCLAVE_STATE_KEY: TEST_STATE_KEY,
    LOG_LEVEL: 'debug',
    // Test processes share 127.0.0.1 and, in distributed mode, one Redis; the rate-limit test sets its own.
    CONCLAVE_RATE_PER_SOURCE: '100000',
  };
  if (mode === 'distributed') {
    const { DATABASE_URL, REDIS_URL } = process.env;
    if (!DATABASE_URL || !REDIS_URL) {
      throw new Error(
        'DATABASE_URL and REDIS_URL must be set: run `make test` (it starts PostgreSQL and Redis)',
      );
    }
    const { generateKeyPairSync } = await import('node:crypto');
    Object.assign(base, {
      DATABASE_URL,
      REDIS_URL,
      CONCLAVE_JOIN_TOKEN_PRIVATE_KEY: generateKeyPairSync('ed25519')
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
    });
  }
  const config = loadApiConfig({ ...base, ...env });
  const destination = new Writable({
    write(chunk, _encoding, done) {
      capturedLogLines.push(...chunk.toString().trim().split('\n'));
      done();
    },
  });
  const log = createLogger({ service: 'api', level: 'debug', destination });
  const deps = await createDeps(config, log);
  const busEvents: BusEvent[] = [];
  deps.bus.subscribe((event) => busEvents.push(event));
  const api = await buildApi(config, deps, log);
  return {
    api,
    deps,
    config,
    busEvents,
    request: (options) =>
      api.app.inject({
        ...options,
        headers: { 'user-agent': 'ProbeAgent/9.9 (privacy-canary)', ...(options.headers ?? {}) },
      }),
    close: () => api.shutdown(),
  };
}

/** The name a meeting's row is stored under (the database never holds the meeting ID itself). */
export function storedKey(t: TestApi, meetingId: string): string {
  return new MeetingNames(deriveStateKeys(t.deps.stateKey).naming).storageName(meetingId);
}

export interface OwnStores {
  /** DATABASE_URL and REDIS_URL for startApi; empty in embedded mode, whose stores are private anyway. */
  env: Record<string, string>;
  release(): Promise<void>;
}

const REDIS_CLAIM_KEY = 'conclave-api-test:claim';

/**
 * A PostgreSQL database and an empty Redis database index of their own, for distributed-mode
 * tests that look at every row (counts, start-up passes over all rooms) while other test files
 * run at the same time. Its own Redis index also keeps its job worker off other files' jobs.
 */
export async function ownStores(mode: Mode): Promise<OwnStores> {
  if (mode === 'embedded') return { env: {}, release: async () => {} };
  const { DATABASE_URL: base, REDIS_URL: redisBase } = process.env;
  if (!base || !redisBase) {
    throw new Error(
      'DATABASE_URL and REDIS_URL must be set: run `make test` (it starts PostgreSQL and Redis)',
    );
  }
  const name = `conclave_test_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const claim = randomBytes(8).toString('hex');
  let db = 0;
  for (const index of Array.from({ length: 15 }, (_, i) => i + 1)) {
    const redis = new Redis(redisBase, { db: index, lazyConnect: true });
    try {
      await redis.connect();
      if (
        (await redis.dbsize()) === 0 &&
        (await redis.set(REDIS_CLAIM_KEY, claim, 'EX', 900, 'NX')) === 'OK'
      ) {
        db = index;
        break;
      }
    } finally {
      redis.disconnect();
    }
  }
  if (db === 0) {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    throw new Error('no empty Redis database index (1–15) to run in');
  }
  const databaseUrl = new URL(base);
  databaseUrl.pathname = `/${name}`;
  const redisUrl = new URL(redisBase);
  redisUrl.pathname = `/${db}`;
  return {
    env: { DATABASE_URL: databaseUrl.toString(), REDIS_URL: redisUrl.toString() },
    async release() {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      const redis = new Redis(redisBase, { db });
      try {
        if ((await redis.get(REDIS_CLAIM_KEY)) === claim) await redis.flushdb();
      } finally {
        redis.disconnect();
      }
    },
  };
}

export const srpRoutines = new SRPRoutines(new SRPParameters());

export function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url');
}

export interface CreatedMeeting {
  meetingId: string;
  hostSecret: string;
  password: string;
}

/** Creates a meeting and registers its verifier, as the host's browser does. */
export async function createMeeting(
  t: TestApi,
  body: Record<string, unknown> = {},
  headers = {},
): Promise<CreatedMeeting> {
  const hostSecret = randomSecret();
  const created = await t.request({
    method: 'POST',
    url: '/v1/meetings',
    payload: { hostSecret, ...body },
    headers,
  });
  if (created.statusCode !== 201) throw new Error(`create failed: ${created.statusCode} ${created.body}`);
  const { meetingId } = created.json();
  const password = randomSecret();
  const { s, v } = await createVerifierAndSalt(srpRoutines, meetingId, password);
  const registered = await t.request({
    method: 'PUT',
    url: `/v1/meetings/${meetingId}/verifier`,
    headers: { ...headers, authorization: `Bearer ${hostSecret}` },
    payload: { salt: s.toString(16), verifier: v.toString(16) },
  });
  if (registered.statusCode !== 204)
    throw new Error(`verifier failed: ${registered.statusCode} ${registered.body}`);
  return { meetingId, hostSecret, password };
}

/** Runs the SRP join as the browser does; returns the verify response and the client's M2 check. */
export async function join(
  t: TestApi,
  meetingId: string,
  password: string,
  extra: Record<string, unknown> = {},
  initBody?: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  const init = await t.request({
    method: 'POST',
    url: `/v1/meetings/${meetingId}/join/init`,
    headers,
    ...(initBody ? { payload: initBody } : {}),
  });
  if (init.statusCode !== 200) return { init, verify: undefined, clientAcceptedServer: false };
  const { salt, B, state } = init.json();
  const step1 = await new SRPClientSession(srpRoutines).step1(meetingId, password);
  const step2 = await step1.step2(BigInt(`0x${salt}`), BigInt(`0x${B}`));
  const verify = await t.request({
    method: 'POST',
    url: `/v1/meetings/${meetingId}/join/verify`,
    headers,
    payload: { state, A: step2.A.toString(16), M1: step2.M1.toString(16), ...extra },
  });
  let clientAcceptedServer = false;
  if (verify.statusCode === 200) {
    await step2.step3(BigInt(`0x${verify.json().M2}`));
    clientAcceptedServer = true;
  }
  return { init, verify, clientAcceptedServer, state, step2 };
}

/** Rate limits count in one-minute windows: start a burst well inside one, so it cannot straddle two. */
export async function awayFromWindowEdge(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 50_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 50));
}

/** Locks (or unlocks) a meeting as its host. */
export async function lock(t: TestApi, m: CreatedMeeting, locked = true): Promise<void> {
  const res = await t.request({
    method: 'PUT',
    url: `/v1/meetings/${m.meetingId}/lock`,
    headers: { authorization: `Bearer ${m.hostSecret}` },
    payload: { locked },
  });
  if (res.statusCode !== 200) throw new Error(`lock failed: ${res.statusCode} ${res.body}`);
}

import { availableParallelism } from 'node:os';
import { acceptRenamedEnv, createLogger, loadConfig, parseJoinTokenPublicKeys } from '@conclave/runtime';
import { type Static, Type } from 'typebox';

/** Former names of the SFU's variables, still read for one release (docs/configuration.md#naming). */
export const SFU_RENAMED_ENV = {
  SFU_JOIN_TOKEN_PUBLIC_KEYS: 'JOIN_TOKEN_PUBLIC_KEYS',
  SFU_REDIS_URL: 'REDIS_URL',
  SFU_LOG_LEVEL: 'LOG_LEVEL',
};

/** Environment variables the SFU reads (names are the variable names). */
export const SfuEnv = Type.Object({
  SFU_HOST: Type.String({ default: '0.0.0.0', description: 'HTTP/WebSocket listen address' }),
  SFU_PORT: Type.Integer({ default: 4443, minimum: 0, maximum: 65535 }),
  SFU_PUBLIC_URL: Type.String({
    default: 'ws://127.0.0.1:4443/v1/sfu',
    description: 'WebSocket URL clients use for this node; published in the node registry',
  }),
  SFU_ACCEPTED_URLS: Type.Optional(
    Type.String({
      description:
        'Comma-separated further URLs this node answers to: join tokens whose sfu claim names one of them are accepted too',
    }),
  ),
  SFU_NODE_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  SFU_WORKERS: Type.Integer({ default: 0, minimum: 0, maximum: 256, description: '0 = one per core' }),
  SFU_RTC_LISTEN_IP: Type.String({ default: '0.0.0.0', description: 'IP the media ports bind to' }),
  SFU_RTC_ANNOUNCED_IP: Type.Optional(
    Type.String({ description: 'Public IP put in ICE candidates (when behind NAT or bound to 0.0.0.0)' }),
  ),
  SFU_RTC_PORT_BASE: Type.Integer({
    default: 40000,
    minimum: 1,
    maximum: 65000,
    description: 'Worker i listens on UDP and TCP port BASE + i',
  }),
  SFU_RTC_MIN_PORT: Type.Integer({ default: 41000, minimum: 1, maximum: 65535 }),
  SFU_RTC_MAX_PORT: Type.Integer({ default: 41999, minimum: 1, maximum: 65535 }),
  SFU_ROUTER_MAX_PEERS: Type.Integer({
    default: 40,
    minimum: 1,
    description: 'Peers per router before a room spreads to another worker',
  }),
  SFU_ROOM_MAX_PEERS: Type.Integer({ default: 500, minimum: 1 }),
  SFU_AUDIBLE_SPEAKERS: Type.Integer({
    default: 5,
    minimum: 1,
    maximum: 64,
    description: 'Microphones a room forwards at once when it has more: the most recently loud',
  }),
  SFU_MAX_MESSAGE_BYTES: Type.Integer({ default: 32768, minimum: 1024, maximum: 1048576 }),
  SFU_HELLO_TIMEOUT_MS: Type.Integer({ default: 10000, minimum: 100 }),
  SFU_DRAIN_TIMEOUT_MS: Type.Integer({ default: 3600000, minimum: 0 }),
  SFU_INITIAL_OUTGOING_BITRATE: Type.Integer({ default: 1500000, minimum: 100000 }),
  JOIN_TOKEN_PUBLIC_KEYS: Type.String({
    minLength: 1,
    description: 'PEM Ed25519 public key(s) of the API, concatenated; or a path to a file holding them',
  }),
  REDIS_URL: Type.Optional(
    Type.String({ description: 'Distributed mode: Redis for the bus and node registry' }),
  ),
  LOG_LEVEL: Type.String({ default: 'info' }),
  MEDIASOUP_WORKER_BIN: Type.Optional(Type.String({ description: 'Path of the mediasoup-worker binary' })),
});
export type SfuEnv = Static<typeof SfuEnv>;

/** The same variables without the join token keys, for a host that passes them typed (the embedded stack). */
const SfuSettingsEnv = Type.Omit(SfuEnv, ['JOIN_TOKEN_PUBLIC_KEYS']);

/** JOIN_TOKEN_PUBLIC_KEYS holds the PEM text itself or the path of a file holding it. */
function publicKeysFrom(value: string, readFile: (path: string) => string): string[] {
  return parseJoinTokenPublicKeys(value.includes('-----BEGIN') ? value : readFile(value));
}

/** Resolved configuration of one SFU node. */
export interface SfuConfig {
  host: string;
  port: number;
  publicUrl: string;
  /**
   * Further URLs of this node. A join token is accepted only when its `sfu` claim is
   * `publicUrl` (with the bound port when that URL says port 0) or one of these.
   */
  acceptedUrls?: string[];
  nodeId: string;
  workers: number;
  rtc: {
    listenIp: string;
    announcedIp?: string;
    portBase: number;
    minPort: number;
    maxPort: number;
    initialOutgoingBitrate: number;
  };
  routerMaxPeers: number;
  roomMaxPeers: number;
  audibleSpeakers: number;
  maxMessageBytes: number;
  helloTimeoutMs: number;
  drainTimeoutMs: number;
  joinTokenPublicKeys: string[];
  logLevel: string;
  workerBin?: string;
  /** Distributed mode: Redis for the event bus and the node registry. */
  redisUrl?: string;
}

export function configFromEnv(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
  given: { joinTokenPublicKeys?: string[] } = {},
): SfuConfig {
  const renamed = acceptRenamedEnv(env, SFU_RENAMED_ENV, createLogger({ service: 'sfu' }));
  // Without typed keys the full set is checked first, so every problem is reported at once.
  const joinTokenPublicKeys =
    given.joinTokenPublicKeys ?? publicKeysFrom(loadConfig(SfuEnv, renamed).JOIN_TOKEN_PUBLIC_KEYS, readFile);
  const e = loadConfig(SfuSettingsEnv, renamed);
  return {
    host: e.SFU_HOST,
    port: e.SFU_PORT,
    publicUrl: e.SFU_PUBLIC_URL,
    acceptedUrls: (e.SFU_ACCEPTED_URLS ?? '')
      .split(',')
      .map((url) => url.trim())
      .filter((url) => url !== ''),
    nodeId: e.SFU_NODE_ID ?? `sfu-${crypto.randomUUID()}`,
    workers: e.SFU_WORKERS || availableParallelism(),
    rtc: {
      listenIp: e.SFU_RTC_LISTEN_IP,
      announcedIp: e.SFU_RTC_ANNOUNCED_IP,
      portBase: e.SFU_RTC_PORT_BASE,
      minPort: e.SFU_RTC_MIN_PORT,
      maxPort: e.SFU_RTC_MAX_PORT,
      initialOutgoingBitrate: e.SFU_INITIAL_OUTGOING_BITRATE,
    },
    routerMaxPeers: e.SFU_ROUTER_MAX_PEERS,
    roomMaxPeers: e.SFU_ROOM_MAX_PEERS,
    audibleSpeakers: e.SFU_AUDIBLE_SPEAKERS,
    maxMessageBytes: e.SFU_MAX_MESSAGE_BYTES,
    helloTimeoutMs: e.SFU_HELLO_TIMEOUT_MS,
    drainTimeoutMs: e.SFU_DRAIN_TIMEOUT_MS,
    joinTokenPublicKeys,
    logLevel: e.LOG_LEVEL,
    workerBin: e.MEDIASOUP_WORKER_BIN,
    redisUrl: e.REDIS_URL,
  };
}

/** A URL in a comparable form (scheme and host lower-cased, default port and trailing "/" dropped). */
export function normalizeNodeUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  parsed.hash = '';
  parsed.pathname = parsed.pathname.replace(/\/+$/, '');
  return parsed.href.replace(/\/+$/, '');
}

/** `publicUrl` with the port actually bound when it names port 0 (tests, `SFU_PORT=0`). */
export function boundPublicUrl(publicUrl: string, port: number): string {
  let parsed: URL;
  try {
    parsed = new URL(publicUrl);
  } catch {
    return publicUrl;
  }
  if (parsed.port !== '0') return publicUrl;
  parsed.port = String(port);
  return parsed.href;
}

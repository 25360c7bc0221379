/**
 * Long file: starting, fronting and auditing the three processes share their working directories.
 * Conclave in distributed mode for end-to-end audits: the API, the MLS delivery service and the
 * SFU each run as their own OS process from their production entry points (`src/main.ts`), each
 * in its own working directory with its own TMPDIR and its stdout + stderr captured to a file,
 * on a fresh PostgreSQL database and a Redis database index of their own. In front of them an
 * edge in this process plays Caddy's part (deploy/caddy/conclave.caddy): it serves the built web
 * client for `/` and `/m/<id>` and passes `/v1/*` (HTTP and WebSocket) to the services with
 * `X-Forwarded-For` set to the browser's address, and logs nothing.
 *
 * Needs DATABASE_URL and REDIS_URL (scripts/test-infra.sh) and MEDIASOUP_WORKER_BIN.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** Where the services listen (HTTP, WebSocket and media): a loopback address no browser uses. */
export const SERVICE_HOST = '127.0.0.2';

export interface ServiceProcess {
  name: 'api' | 'mls-ds' | 'sfu';
  dir: string;
  logFile: string;
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
}

export interface DistributedStack {
  /** Every service's working directory lives under here (and nothing else). */
  workRoot: string;
  databaseUrl: string;
  redisUrl: string;
  redisDb: number;
  /** The API's CONCLAVE_STATE_KEY, from which it derives the names meetings are stored under. */
  stateKey: Buffer;
  services: ServiceProcess[];
  /** The edge's plain HTTP port; it listens on every local address (IPv4 and IPv6). */
  edgePort: number;
  /** The edge's HTTPS port (a self-signed certificate for localhost and `tlsAddresses`). */
  edgeTlsPort: number;
  /**
   * The page's origin for a host literal: plain HTTP for loopback (127.0.0.1, [::1], localhost),
   * which the client accepts for development, HTTPS for anything else (a LAN address).
   */
  origin(host: string): string;
  metrics(): Promise<Record<string, string>>;
  /** Stops the services (SIGINT: the SFU closes at once), keeping their directories and logs. */
  stopServices(): Promise<void>;
  /** Stops the services (SIGINT: the SFU closes at once), the edge, and removes what it created. */
  close(): Promise<void>;
}

export async function freeTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function portFreeForRtc(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

async function freeRtcPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 43000 + Math.floor(Math.random() * 6000);
    if (await portFreeForRtc(port)) return port;
  }
  throw new Error('no free media port');
}

async function waitReady(url: string, child: ServiceProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  for (;;) {
    if (exited) {
      const log = await readFile(child.logFile, 'utf8').catch(() => '');
      throw new Error(`${child.name} exited during start-up:\n${log.slice(-3000)}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {}
    if (Date.now() > deadline) {
      const log = await readFile(child.logFile, 'utf8').catch(() => '');
      throw new Error(`${child.name} not ready at ${url} within ${timeoutMs} ms:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Picks an empty Redis database index and claims it for this run. */
async function claimRedisDb(baseUrl: string, claim: string): Promise<number> {
  const indices = Array.from({ length: 15 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
  for (const db of indices) {
    const redis = new Redis(baseUrl, { db, maxRetriesPerRequest: 2, lazyConnect: true });
    try {
      await redis.connect();
      if ((await redis.dbsize()) !== 0) continue;
      if ((await redis.set('conclave-audit:claim', claim, 'EX', 900, 'NX')) === 'OK') return db;
    } finally {
      redis.disconnect();
    }
  }
  throw new Error('no empty Redis database index (1–15) to run in');
}

export function withRedisDb(url: string, db: number): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export interface StackOptions {
  /** The built web client (index.html, assets/). */
  webRoot: string;
  /** Extra arguments for the SFU's node process (before its entry point), e.g. `--import`. */
  sfuNodeArgs?: string[];
  sfuEnv?: Record<string, string>;
  logLevel?: string;
  /** Addresses the HTTPS edge's certificate names besides localhost. */
  tlsAddresses?: string[];
}

export async function startDistributedStack(options: StackOptions): Promise<DistributedStack> {
  const baseDatabaseUrl = process.env.DATABASE_URL;
  const baseRedisUrl = process.env.REDIS_URL;
  const workerBin = process.env.MEDIASOUP_WORKER_BIN;
  assert.ok(
    baseDatabaseUrl && baseRedisUrl,
    'DATABASE_URL and REDIS_URL must be set: source "$(scripts/test-infra.sh start)" first',
  );
  assert.ok(
    workerBin && existsSync(workerBin),
    'MEDIASOUP_WORKER_BIN must point at the mediasoup worker (scripts/build-mediasoup-worker.sh)',
  );
  const logLevel = options.logLevel ?? 'debug';
  const workRoot = await mkdtemp(join(tmpdir(), 'conclave-audit-'));
  const services: ServiceProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const edges: net.Server[] = [];
  const sockets = new Set<net.Socket>();

  const stopServices = async () => {
    for (const service of services) if (service.child.exitCode === null) service.child.kill('SIGINT');
    await Promise.all(
      services.map((service) =>
        Promise.race([
          service.exited,
          new Promise((r) => setTimeout(r, 8000).unref()).then(() => service.child.kill('SIGKILL')),
        ]),
      ),
    );
  };
  const close = async () => {
    await stopServices();
    for (const socket of sockets) socket.destroy();
    for (const edge of edges) await new Promise((resolve) => edge.close(resolve));
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await rm(workRoot, { recursive: true, force: true });
  };

  try {
    // A fresh database, dropped at the end.
    const dbName = `conclave_audit_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: baseDatabaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    cleanups.push(async () => {
      const c = new pg.Client({ connectionString: baseDatabaseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    });
    const databaseUrl = (() => {
      const u = new URL(baseDatabaseUrl);
      u.pathname = `/${dbName}`;
      return u.toString();
    })();

    // A Redis database index that was empty and is claimed for this run; at the end the keys
    // this run's services wrote there are removed (the index is left empty, as found).
    const claim = randomBytes(8).toString('hex');
    const redisDb = await claimRedisDb(baseRedisUrl, claim);
    const redisUrl = withRedisDb(baseRedisUrl, redisDb);
    cleanups.push(async () => {
      const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
      try {
        if ((await redis.get('conclave-audit:claim')) !== claim) return;
        for (const pattern of ['*']) {
          let cursor = '0';
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
            cursor = next;
            if (keys.length) await redis.del(...keys);
          } while (cursor !== '0');
        }
      } finally {
        redis.disconnect();
      }
    });

    const edgePort = await freeTcpPort();
    const edgeTlsPort = await freeTcpPort();
    const apiPort = await freeTcpPort();
    const dsPort = await freeTcpPort();
    const sfuPort = await freeTcpPort();
    const rtcPort = await freeRtcPort();
    const rtcMin = 47000 + Math.floor(Math.random() * 40) * 50;
    const joinKey = generateKeyPairSync('ed25519');
    const privatePem = joinKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const publicPem = joinKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    // Browsers reach every service through the edge, by name. The services listen on a loopback
    // address of their own (127.0.0.2), so that the browsers' addresses (127.0.0.1 among them)
    // never have a legitimate reason to appear in what the services write.
    const publicBase = `ws://localhost:${edgePort}`;
    const serviceHost = SERVICE_HOST;

    const start = async (
      name: ServiceProcess['name'],
      entry: string,
      port: number,
      env: Record<string, string>,
      nodeArgs: string[] = [],
    ) => {
      const dir = join(workRoot, name);
      await mkdir(join(dir, 'tmp'), { recursive: true });
      const logFile = join(dir, `${name}.log`);
      const out = createWriteStream(logFile);
      await new Promise((resolve) => out.once('open', resolve));
      const child = spawn(process.execPath, [...nodeArgs, join(ROOT, entry)], {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: dir,
          TMPDIR: join(dir, 'tmp'),
          NODE_ENV: 'production',
          ...env,
        },
        stdio: ['ignore', out, out],
      });
      // Should this process die without closing the stack, the services go with it.
      const killOnExit = () => child.kill('SIGKILL');
      process.once('exit', killOnExit);
      const exited = new Promise<number | null>((resolve) =>
        child.once('exit', (code) => {
          process.off('exit', killOnExit);
          resolve(code);
        }),
      );
      const service: ServiceProcess = { name, dir, logFile, port, child, exited };
      services.push(service);
      return service;
    };

    const stateKey = randomBytes(32);
    const api = await start('api', 'services/api/src/main.ts', apiPort, {
      CONCLAVE_MODE: 'distributed',
      API_HOST: serviceHost,
      API_PORT: String(apiPort),
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      CONCLAVE_JOIN_TOKEN_PRIVATE_KEY: privatePem,
      CONCLAVE_STATE_KEY: stateKey.toString('base64'),
      CONCLAVE_TRUST_PROXY: '127.0.0.1',
      CONCLAVE_DS_URL: `${publicBase}/v1/ds`,
      CONCLAVE_SFU_URL: `${publicBase}/v1/sfu`,
      LOG_LEVEL: logLevel,
    });
    const ds = await start('mls-ds', 'services/mls-ds/src/main.ts', dsPort, {
      DS_HOST: serviceHost,
      DS_PORT: String(dsPort),
      JOIN_TOKEN_PUBLIC_KEYS: publicPem,
      REDIS_URL: redisUrl,
      LOG_LEVEL: logLevel,
    });
    const sfu = await start(
      'sfu',
      'services/sfu/src/main.ts',
      sfuPort,
      {
        SFU_HOST: serviceHost,
        SFU_PORT: String(sfuPort),
        SFU_PUBLIC_URL: `${publicBase}/v1/sfu`,
        SFU_WORKERS: '1',
        SFU_RTC_LISTEN_IP: serviceHost,
        SFU_RTC_PORT_BASE: String(rtcPort),
        SFU_RTC_MIN_PORT: String(rtcMin),
        SFU_RTC_MAX_PORT: String(rtcMin + 49),
        JOIN_TOKEN_PUBLIC_KEYS: publicPem,
        REDIS_URL: redisUrl,
        LOG_LEVEL: logLevel,
        SFU_DRAIN_TIMEOUT_MS: '1000',
        MEDIASOUP_WORKER_BIN: workerBin,
        ...options.sfuEnv,
      },
      options.sfuNodeArgs,
    );
    await Promise.all([
      waitReady(`http://${serviceHost}:${apiPort}/readyz`, api, 60_000),
      waitReady(`http://${serviceHost}:${dsPort}/readyz`, ds, 60_000),
      waitReady(`http://${serviceHost}:${sfuPort}/readyz`, sfu, 60_000),
    ]);

    const tls = selfSignedCertificate(join(workRoot, 'edge'), options.tlsAddresses ?? []);
    edges.push(
      ...(await startEdge(
        { port: edgePort, tlsPort: edgeTlsPort, tls },
        options.webRoot,
        { api: apiPort, ds: dsPort, sfu: sfuPort },
        sockets,
      )),
    );

    return {
      workRoot,
      databaseUrl,
      redisUrl,
      redisDb,
      stateKey,
      services,
      edgePort,
      edgeTlsPort,
      origin: (host) =>
        ['127.0.0.1', '[::1]', 'localhost'].includes(host)
          ? `http://${host}:${edgePort}`
          : `https://${host}:${edgeTlsPort}`,
      async metrics() {
        const out: Record<string, string> = {};
        for (const service of services) {
          const response = await fetch(`http://${SERVICE_HOST}:${service.port}/metrics`, {
            signal: AbortSignal.timeout(5000),
          });
          assert.equal(response.status, 200, `${service.name} /metrics`);
          out[service.name] = await response.text();
        }
        return out;
      },
      stopServices,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

const STATIC: Record<string, [string, string]> = {
  '/assets/app.js': ['assets/app.js', 'text/javascript; charset=utf-8'],
  '/assets/media-worker.js': ['assets/media-worker.js', 'text/javascript; charset=utf-8'],
  '/assets/mls-worker.js': ['assets/mls-worker.js', 'text/javascript; charset=utf-8'],
  '/assets/app.css': ['assets/app.css', 'text/css; charset=utf-8'],
};

/** The client's address as Caddy passes it upstream (IPv4-mapped IPv6 unwrapped). */
function clientAddress(socket: net.Socket): string {
  return (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

/** A throwaway self-signed certificate (openssl) for the HTTPS edge. */
function selfSignedCertificate(dir: string, addresses: string[]): { key: Buffer; cert: Buffer } {
  mkdirSync(dir, { recursive: true });
  const names = ['DNS:localhost', ...addresses.map((a) => (net.isIP(a) ? `IP:${a}` : `DNS:${a}`))];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=conclave-audit-edge',
      '-addext',
      `subjectAltName=${names.join(',')}`,
      '-keyout',
      join(dir, 'edge.key'),
      '-out',
      join(dir, 'edge.crt'),
    ],
    { stdio: 'ignore', timeout: 20_000 },
  );
  return { key: readFileSync(join(dir, 'edge.key')), cert: readFileSync(join(dir, 'edge.crt')) };
}

async function startEdge(
  ports: { port: number; tlsPort: number; tls: { key: Buffer; cert: Buffer } },
  webRoot: string,
  upstream: { api: number; ds: number; sfu: number },
  sockets: Set<net.Socket>,
): Promise<net.Server[]> {
  const page = await readFile(join(webRoot, 'index.html'));
  const files = new Map<string, [Buffer, string]>();
  for (const [path, [file, type]] of Object.entries(STATIC))
    files.set(path, [await readFile(join(webRoot, file)), type]);
  const headers = {
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  };

  const handler: http.RequestListener = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://edge').pathname;
    if (path.startsWith('/v1/')) {
      const forwarded = { ...req.headers, 'x-forwarded-for': clientAddress(req.socket) };
      const up = http.request(
        { host: SERVICE_HOST, port: upstream.api, method: req.method, path: req.url, headers: forwarded },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(up);
      return;
    }
    if (req.method === 'GET' && (path === '/' || /^\/m\/[^/]+$/.test(path))) {
      res.writeHead(200, {
        ...headers,
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
      });
      res.end(page);
      return;
    }
    const asset = files.get(path);
    if (req.method === 'GET' && asset) {
      res.writeHead(200, { ...headers, 'content-type': asset[1], 'cache-control': 'no-cache' });
      res.end(asset[0]);
      return;
    }
    res.writeHead(404, headers);
    res.end('not found');
  };
  const upgrade = (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://edge').pathname;
    const target = path === '/v1/ds' ? upstream.ds : path === '/v1/sfu' ? upstream.sfu : undefined;
    if (!target) {
      socket.destroy();
      return;
    }
    const up = net.connect(target, SERVICE_HOST, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (req.rawHeaders[i]!.toLowerCase() === 'x-forwarded-for') continue;
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      lines.push(`X-Forwarded-For: ${clientAddress(socket)}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
      socket.pipe(up).pipe(socket);
    });
    sockets.add(up);
    up.once('close', () => sockets.delete(up));
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  };
  const servers = [http.createServer(handler), https.createServer(ports.tls, handler)];
  for (const [i, server] of servers.entries()) {
    server.on('connection', (socket: net.Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    server.on('upgrade', upgrade);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // Dual-stack: IPv4 (loopback and LAN addresses) and IPv6 loopback.
      server.listen({ port: i === 0 ? ports.port : ports.tlsPort, host: '::', ipv6Only: false }, () =>
        resolve(),
      );
    });
  }
  return servers;
}

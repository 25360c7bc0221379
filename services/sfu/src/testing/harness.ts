import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import {
  type JoinTokenClaims,
  SFU_PROTOCOL_VERSION,
  SFU_WS_PATH,
  type SfuMethod,
  type SfuNotificationMethod,
  type SfuRequestData,
  type SfuResponseData,
} from '@conclave/protocol';
import { createLogger, type EventBus, JoinTokenSigner, type NodeRegistry } from '@conclave/runtime';
import WebSocket from 'ws';
import type { SfuConfig } from '../config.ts';
import type { PeerConnection } from '../rtc/connection.ts';
import { startSfu, type SfuServer } from '../server.ts';

/** Fails (never skips) when the real mediasoup worker binary is not available. */
export function requireWorkerBin(): string {
  const bin = process.env.MEDIASOUP_WORKER_BIN;
  assert.ok(
    bin,
    'MEDIASOUP_WORKER_BIN is not set. These tests run the real mediasoup worker: build it with ' +
      'scripts/build-mediasoup-worker.sh and export MEDIASOUP_WORKER_BIN=<the path it prints>.',
  );
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    assert.fail(
      `MEDIASOUP_WORKER_BIN=${bin} is not an executable file; run scripts/build-mediasoup-worker.sh`,
    );
  }
  return bin;
}

export const randomId = (): string => randomBytes(12).toString('base64url');

async function portFree(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** `count` consecutive ports free for UDP and TCP, away from other test processes' picks. */
export async function freePortBase(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 9000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await portFree(base + i);
    if (ok) return base;
  }
  throw new Error('no free port range found');
}

export class TestTokens {
  readonly publicKeyPem: string;
  readonly #signer: JoinTokenSigner;

  constructor() {
    const { privateKey } = generateKeyPairSync('ed25519');
    this.#signer = new JoinTokenSigner(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    this.publicKeyPem = this.#signer.publicKeyPem;
  }

  claims(overrides: Partial<JoinTokenClaims> & { room: string }): JoinTokenClaims {
    const now = Math.floor(Date.now() / 1000);
    return {
      v: 1,
      sid: randomId(),
      grp: randomId(),
      role: 'participant',
      sfu: 'ws://127.0.0.1/v1/sfu',
      ds: 'ws://127.0.0.1/v1/ds',
      iat: now,
      exp: now + 600,
      ...overrides,
    };
  }

  sign(claims: JoinTokenClaims): string {
    return this.#signer.sign(claims);
  }
}

export async function startTestSfu(
  tokens: TestTokens,
  overrides: Partial<SfuConfig> = {},
  deps: { bus?: EventBus; registry?: NodeRegistry } = {},
): Promise<SfuServer & { port: number }> {
  const workers = overrides.workers ?? 2;
  const portBase = await freePortBase(workers);
  const rangeBase = 42000 + Math.floor(Math.random() * 40) * 500;
  const config: SfuConfig = {
    host: '127.0.0.1',
    port: 0,
    publicUrl: 'ws://127.0.0.1/v1/sfu',
    nodeId: `test-${randomId()}`,
    workers,
    rtc: {
      listenIp: '127.0.0.1',
      portBase,
      minPort: rangeBase,
      maxPort: rangeBase + 499,
      initialOutgoingBitrate: 1_000_000,
    },
    routerMaxPeers: 40,
    roomMaxPeers: 500,
    audibleSpeakers: 5,
    maxMessageBytes: 16384,
    helloTimeoutMs: 2000,
    drainTimeoutMs: 1000,
    joinTokenPublicKeys: [tokens.publicKeyPem],
    logLevel: 'silent',
    workerBin: requireWorkerBin(),
    ...overrides,
  };
  return startSfu(config, { log: createLogger({ service: 'sfu', level: 'silent' }), ...deps });
}

type Notification = { method: SfuNotificationMethod; data: Record<string, unknown> };

/** A signaling client as a browser would drive it, for tests. */
export class SignalingClient {
  readonly ws: WebSocket;
  readonly notifications: Notification[] = [];
  readonly errors: { code: string; message: string }[] = [];
  welcome: Record<string, unknown> | undefined;
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  #nextId = 1;
  readonly #pending = new Map<number, (response: Record<string, unknown>) => void>();
  readonly #waiters = new Set<() => void>();

  constructor(port: number) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}${SFU_WS_PATH}`);
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
        this.#wake();
      });
    });
    this.ws.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as Record<string, unknown>;
      if (message.type === 'welcome') this.welcome = message;
      else if (message.type === 'response') this.#pending.get(message.id as number)?.(message);
      else if (message.type === 'notification') this.notifications.push(message as unknown as Notification);
      else if (message.type === 'error') this.errors.push(message.error as { code: string; message: string });
      this.#wake();
    });
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter();
  }

  async open(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return;
    await new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
  }

  /** Waits until `predicate` holds, re-checked on every incoming message. */
  async until<T>(predicate: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
    const start = Date.now();
    for (;;) {
      const value = predicate();
      if (value) return value;
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 100);
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        const waiters = this.#waiters;
        waiters.add(done);
      });
    }
  }

  async hello(token: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    await this.open();
    this.ws.send(JSON.stringify({ type: 'hello', v: SFU_PROTOCOL_VERSION, token, ...extra }));
    return this.until(
      () => this.welcome ?? (this.closeCode !== undefined ? { closed: this.closeCode } : undefined),
      'welcome',
    );
  }

  get peerId(): string {
    return this.welcome?.peerId as string;
  }

  /** Sends a request and asserts success. */
  async request<M extends SfuMethod>(method: M, data: SfuRequestData<M>): Promise<SfuResponseData<M>> {
    const response = await this.rawAwait(method, data);
    assert.equal(response.ok, true, `${method} failed: ${JSON.stringify(response.error)}`);
    return response.data as SfuResponseData<M>;
  }

  /** Sends a request; resolves with the response. */
  async rawAwait(method: string, data?: unknown): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    const response = new Promise<Record<string, unknown>>((resolve) => this.#pending.set(id, resolve));
    this.ws.send(JSON.stringify({ type: 'request', id, method, data }));
    return Promise.race([
      response,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no response to ${method}`)), 5000),
      ),
    ]);
  }

  /** Sends a request and returns its error code (asserting it failed). */
  async errorOf(method: string, data?: unknown): Promise<string> {
    const response = await this.rawAwait(method, data);
    assert.equal(response.ok, false, `${method} unexpectedly succeeded`);
    return (response.error as { code: string }).code;
  }

  notification(
    method: SfuNotificationMethod,
    match: (data: Record<string, unknown>) => boolean = () => true,
  ) {
    return this.until(
      () => this.notifications.find((n) => n.method === method && match(n.data))?.data,
      `notification ${method}`,
    );
  }

  close(): void {
    this.ws.close();
  }
}

/** A PeerConnection that records notifications, for peers driven directly (plain RTP). */
export class RecordingConnection implements PeerConnection {
  readonly notifications: Notification[] = [];
  closedWith: { code: number; reason: string } | undefined;

  notify: PeerConnection['notify'] = (method, data) => {
    this.notifications.push({ method, data: data as Record<string, unknown> });
  };

  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
  }
}

export async function eventually<T>(
  probe: () => T | undefined | false,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

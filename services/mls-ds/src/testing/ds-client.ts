import type { DsClientMessage, DsServerMessage } from '@conclave/protocol';
import WebSocket from 'ws';

type Waiter = { match: (m: DsServerMessage) => boolean; resolve: (m: DsServerMessage) => void };

/** A bare protocol client: queues every frame and lets tests wait for one. */
export class DsTestClient {
  readonly socket: WebSocket;
  readonly received: DsServerMessage[] = [];
  readonly #unclaimed: DsServerMessage[] = [];
  readonly #waiters: Waiter[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  onMessage: ((m: DsServerMessage) => void) | undefined;

  constructor(url: string) {
    this.socket = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.socket.on('error', () => {});
    this.socket.on('message', (data) => {
      const m = JSON.parse(data.toString()) as DsServerMessage;
      this.received.push(m);
      this.onMessage?.(m);
      const i = this.#waiters.findIndex((w) => w.match(m));
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(m);
      else this.#unclaimed.push(m);
    });
  }

  static async connect(url: string): Promise<DsTestClient> {
    const c = new DsTestClient(url);
    await c.opened;
    return c;
  }

  send(message: DsClientMessage | Record<string, unknown>): void {
    this.socket.send(JSON.stringify(message));
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** Resolves with the first frame (already received or future) that matches. */
  next<T extends DsServerMessage['type']>(
    type: T,
    match: (m: Extract<DsServerMessage, { type: T }>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Extract<DsServerMessage, { type: T }>> {
    const test = (m: DsServerMessage) => m.type === type && match(m as Extract<DsServerMessage, { type: T }>);
    const i = this.#unclaimed.findIndex(test);
    if (i >= 0)
      return Promise.resolve(this.#unclaimed.splice(i, 1)[0] as Extract<DsServerMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match: test,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<DsServerMessage, { type: T }>);
        },
      };
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(new Error(`timed out waiting for ${type}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  close(): void {
    this.socket.close();
  }

  terminate(): void {
    this.socket.terminate();
  }
}

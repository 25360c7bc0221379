/**
 * The SFU's WebSocket signaling from Node (packages/protocol/src/sfu/messages.ts): `hello` with
 * the join token, the `welcome` answer, then requests answered one by one and notifications
 * pushed at any time. The subset a sending participant needs; the web client's own
 * (sfu-session.ts) drives mediasoup-client, which needs a browser.
 */
import {
  SFU_PROTOCOL_VERSION,
  type SfuMethod,
  type SfuNotification,
  type SfuRequestData,
  type SfuResponseData,
  type SfuWelcome,
} from '@conclave/protocol';

export class SfuRequestFailed extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

const REQUEST_TIMEOUT_MS = 15_000;

export class SfuSignaling {
  readonly welcome: SfuWelcome;
  readonly #ws: WebSocket;
  #nextId = 1;
  readonly #waiting = new Map<number, { resolve: (data: unknown) => void; reject: (error: Error) => void }>();
  /** Every notification the SFU pushes. */
  onNotification: (n: SfuNotification) => void = () => {};
  /** The SFU closed the connection (not called for our own `close`). */
  onClosed: (code: number) => void = () => {};
  #closing = false;

  private constructor(ws: WebSocket, welcome: SfuWelcome) {
    this.#ws = ws;
    this.welcome = welcome;
    ws.addEventListener('message', (e) => this.#message(String(e.data)));
    ws.addEventListener('close', (e) => {
      for (const w of this.#waiting.values()) w.reject(new SfuRequestFailed('closed', 'connection closed'));
      this.#waiting.clear();
      if (!this.#closing) this.onClosed(e.code);
    });
  }

  static connect(url: string, token: string): Promise<SfuSignaling> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.close();
        reject(new Error('no welcome from the SFU'));
      }, REQUEST_TIMEOUT_MS);
      const onClose = (e: CloseEvent) => {
        clearTimeout(timer);
        reject(new SfuRequestFailed(`close_${e.code}`, e.reason));
      };
      ws.addEventListener(
        'open',
        () => ws.send(JSON.stringify({ type: 'hello', v: SFU_PROTOCOL_VERSION, token })),
        {
          once: true,
        },
      );
      ws.addEventListener('close', onClose, { once: true });
      const onFirst = (e: MessageEvent) => {
        const m = JSON.parse(String(e.data)) as { type: string; error?: { code: string; message: string } };
        ws.removeEventListener('message', onFirst);
        ws.removeEventListener('close', onClose);
        clearTimeout(timer);
        if (m.type === 'welcome') resolve(new SfuSignaling(ws, m as SfuWelcome));
        else {
          ws.close();
          reject(
            new SfuRequestFailed(m.error?.code ?? 'internal', m.error?.message ?? `unexpected ${m.type}`),
          );
        }
      };
      ws.addEventListener('message', onFirst);
    });
  }

  get peerId(): string {
    return this.welcome.peerId;
  }

  request<M extends SfuMethod>(method: M, data: SfuRequestData<M>): Promise<SfuResponseData<M>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#ws.readyState !== WebSocket.OPEN) {
        reject(new SfuRequestFailed('closed', 'not connected'));
        return;
      }
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new SfuRequestFailed('timeout', `${method} was not answered`));
      }, REQUEST_TIMEOUT_MS);
      this.#waiting.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as SfuResponseData<M>);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.#ws.send(JSON.stringify({ type: 'request', id, method, data }));
    });
  }

  #message(text: string): void {
    let m: {
      type: string;
      id?: number;
      ok?: boolean;
      data?: unknown;
      error?: { code: string; message: string };
    };
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (m.type === 'notification') {
      this.onNotification(m as unknown as SfuNotification);
      return;
    }
    if (m.type !== 'response' || m.id === undefined) return;
    const waiting = this.#waiting.get(m.id);
    if (!waiting) return;
    this.#waiting.delete(m.id);
    if (m.ok) waiting.resolve(m.data ?? {});
    else
      waiting.reject(new SfuRequestFailed(m.error?.code ?? 'internal', m.error?.message ?? 'request failed'));
  }

  close(): void {
    this.#closing = true;
    this.#ws.close(1000);
  }
}

import { HEARTBEAT_MS, type NodeRegistry, type SfuNodeInfo } from '@conclave/runtime';

/** Announces a node every `intervalMs` until stopped; errors are reported, never thrown. */
export class NodeHeartbeat {
  readonly #registry: NodeRegistry;
  readonly #snapshot: () => { info: Omit<SfuNodeInfo, 'updatedAt'>; rooms: string[] };
  readonly #onError: (error: unknown) => void;
  readonly #timer: NodeJS.Timeout;
  #stopped = false;

  constructor(
    registry: NodeRegistry,
    snapshot: () => { info: Omit<SfuNodeInfo, 'updatedAt'>; rooms: string[] },
    options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
  ) {
    this.#registry = registry;
    this.#snapshot = snapshot;
    this.#onError = options.onError ?? (() => undefined);
    this.#timer = setInterval(() => void this.beat(), options.intervalMs ?? HEARTBEAT_MS);
    this.#timer.unref();
  }

  async beat(): Promise<void> {
    if (this.#stopped) return;
    const { info, rooms } = this.#snapshot();
    try {
      await this.#registry.announce({ ...info, updatedAt: Date.now() }, rooms);
    } catch (error) {
      this.#onError(error);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#registry.withdraw(this.#snapshot().info.id).catch(this.#onError);
  }
}

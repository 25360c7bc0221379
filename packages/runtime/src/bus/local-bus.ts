import type { BusEvent, BusHandler, EventBus, Unsubscribe } from './bus.ts';

/** In-process bus for the embedded single-node mode. */
export class LocalEventBus implements EventBus {
  readonly #handlers = new Set<BusHandler>();

  async publish(event: BusEvent): Promise<void> {
    // Deliver on a later tick, as the Redis bus does, so callers never depend on synchronous delivery.
    queueMicrotask(() => {
      for (const handler of this.#handlers) handler(event);
    });
  }

  subscribe(handler: BusHandler): Unsubscribe {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  async close(): Promise<void> {
    this.#handlers.clear();
  }
}

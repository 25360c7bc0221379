import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Value } from 'typebox/value';
import { Type } from 'typebox';
import type { BusEvent, BusHandler, EventBus, Unsubscribe } from './bus.ts';

const CHANNEL = 'conclave:bus:v1';

const BusEventSchema = Type.Union([
  Type.Object({ type: Type.Literal('room.ended'), room: Type.String(), grp: Type.String() }),
  Type.Object({
    type: Type.Literal('session.removed'),
    room: Type.String(),
    grp: Type.String(),
    sid: Type.String(),
  }),
  Type.Object({ type: Type.Literal('lobby.changed'), grp: Type.String() }),
  Type.Object({ type: Type.Literal('session.joined'), sid: Type.String() }),
  Type.Object({ type: Type.Literal('rejoin.reset'), grp: Type.String() }),
]);

/** Redis pub/sub bus for the distributed mode: every instance of every service hears every event. */
export class RedisEventBus implements EventBus {
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #handlers = new Set<BusHandler>();
  readonly #ready: Promise<unknown>;
  /**
   * The subscriber connection's CLIENT name (`conclave-bus-<random>`), so an operator can tell
   * it apart in CLIENT LIST. ioredis reconnects and subscribes again after it drops; what was
   * published in between is lost (pub/sub does not replay), which publishers allow for.
   */
  readonly subscriberName = `conclave-bus-${randomBytes(6).toString('hex')}`;

  constructor(redisUrl: string) {
    this.#pub = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
    this.#sub = new Redis(redisUrl, { lazyConnect: false, connectionName: this.subscriberName });
    this.#ready = this.#sub.subscribe(CHANNEL);
    this.#sub.on('message', (_channel: string, message: string) => {
      let event: unknown;
      try {
        event = JSON.parse(message);
      } catch {
        return;
      }
      if (!Value.Check(BusEventSchema, event)) return;
      for (const handler of this.#handlers) handler(event as BusEvent);
    });
  }

  /** Resolves once this instance is subscribed, so no event published afterwards is missed. */
  ready(): Promise<unknown> {
    return this.#ready;
  }

  async publish(event: BusEvent): Promise<void> {
    await this.#pub.publish(CHANNEL, JSON.stringify(event));
  }

  subscribe(handler: BusHandler): Unsubscribe {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  async close(): Promise<void> {
    this.#handlers.clear();
    await Promise.allSettled([this.#sub.quit(), this.#pub.quit()]);
  }
}

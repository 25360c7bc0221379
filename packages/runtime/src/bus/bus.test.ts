import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { BusEvent, EventBus } from './bus.ts';
import { LocalEventBus } from './local-bus.ts';
import { RedisEventBus } from './redis-bus.ts';

function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: start the test services with scripts/test-infra.sh start');
  return url;
}

async function received(bus: EventBus, publish: () => Promise<void>, count: number): Promise<BusEvent[]> {
  const events: BusEvent[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('events did not arrive')), 3000);
    bus.subscribe((event) => {
      events.push(event);
      if (events.length === count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await publish();
  await done;
  return events;
}

describe('local event bus', () => {
  it('delivers every event to every subscriber, asynchronously', async () => {
    const bus = new LocalEventBus();
    const seen: BusEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    const event: BusEvent = { type: 'room.ended', room: 'r1', grp: 'g1' };
    const published = bus.publish(event);
    assert.equal(seen.length, 0, 'not delivered synchronously');
    await published;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [event]);
  });

  it('an unsubscribed handler hears nothing more', async () => {
    const bus = new LocalEventBus();
    let count = 0;
    const off = bus.subscribe(() => count++);
    off();
    await bus.publish({ type: 'room.ended', room: 'r', grp: 'g' });
    await new Promise((r) => setImmediate(r));
    assert.equal(count, 0);
  });
});

describe('Redis event bus', () => {
  const a = new RedisEventBus(redisUrl());
  const b = new RedisEventBus(redisUrl());
  after(async () => {
    await a.close();
    await b.close();
  });

  it('an event published by one instance reaches another', async () => {
    await Promise.all([a.ready(), b.ready()]);
    const event: BusEvent = { type: 'session.removed', room: `r${Math.random()}`, grp: 'g', sid: 's' };
    const events = await received(b, () => a.publish(event), 1);
    assert.deepEqual(events, [event]);
  });

  it('a subscriber whose connection is killed subscribes again and hears later events', async () => {
    await Promise.all([a.ready(), b.ready()]);
    const admin = new Redis(redisUrl());
    try {
      const mine = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
      const id = mine
        .split('\n')
        .find((line) => line.includes(`name=${b.subscriberName} `))
        ?.match(/\bid=(\d+)/)?.[1];
      assert.ok(id, 'the subscriber connection is named in CLIENT LIST');
      assert.equal(await admin.call('CLIENT', 'KILL', 'ID', id), 1);
      const event: BusEvent = { type: 'room.ended', room: `r${Math.random()}`, grp: 'g' };
      const heard: BusEvent[] = [];
      b.subscribe((e) => {
        if (e.type === 'room.ended' && e.room === event.room) heard.push(e);
      });
      // Publish until the reconnected subscriber hears it (events sent while it was down are lost).
      const deadline = Date.now() + 10_000;
      while (heard.length === 0 && Date.now() < deadline) {
        await a.publish(event);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(heard.length > 0, 'the subscriber heard an event published after it reconnected');
      const after = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
      assert.ok(
        after.includes(`name=${b.subscriberName} `),
        'a new subscriber connection with the same name',
      );
      assert.ok(!after.includes(`id=${id} `), 'the killed connection is gone');
    } finally {
      admin.disconnect();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisNodeRegistry, type SfuNodeInfo } from '@conclave/runtime';
import { createMeeting, join, type OwnStores, ownStores, startApi, type TestApi } from './harness.ts';

function node(id: string, load: number): SfuNodeInfo {
  return {
    id,
    url: `wss://${id}.example.test/v1/sfu`,
    load,
    rooms: 0,
    peers: 0,
    workers: 2,
    draining: false,
    updatedAt: Date.now(),
  };
}

function sfuClaim(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sfu;
}

describe('SFU node selection from the registry (distributed mode)', () => {
  let t: TestApi;
  let registry: RedisNodeRegistry;
  // A Redis database of its own, so nodes announced by other suites cannot interfere.
  let stores: OwnStores;
  before(async () => {
    stores = await ownStores('distributed');
    registry = new RedisNodeRegistry(stores.env.REDIS_URL!);
    t = await startApi('distributed', { ...stores.env, CONCLAVE_SFU_SELECTION: 'registry' });
  });
  after(async () => {
    await t?.close();
    await registry?.close();
    await stores?.release();
  });

  it('with no live SFU node a join answers 503 unavailable', async () => {
    const m = await createMeeting(t);
    const { verify } = await join(t, m.meetingId, m.password);
    assert.equal(verify?.statusCode, 503);
    assert.equal(verify?.json().error, 'unavailable');
  });

  it('a new room goes to the least-loaded live node and stays there', async () => {
    await registry.announce(node('busy', 0.8), []);
    await registry.announce(node('idle', 0.1), []);
    await registry.announce({ ...node('draining', 0), draining: true }, []);
    const m = await createMeeting(t);
    const first = await join(t, m.meetingId, m.password);
    assert.equal(first.verify?.statusCode, 200, first.verify?.body);
    assert.equal(sfuClaim(first.verify!.json().token), 'wss://idle.example.test/v1/sfu');
    await registry.announce(node('idle', 0.95), []);
    const second = await join(t, m.meetingId, m.password);
    assert.equal(
      sfuClaim(second.verify!.json().token),
      'wss://idle.example.test/v1/sfu',
      'the room stays on its node',
    );
    const other = await createMeeting(t);
    const third = await join(t, other.meetingId, other.password);
    assert.equal(
      sfuClaim(third.verify!.json().token),
      'wss://busy.example.test/v1/sfu',
      'a new room goes to the now least-loaded node',
    );
  });
});
